"""``inspect --format cyclonedx|spdx``: documents that the standards' own libraries validate
(cyclonedx-python-lib's JSON schema validator for CycloneDX 1.6, spdx-tools' parser and
validator for SPDX 2.3), whose PyPI components are exactly what ``pip list`` prints inside the
running image (podman), whose Debian and npm components are exactly what ``dpkg-query -W`` and
``npm ls --all`` print there, and that carry purl, licence, introducing layer and bytes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import finalstage
from finalstage.analysis.packages.model import Ecosystem, Package
from finalstage.report import render
from finalstage.report.sbom import purl_parts

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(os.environ.get("FINALSTAGE_BENCH_IMAGES", "/tmp/images"))
PODMAN = ["podman", "--runtime", shutil.which("runc") or "runc", "--cgroup-manager", "cgroupfs",
          "run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
          "--network", "none"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def validate_cyclonedx(text: str) -> dict:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6" and doc["metadata"]["component"]["type"] == "container"
    return doc


def validate_spdx(text: str, tmp_path: Path) -> dict:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    path = tmp_path / "sbom.spdx.json"
    path.write_text(text, encoding="utf-8")
    messages = validate_full_spdx_document(parse_file(str(path)))
    assert messages == [], [m.validation_message for m in messages[:5]]
    doc = json.loads(text)
    assert doc["spdxVersion"] == "SPDX-2.3"
    return doc


def pypi_of_cyclonedx(doc: dict) -> set[tuple[str, str]]:
    return {(_norm(c["name"]), c["version"]) for c in doc["components"]
            if c["purl"].startswith("pkg:pypi/")}


def pypi_of_spdx(doc: dict) -> set[tuple[str, str]]:
    out = set()
    for p in doc["packages"]:
        purls = [r["referenceLocator"] for r in p.get("externalRefs", ())
                 if r["referenceType"] == "purl"]
        if purls and purls[0].startswith("pkg:pypi/"):
            out.add((_norm(p["name"]), p["versionInfo"]))
    return out


def pip_list(image: str) -> set[tuple[str, str]]:
    done = subprocess.run([*PODMAN, "--entrypoint", "[]", image, "pip", "list", "--format",
                           "json"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {(_norm(p["name"]), p["version"]) for p in json.loads(done.stdout)}


def check_pypi_against_pip(reference: str, image: str, tmp_path: Path) -> set[tuple[str, str]]:
    report = finalstage.inspect(reference)
    cdx = validate_cyclonedx(render(report, "cyclonedx"))
    spdx = validate_spdx(render(report, "spdx"), tmp_path)
    installed = pip_list(image)
    assert pypi_of_cyclonedx(cdx) == installed
    assert pypi_of_spdx(spdx) == installed
    for component in cdx["components"]:
        props = {p["name"]: p["value"] for p in component.get("properties", ())}
        if component["purl"].startswith("pkg:pypi/"):   # RECORD-less ones are dpkg's files
            assert int(props["finalstage:layer"]) >= 0
            assert int(props.get("finalstage:bytes", 0)) >= 0
    assert any(int(p["value"]) > 0 for c in cdx["components"] for p in c.get("properties", ())
               if c["purl"].startswith("pkg:pypi/") and p["name"] == "finalstage:bytes")
    return installed


def test_shipped_example_documents_validate(tmp_path: Path) -> None:
    report = finalstage.inspect(str(ROOT / "examples/images/busybox-fat.tar"))
    validate_cyclonedx(render(report, "cyclonedx"))
    validate_spdx(render(report, "spdx"), tmp_path)


def test_purls() -> None:
    def p(eco: Ecosystem, name: str, version: str = "1", arch: str | None = None) -> Package:
        return Package(eco, name, version, "x", arch=arch)

    assert purl_parts(p(Ecosystem.DEB, "libc6", "2.36-9", "amd64")) == \
        ("deb", "debian", "libc6", {"arch": "amd64"})
    assert purl_parts(p(Ecosystem.DEB, "bash", "5.1-6ubuntu1"))[1] == "ubuntu"
    assert purl_parts(p(Ecosystem.NPM, "@types/node")) == ("npm", "@types", "node", {})
    assert purl_parts(p(Ecosystem.PYPI, "Flask_Login")) == ("pypi", None, "flask-login", {})
    assert purl_parts(p(Ecosystem.GOLANG, "golang.org/x/net")) == \
        ("golang", "golang.org/x", "net", {})
    assert purl_parts(p(Ecosystem.MAVEN, "org.slf4j:slf4j-api")) == \
        ("maven", "org.slf4j", "slf4j-api", {})


def test_missing_library_is_one_line() -> None:
    code = ("import sys; sys.modules['cyclonedx'] = None; sys.modules['spdx_tools'] = None\n"
            "from finalstage.cli import main\n"
            f"main(['inspect', {str(ROOT / 'examples/images/busybox-minimal.tar')!r}, "
            "'--no-cache', '--format', sys.argv[1]])")
    for fmt in ("cyclonedx", "spdx"):
        done = subprocess.run([sys.executable, "-c", code, fmt], capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and "finalstage[sbom]" in done.stderr


def test_sbom_is_for_inspect_only(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "finalstage", "check",
                           str(ROOT / "examples/images/busybox-minimal.tar"), "--format", "spdx"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "html" in done.stderr


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_example_python_pypi_components_are_pip_list(built_image, tmp_path: Path) -> None:
    fat = built_image("python", "fat")
    installed = check_pypi_against_pip(str(fat.docker_archive), fat.name, tmp_path)
    assert {"pytest", "ruff"} <= {name for name, _ in installed}  # requirements-dev.txt


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_bench_fat_python(tmp_path: Path) -> None:
    archive = BENCH / "fat-python.tar"
    if not archive.exists():
        pytest.skip(f"bench image {archive} not built (../shared/bench/build-images.sh)")
    check_pypi_against_pip(str(archive), "localhost/fat-python", tmp_path)


def podman_lines(image: str, script: str) -> list[str]:
    done = subprocess.run([*PODMAN, "--entrypoint", "sh", image, "-c", script],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def of_ecosystem(doc: dict, kind: str) -> list[dict]:
    return [c for c in doc["components"] if c["purl"].startswith(f"pkg:{kind}/")]


def podman_has(image: str) -> None:
    probe = subprocess.run(["podman", "image", "exists", image], capture_output=True,
                           timeout=60, check=False) if shutil.which("podman") else None
    if probe is None or probe.returncode != 0:
        pytest.skip(f"{image} is not in podman storage (../shared/bench/build-images.sh)")


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", ["fat-python", "fat-node"])
def test_bench_deb_and_npm_components_are_dpkg_and_npm_ls(name: str) -> None:
    """Every Debian package ``dpkg-query`` lists, with its version, and nothing else; for the
    Node image, one npm component per package directory ``npm ls --all`` resolves in /app (the
    others are Debian's node modules under /usr/share/nodejs, which dpkg owns)."""
    archive, image = BENCH / f"{name}.tar", f"localhost/{name}"
    if not archive.exists():
        pytest.skip(f"bench image {archive} not built (../shared/bench/build-images.sh)")
    podman_has(image)
    doc = validate_cyclonedx(render(finalstage.inspect(str(archive)), "cyclonedx"))
    dpkg = {tuple(line.split("\t")) for line in podman_lines(
        image, "dpkg-query -W -f '${Package}\\t${Version}\\n'")}
    assert {(c["name"], c["version"]) for c in of_ecosystem(doc, "deb")} == dpkg
    if name != "fat-node":
        return
    resolved = set(podman_lines(image, "cd /app && npm ls --all --parseable 2>/dev/null; true"))
    locations = {props["finalstage:location"].removesuffix("/package.json")
                 for props in ({p["name"]: p["value"] for p in c["properties"]}
                               for c in of_ecosystem(doc, "npm"))}
    assert {loc for loc in locations if loc.startswith("/app/")} == resolved - {"/app"}
    assert all(loc.startswith(("/app/", "/usr/share/nodejs/")) for loc in locations)
