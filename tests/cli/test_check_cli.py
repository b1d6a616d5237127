"""`finalstage check` on the command line: exit codes, formats, baselines, and bad input.

The image is dive's test image from the corpus (built by docker from a Dockerfile that is there
too), so these tests need no container engine; end-to-end runs on images built from
``examples/`` are in test_check_examples.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from finalstage.cli import main

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus"
DIVE = CORPUS / "images" / "wagoodman__dive" / ".data"
IMAGE = DIVE / "test-docker-image.tar"
DOCKERFILE = DIVE / "Dockerfile.test-image"
SARIF_SCHEMA = Path(__file__).parents[1] / "report" / "data" / "sarif-schema-2.1.0.json"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not DIVE.is_dir(), reason="../shared/corpus is absent"),
]

POLICY = """\
[policy]
max-waste = "1kB"
max-layers = 20
forbidden-paths = ["/root/saved.txt", "/tmp/**"]
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


@pytest.fixture()
def policy(tmp_path: Path) -> Path:
    file = tmp_path / "policy.toml"
    file.write_text(POLICY)
    return file


def test_fails_with_lines_from_the_dockerfile(policy: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", str(IMAGE), "--dockerfile", str(DOCKERFILE),
                          "--policy", str(policy), "--format", "json"], capsys)
    assert code == 1, err
    doc = json.loads(out)
    by_rule: dict[str, list[dict]] = {}
    for finding in doc["findings"]:
        by_rule.setdefault(finding["rule"], []).append(finding)
    # waste: dive's own expected number for this image is 32025 bytes (corpus SOURCE.md)
    # max-waste configures waste-over-threshold: one finding per layer that added wasted
    # bytes, each at its own line, summing to dive's own number for this image
    waste = by_rule["FS301"]
    assert sum(f["bytes"] for f in waste) == 32025
    assert all(f["severity"] == "error" for f in waste)
    assert sorted(f["line"] for f in waste) == [4, 5, 6, 7, 8]
    # lines checked by hand against Dockerfile.test-image: `cp … /tmp/saved.again1.txt` is
    # line 12, `chmod +x /root/saved.txt` (the last layer to touch it) is line 14
    lines = sorted((f["line"], f["paths"][0]) for f in by_rule["FS906"])
    assert lines == [(12, "/tmp/saved.again1.txt"), (14, "/root/saved.txt")]
    assert all(f["file"] == str(DOCKERFILE) for f in by_rule["FS906"])
    assert [c["status"] for c in doc["clauses"]] == ["pass", "fail", "fail"]
    # every layer attributed: busybox's layer to FROM (line 1), then lines 2..14
    assert [a["line"] for a in doc["attribution"]] == [1, *range(2, 15)]
    # lint ran too (the Dockerfile's FROM busybox:latest)
    assert "FS102" in by_rule


def test_passes_with_a_lenient_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "ok.toml"
    policy.write_text('[policy]\nmax-size = "2MB"\nmax-waste = "5%"\nmax-layers = 14\n')
    code, out, err = run(["check", str(IMAGE), "--policy", str(policy)], capsys)
    assert code == 0, out + err
    assert "check passed" in out
    # the layer tars (1.5 MB with tar headers and padding) are what the budget counts
    assert "pass  max-size: 1.47 MB uncompressed, budget 2 MB" in out


def test_fail_on_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[policy]\nmax-layers = 2\n[policy.severity]\nmax-layers = "warning"\n')
    assert run(["check", str(IMAGE), "--policy", str(policy)], capsys)[0] == 0
    assert run(["check", str(IMAGE), "--policy", str(policy), "--fail-on", "warning"],
               capsys)[0] == 1
    policy.write_text('[policy]\nmax-layers = 2\nfail-on = "info"\n'
                      '[policy.severity]\nmax-layers = "warning"\n')
    assert run(["check", str(IMAGE), "--policy", str(policy)], capsys)[0] == 1


def test_policy_found_next_to_the_dockerfile(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "finalstage.toml").write_text('[policy]\nmax-layers = 3\n')
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(DOCKERFILE.read_text())
    code, out, _ = run(["check", str(IMAGE), "--dockerfile", str(dockerfile)], capsys)
    assert code == 1
    assert "image has 14 layers (15 history entries), more than the 3 layers allowed" in out


def test_baseline_round_trip(policy: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    baseline = tmp_path / "baseline.json"
    args = ["check", str(IMAGE), "--dockerfile", str(DOCKERFILE), "--policy", str(policy)]
    assert run([*args, "--write-baseline", str(baseline)], capsys)[0] == 1
    code, out, _ = run([*args, "--baseline", str(baseline)], capsys)
    assert code == 0, out
    assert "known to the baseline" in out
    # a stricter policy adds a finding the baseline does not know
    policy.write_text(POLICY.replace("max-layers = 20", "max-layers = 5"))
    code, out, _ = run([*args, "--baseline", str(baseline), "--format", "json"], capsys)
    assert code == 1
    assert [f["rule"] for f in json.loads(out)["findings"]] == ["FS903"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_every_format(fmt: str, policy: Path, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / f"report.{fmt}"
    cst = tmp_path / "cst.yaml"
    cst.write_text("schemaVersion: 2.0.0\nfileExistenceTests:\n"
                   "  - {name: saved, path: /root/saved.txt, isExecutableBy: owner}\n"
                   "  - {name: no example dir, path: /root/example, shouldExist: false}\n"
                   "  - {name: somefile, path: /somefile.txt, permissions: '-rwxrwxrwx'}\n")
    code, out, err = run(["check", str(IMAGE), "--dockerfile", str(DOCKERFILE), "--policy",
                          str(policy), "--cst", str(cst), "--format", fmt, "-o", str(out_file)],
                         capsys)
    assert code == 1 and out == "" and err == ""
    text = out_file.read_text()
    if fmt == "sarif":
        jsonschema = pytest.importorskip("jsonschema")
        doc = json.loads(text)
        jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
        results = doc["runs"][0]["results"]
        located = [r for r in results if r["ruleId"] == "FS906"]
        lines = sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"]
                       for r in located)
        assert lines == [12, 14]
    elif fmt == "junit":
        root = ET.fromstring(text)
        # one suite per target (image, Dockerfile); a located finding fails its testcase in
        # the Dockerfile's suite, so a testcase passes when it passes in every suite
        names: dict[str, bool] = {}
        for case in root.iter("testcase"):
            ok = case.find("failure") is None
            names[case.get("name", "")] = names.get(case.get("name", ""), True) and ok
        # one testcase per rule and one per structure test, none counted twice
        assert names["FS903 too-many-layers"] is True
        assert names["FS301 waste-over-threshold"] is False
        assert names["FS906 forbidden-path"] is False
        assert "FS911 structure-test-failed" not in names
        cst_cases = {n: ok for n, ok in names.items() if n.startswith("File Existence Test")}
        assert sorted(cst_cases.values()) == [False, True, True]
        assert int(root.get("tests", "0")) == sum(1 for _ in root.iter("testcase"))
    elif fmt == "github":
        assert f"::error file={DOCKERFILE},line=12" in text
    elif fmt == "json":
        doc = json.loads(text)
        assert [t["status"] for t in doc["structure_tests"]] == ["pass", "pass", "fail"]
    else:
        assert "File Existence Test: somefile" in text


# -- bad input: one line on stderr, exit 2, no traceback ---------------------------------

@pytest.mark.parametrize(("make_args", "fragment"), [
    (lambda t: ["check", str(t / "missing.tar")], "missing.tar"),
    (lambda t: ["check", str(IMAGE), "--policy", str(t / "none.toml")], "no such file"),
    (lambda t: ["check", str(IMAGE), "--policy", str(_write(t, "p.toml", "[policy]\nmax_sise=1"))],
     "unknown key 'max_sise'"),
    (lambda t: ["check", str(IMAGE), "--policy",
                str(_write(t, "p.toml", '[policy]\nmax-size="80M"'))], "bad size '80M'"),
    (lambda t: ["check", str(IMAGE), "--cst", str(_write(t, "c.yaml", "schemaVersion: 9\n"))],
     "unsupported schemaVersion"),
    (lambda t: ["check", str(IMAGE), "--format", "xml"], "unknown output format 'xml'"),
    (lambda t: ["check", str(IMAGE), "--fail-on", "fatal"], "invalid --fail-on 'fatal'"),
    (lambda t: ["check", str(IMAGE), "--build-arg", "=x"], "invalid --build-arg"),
    (lambda t: ["check", str(IMAGE), "--dockerfile", str(t / "Dockerfile")], "Dockerfile"),
    (lambda t: ["check", str(IMAGE), "--baseline", str(_write(t, "b.json", "[]"))],
     "not a finalstage baseline"),
    (lambda t: ["check", str(DIVE / "test-gzip-image.tar")], "test-gzip-image.tar"),
    (lambda t: ["check", str(IMAGE), "-o", str(t / "no" / "such" / "dir" / "out")], "writing"),
])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, make_args, fragment: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(make_args(tmp_path), capsys)
    assert code == 2, out + err
    assert err.startswith("finalstage: ") and err.count("\n") == 1, err
    assert fragment in err
    assert "Traceback" not in err and "internal error" not in err


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def test_real_process_exit_codes(policy: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "finalstage", "check", str(IMAGE), "--policy",
                           str(policy)], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 1, done.stderr
    done = subprocess.run([sys.executable, "-m", "finalstage", "check", str(IMAGE), "--policy",
                           "/nonexistent/policy.toml"], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
