"""The JSON every command prints validates against the schema shipped for it (issue 21.9):
``findings-v1`` for lint and check (structure tests included), ``inspect-v1``, ``ls-v1`` and
``rules-v1``, which extend it by ``$ref``. Run through the real CLI on the shipped images."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.cli._cli import run

from finalstage.report.json import SCHEMA_PATH

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "examples" / "images"
SCHEMAS = SCHEMA_PATH.parent
FAT = IMAGES / "busybox-fat.tar"


def validator(name: str) -> Any:
    """A validator of the shipped schema ``name``, resolving ``$ref`` between the shipped ones
    by their ``$id`` (as a user's validator with the package's schemas would)."""
    registry = referencing.Registry().with_resources(
        (json.loads(p.read_text())["$id"], referencing.Resource.from_contents(
            json.loads(p.read_text()))) for p in SCHEMAS.glob("*.schema.json"))
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def errors(name: str, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in validator(name).iter_errors(document)]


def test_every_schema_is_shipped_and_documented() -> None:
    names = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    assert names == ["findings-v1.schema.json", "inspect-v1.schema.json", "ls-v1.schema.json",
                     "rules-v1.schema.json"]
    docs = (ROOT / "docs" / "json-schema.md").read_text()
    for name in names:
        assert name in docs


needs_images = pytest.mark.skipif(not FAT.is_file(), reason="examples/images not built")


@needs_images
@pytest.mark.parametrize("image", ["busybox-fat.tar", "busybox-minimal.tar", "go-minimal.oci"])
def test_inspect_and_ls_validate(image: str) -> None:
    ref = str(IMAGES / image)
    inspect = json.loads(run("inspect", ref, "--format", "json", "--top", "3").stdout)
    assert errors("inspect-v1.schema.json", inspect) == []
    assert inspect["layers"] and "categories" in inspect["contents"]
    listing = json.loads(run("ls", ref, "/", "-R", "--format", "json").stdout)
    assert errors("ls-v1.schema.json", listing) == []
    assert {e["type"] for e in listing["entries"]} >= {"file", "dir"}
    # each command's schema is its own: an inspect document is not a listing
    assert errors("ls-v1.schema.json", inspect) != []


def test_rules_validate() -> None:
    every = json.loads(run("rules", "--format", "json").stdout)
    assert errors("rules-v1.schema.json", every) == []
    one = json.loads(run("rules", "FS908", "--format", "json").stdout)  # a retired alias
    assert errors("rules-v1.schema.json", one) == []
    assert [r["code"] for r in one["rules"]] == ["FS401"] and "FS908" in one["rules"][0]["aliases"]


@needs_images
def test_check_with_structure_tests_validates(tmp_path: Path) -> None:
    cst = tmp_path / "cst.yaml"
    cst.write_text(
        "schemaVersion: 2.0.0\n"
        "fileExistenceTests:\n  - {name: app, path: /app/app.sh}\n"
        "  - {name: gone, path: /nope}\n"
        "metadataTest:\n  user: '65534:65534'\n"
        "commandTests:\n  - name: version\n    command: /app/app.sh\n    args: [--version]\n"
        "    expectedOutput: ['^hello-sh \\d+\\.\\d+\\.\\d+$']\n")
    result = run("check", str(FAT), "--cst", str(cst), "--format", "json",
                 "--podman-arg=--runtime=runc", "--podman-arg=--cgroup-manager=cgroupfs")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert errors("findings-v1.schema.json", doc) == []
    statuses = {t["name"]: t["status"] for t in doc["structure_tests"]}
    assert statuses["File Existence Test: gone"] == "fail"
    assert statuses["Metadata Test"] == "fail"  # the fat image runs as root
    if shutil.which("podman"):
        assert statuses["Command Test: version"] == "pass"
    assert {f["rule"] for f in doc["findings"] if f["message"].startswith("structure test")} \
        == {"FS911"}
