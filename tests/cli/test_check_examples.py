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

# (rule, a word of the message, line) for each fat example; the minimal images pass.
FAT = {
    "go": {
        # golang:1.22-bookworm (FROM, line 1) brings the toolchain and is most of the size
        ("FS901", "budget", 1),
        ("FS905", "compiler", 1),
        ("FS908", "root", 1),                   # no USER: the final stage's FROM
        ("FS906", "/var/lib/apt/lists", 4),     # RUN apt-get update && apt-get install …
        ("FS905", "source", 7),                 # COPY . .
        ("FS906", "_test.go", 7),               # … tests included
        ("FS906", "/root/.cache", 8),           # RUN go build: the go build cache
        ("FS909", "CMD", 11),                   # CMD ./server -addr :8080
    },
    "node": {
        ("FS908", "root", 1),
        ("FS906", "/usr/src/app/tests", 4),     # COPY . .
        ("FS905", "dev-dependency", 8),         # RUN npm install (typescript, dev deps too)
        ("FS906", "/root/.npm", 8),             # … and its download cache
        ("FS909", "CMD", 11),                   # CMD npm start
    },
    "python": {
        ("FS908", "root", 1),
        ("FS906", "/var/lib/apt/lists", 3),     # RUN apt-get update && apt-get install -y curl
        ("FS905", "source", 6),                 # COPY . .
        ("FS906", "/app/tests", 6),             # … tests included
        ("FS905", "dev-dependency", 10),        # RUN pip install -r requirements-dev.txt
        ("FS909", "CMD", 13),                   # CMD python app.py
    },
}


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
    found = {(f["rule"], f["line"], f["message"]) for f in doc["findings"]
             if f["rule"].startswith("FS9")}
    for rule, word, line in sorted(FAT[example]):
        assert any(r == rule and ln == line and word in m for r, ln, m in found), \
            (rule, word, line, sorted(found))
    # every policy finding about content is tied to a line of the Dockerfile
    assert all(f["file"] == str(fat.dockerfile) for f in doc["findings"]
               if f["rule"] in ("FS905", "FS906", "FS907") and f.get("layer") is not None)
    # lint and image rules that see the same thing on the same line are one finding: the lint
    # location and message, the image's bytes (COPY . . → FS103 with the source bytes of FS204;
    # no USER → FS109 absorbs the config rule FS401)
    rules_at = {(f["rule"], f["line"]): f for f in doc["findings"]}
    if example == "go":  # the node and python sources are not classified as source code
        assert rules_at[("FS103", 7)]["bytes"] == rules_at[("FS905", 7)]["bytes"]
        assert ("FS204", 7) not in rules_at
    assert not any(f["rule"] == "FS401" for f in doc["findings"])
    # the size finding points at the line of the heaviest layer it names
    line_of = {a["layer"]: a["line"] for a in doc["attribution"]}
    (size,) = [f for f in doc["findings"] if f["rule"] == "FS901"]
    assert size["line"] == line_of[size["layer"]]
    # every layer attributed, none only by order
    assert all(a["line"] is not None and a["confidence"] != "low" for a in doc["attribution"])
