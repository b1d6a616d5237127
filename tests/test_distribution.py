"""Distribution (issue 21.10): the LICENSE matches the metadata, the project URLs reach SARIF,
the sdist holds the tests and docs, and the wheel installs into a fresh virtualenv — resolving
typer and click as a new user's pip would — and runs.

``dist`` builds both with ``python -m build`` (what ``make dist`` runs) once per session;
``fresh_venv`` is a new virtualenv with nothing but that wheel and what pip resolves for it.
"""

from __future__ import annotations

import email
import json
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``python -m build``: the sdist, then the wheel built from it."""
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("finalstage-*.whl")
    (sdist,) = out.glob("finalstage-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="session")
def fresh_venv(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with the wheel installed; its bin directory."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(home)
    done = subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           str(dist["wheel"])], capture_output=True, text=True, timeout=900,
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home / "bin"


def _run(bin_dir: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, cwd=cwd,
                          env=env, check=False)


def test_license_file_is_the_license_the_metadata_names() -> None:
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text


def test_the_wheel_carries_license_urls_and_schemas(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = wheel.namelist()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = email.message_from_bytes(wheel.read(meta_name))
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert meta["License-Expression"] == "Apache-2.0"
    urls = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL"))
    assert urls == PYPROJECT["project"]["urls"]
    for schema in ("findings", "inspect", "ls", "rules"):
        assert f"finalstage/report/schemas/{schema}-v1.schema.json" in names


def test_the_sdist_holds_tests_docs_and_examples(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for needed in ("LICENSE", "README.md", "Makefile", "action.yml", ".pre-commit-hooks.yaml",
                   "pyproject.toml", "tests/conftest.py", "tests/test_distribution.py",
                   "tests/report/data/sarif-schema-2.1.0.json", "tests/harness/build.py",
                   "docs/ci.md", "docs/json-schema.md", "docs/rules/README.md",
                   "examples/go/Dockerfile", "scripts/system-deps.sh",
                   "src/finalstage/report/schemas/findings-v1.schema.json"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_fresh_install_runs(fresh_venv: Path, tmp_path: Path) -> None:
    version = _run(fresh_venv, "finalstage", "--version")
    assert version.returncode == 0 and version.stdout.strip() == \
        f"finalstage {PYPROJECT['project']['version']}"
    lint = _run(fresh_venv, "finalstage", "lint", "examples/go/Dockerfile.fat", "--format",
                "json")
    assert lint.returncode == 1, lint.stderr
    assert "FS101" in {f["rule"] for f in json.loads(lint.stdout)["findings"]}
    image = ROOT / "examples" / "images" / "busybox-fat.tar"
    if image.is_file():
        sarif = tmp_path / "x.sarif"
        check = _run(fresh_venv, "finalstage", "check", str(image), "-o", f"sarif={sarif}",
                     "-q")
        assert check.returncode == 1, check.stderr
        doc = json.loads(sarif.read_text())
        driver = doc["runs"][0]["tool"]["driver"]
        urls = PYPROJECT["project"]["urls"]
        assert driver["informationUri"] == urls["Homepage"]
        assert {r["helpUri"] for r in driver["rules"] if r["id"] == "FS401"} == \
            {f"{urls['Documentation']}/rules/root-user.md"}


def test_fresh_install_help_is_clean(fresh_venv: Path) -> None:
    # the typer and click a new user gets: argument help shown, no markup escapes
    versions = _run(fresh_venv, "python", "-c",
                    "from importlib.metadata import version as v; print(v('typer'), v('click'))")
    typer_version, click_version = versions.stdout.split()
    assert re.fullmatch(r"0\.(1[2-9]|20)\.\d+", typer_version), typer_version
    assert re.fullmatch(r"8\.[1-4]\.\d+", click_version), click_version
    helped = _run(fresh_venv, "finalstage", "check", "--help")
    assert helped.returncode == 0
    assert "\\[" not in helped.stdout
    assert "Image reference: docker-archive:" in helped.stdout
    root = _run(fresh_venv, "finalstage", "--help").stdout
    assert "Exit codes:" in root and "--install-completion" in root
    typo = _run(fresh_venv, "finalstage", "chek")
    assert typo.returncode == 2 and typo.stderr.count("Did you mean") == 1


def test_the_documented_rule_pages_exist() -> None:
    # helpUri points at docs/rules/<name>.md under the Documentation URL: every page is there
    from finalstage.rules import ALL_RULES

    documentation = PYPROJECT["project"]["urls"]["Documentation"]
    assert documentation.endswith("/docs")
    for rule in ALL_RULES:
        assert (ROOT / "docs" / "rules" / f"{rule.name}.md").is_file(), rule.name
