"""`finalstage check` end to end on images built by the test harness from ``examples/``: the fat
images fail a policy that the minimal ones pass, and every finding in the fat ones names the
right Dockerfile line (expected lines read by hand from each ``Dockerfile.fat``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finalstage.cli import main

# The stand-in base images keep a few things real slim images drop (apt archives in the Debian
# python3 stand-in, setuptools in a venv): caches are gated by path here, not by category.
POLICY = """\
[policy]
max-size = "300MB"
max-layers = 10
max-waste = "5%"
forbidden-categories = ["compiler", "source", "dev-dependency"]
forbidden-paths = ["/var/lib/apt/lists/*", "/root/.cache", "/root/.npm",
                   "/app/tests", "/usr/src/app/tests", "/app/*_test.go"]
require-non-root = true
require-exec-form = true
"""

# (rule, line) for each fat example; the minimal images pass. A rule counts when it raised the
# finding or when its finding about the same fact was merged into it (``also``).
FAT = {
    "go": {
        # golang:1.22-bookworm (FROM, line 1) brings the toolchain and is most of the size
        ("FS901", 1),
        ("FS201", 1),                           # compilers: forbidden-categories
        ("FS401", 1),                           # no USER: the final stage's FROM
        ("FS906", 4),                           # RUN apt-get … leaves /var/lib/apt/lists
        ("FS204", 7),                           # COPY . .: Go sources (merged into FS103)
        ("FS906", 7),                           # … tests included
        ("FS906", 8),                           # RUN go build: the go build cache
        ("FS402", 11),                          # CMD ./server -addr :8080
    },
    "node": {
        ("FS401", 1),
        ("FS906", 4),                           # COPY . .: tests included
        ("FS206", 8),                           # RUN npm install (typescript, dev deps too)
        ("FS906", 8),                           # … and its download cache
        ("FS402", 11),                          # CMD npm start
    },
    "python": {
        ("FS401", 1),
        ("FS906", 3),                           # RUN apt-get update && apt-get install -y curl
        ("FS906", 6),                           # COPY . .: tests included
        ("FS206", 10),                          # RUN pip install -r requirements-dev.txt
        ("FS402", 13),                          # CMD python app.py
    },
}


def _codes(finding: dict) -> list[str]:
    # the rule that raised a finding and the rules whose findings were merged into it
    return [finding["rule"], *finding["also"]]


def _check(image: Path, dockerfile: Path, policy: Path,
           capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    with pytest.raises(SystemExit) as done:
        main(["check", f"docker-archive:{image}", "--dockerfile", str(dockerfile),
              "--policy", str(policy), "--format", "json"])
    out, err = capsys.readouterr()
    assert err == ""
    return int(done.value.code or 0), json.loads(out)


@pytest.fixture()
def policy(tmp_path: Path) -> Path:
    file = tmp_path / "policy.toml"
    file.write_text(POLICY)
    return file


def _built(image_builder, example: str, variant: str):  # type: ignore[no-untyped-def]
    from tests.harness.build import HarnessError

    try:
        return image_builder.build_example(example, variant)
    except HarnessError as err:
        # A build that cannot run here (no network for npm/pip…) is the harness's problem,
        # reported with its reason; the go example needs no network.
        if example == "go":
            raise
        pytest.skip(f"harness cannot build {example}/{variant}: {str(err).splitlines()[0]}")


@pytest.mark.engine
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("example", sorted(FAT))
def test_fat_fails_minimal_passes(example: str, image_builder, policy: Path,  # type: ignore[no-untyped-def]
                                  capsys: pytest.CaptureFixture[str]) -> None:
    minimal = _built(image_builder, example, "minimal")
    code, doc = _check(minimal.docker_archive, minimal.dockerfile, policy, capsys)
    assert code == 0, [f["message"] for f in doc["findings"]]
    assert all(c["status"] == "pass" for c in doc["clauses"]), doc["clauses"]

    fat = _built(image_builder, example, "fat")
    code, doc = _check(fat.docker_archive, fat.dockerfile, policy, capsys)
    assert code == 1
    found = {(code, f["line"]) for f in doc["findings"] for code in (f["rule"], *f["also"])}
    for rule, line in sorted(FAT[example]):
        assert (rule, line) in found, (rule, line, sorted(found))
    # every finding about content is tied to a line of the Dockerfile
    assert all(f["file"] == str(fat.dockerfile) for f in doc["findings"]
               if f.get("layer") is not None)
    # a Dockerfile rule and an image rule that see the same thing on the same line are one
    # finding: the Dockerfile's location and message, the image's bytes (COPY . . → FS103 with
    # the source bytes of FS204), and no fact reported twice
    rules_at = {(f["rule"], f["line"]): f for f in doc["findings"]}
    if example == "go":  # the node and python sources are not classified as source code
        assert "FS204" in rules_at[("FS103", 7)]["also"] and rules_at[("FS103", 7)]["bytes"]
        assert ("FS204", 7) not in rules_at
    # the retired duplicate codes never appear: root user and shell form are one rule each
    assert not {c for f in doc["findings"] for c in _codes(f)} & {"FS109", "FS110", "FS904",
                                                                  "FS908", "FS909"}
    # the size finding points at the line of the heaviest layer it names
    line_of = {a["layer"]: a["line"] for a in doc["attribution"]}
    (size,) = [f for f in doc["findings"] if f["rule"] == "FS901"]
    assert size["line"] == line_of[size["layer"]]
    # every layer attributed, none only by order
    assert all(a["line"] is not None and a["confidence"] != "low" for a in doc["attribution"])


DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def docs_policy() -> str:
    """The example policy of docs/policy.md, exactly as the docs show it."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## The policy file"):]
    body = section.split("```toml\n", 1)[1]
    return body[:body.index("```")]


def _one_finding_per_fact(findings: list[dict]) -> None:
    # no two findings of different rules about one subject at one place (line, else layer)
    seen: dict[tuple[object, str], str] = {}
    for f in findings:
        where = f["line"] if f["line"] is not None else ("layer", f["layer"])
        for subject in f["subjects"]:
            other = seen.setdefault((where, subject), f["rule"])
            assert other == f["rule"], (where, subject, other, f["rule"])


@pytest.mark.engine
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("example", sorted(FAT))
def test_the_docs_example_policy_passes_good_images_and_fails_fat_ones(
        example: str, image_builder, tmp_path: Path,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "finalstage.toml"
    policy.write_text(docs_policy())
    assert "[policy]" in policy.read_text() and "forbidden-categories" in policy.read_text()
    minimal = _built(image_builder, example, "minimal")
    code, doc = _check(minimal.docker_archive, minimal.dockerfile, policy, capsys)
    assert code == 0, [(f["rule"], f["message"], f["paths"][:3]) for f in doc["findings"]
                       if f["severity"] == "error"]
    # nothing fails; a warning (setuptools in the stand-in's venv) is shown, not failing
    assert "fail" not in {c["status"] for c in doc["clauses"]}, doc["clauses"]
    fat = _built(image_builder, example, "fat")
    code, doc = _check(fat.docker_archive, fat.dockerfile, policy, capsys)
    assert code == 1
    failed = {c["key"] for c in doc["clauses"] if c["status"] == "fail"}
    assert {"max-size", "forbidden-categories", "require-non-root", "require-exec-form",
            "allowed-base-images"} <= failed
    _one_finding_per_fact(doc["findings"])
