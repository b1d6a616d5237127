"""Analysis of real images built by shared/bench (podman storage), checked against the package
managers' own answers run inside the same images (npm ls, pip, dpkg-query, go version -m)."""

from __future__ import annotations

import json

import pytest
from _analysis_helpers import analyze_container_paths, podman_image, podman_output

from finalstage.analysis.categories import Category
from finalstage.analysis.model import Analysis
from finalstage.analysis.packages.model import Ecosystem

pytestmark = [pytest.mark.engine, pytest.mark.slow]


@pytest.fixture(scope="module")
def fat_node() -> tuple[str, Analysis]:
    image = podman_image("localhost/fat-node")
    return image, analyze_container_paths(image, "app")


def test_fat_node_dev_flags_match_npm_ls(fat_node: tuple[str, Analysis]) -> None:
    image, analysis = fat_node
    prod = podman_output(image, "sh", "-c",
                         "cd /app && npm ls --all --omit=dev --parseable 2>/dev/null; true")
    everything = podman_output(image, "sh", "-c",
                               "cd /app && npm ls --all --parseable 2>/dev/null; true")
    prod_dirs = {line.strip("/") for line in prod.decode().splitlines()} - {"app"}
    all_dirs = {line.strip("/") for line in everything.decode().splitlines()} - {"app"}
    npm = [p for p in analysis.packages if p.ecosystem == Ecosystem.NPM]
    ours_all = {p.location.rsplit("/package.json", 1)[0] for p in npm}
    ours_prod = {p.location.rsplit("/package.json", 1)[0] for p in npm if not p.is_dev}
    assert len(all_dirs) > 100
    assert ours_all == all_dirs
    assert ours_prod == prod_dirs
    # typescript/eslint/jest are dev, express is not
    by_name = {p.name: p for p in npm if p.location.count("node_modules") == 1}
    assert by_name["typescript"].is_dev and by_name["eslint"].is_dev and by_name["jest"].is_dev
    assert not by_name["express"].is_dev


def test_fat_node_categories(fat_node: tuple[str, Analysis]) -> None:
    _, analysis = fat_node
    dev = analysis.categories[Category.DEV_DEPENDENCY]
    assert dev.bytes > 30_000_000  # typescript alone is ~20 MB
    assert any(path.startswith("app/node_modules/typescript/") for path, _ in dev.top)
    assert analysis.categories[Category.TESTS].files >= 1  # app/tests
    assert analysis.category_of["app/tsconfig.json"] == Category.SOURCE
    assert analysis.secrets == ()


@pytest.fixture(scope="module")
def fat_python() -> tuple[str, Analysis]:
    image = podman_image("localhost/fat-python")
    return image, analyze_container_paths(
        image, "app", "usr/local/lib/python3.11/dist-packages", "usr/lib/python3/dist-packages",
        "usr/local/bin")


def _pep503(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def test_fat_python_distributions_match_pip_list(fat_python: tuple[str, Analysis]) -> None:
    image, analysis = fat_python
    listed = json.loads(podman_output(image, "python3", "-m", "pip", "list", "--format=json"))
    expected = {(_pep503(d["name"]), d["version"]) for d in listed}
    ours = {(_pep503(p.name), p.version) for p in analysis.packages if p.ecosystem == "pypi"}
    assert len(expected) > 10
    assert ours == expected
    pytest_dist = next(p for p in analysis.packages if p.name == "pytest")
    assert pytest_dist.is_dev and pytest_dist.bytes and pytest_dist.bytes > 100_000
    flask = next(p for p in analysis.packages if p.name.lower() == "flask")
    assert not flask.is_dev
    # RECORD lists the console script outside site-packages
    assert "usr/local/bin/pytest" in pytest_dist.files


def test_fat_python_secrets_paths_only(fat_python: tuple[str, Analysis]) -> None:
    _, analysis = fat_python
    assert {(s.path, s.kind) for s in analysis.secrets} >= {
        ("app/.env", "env-file"), ("app/deploy/id_ed25519", "ssh-private-key")}
    text = repr(analysis) + repr(analysis.secrets) + "".join(analysis.warnings)
    for value in ("FAKE-not-a-real-password", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI",
                  "FAKE-flask-secret", "RkFLRS1LRVkt"):
        assert value not in text


def test_fat_python_categories(fat_python: tuple[str, Analysis]) -> None:
    _, analysis = fat_python
    assert analysis.category_of["app/.git/HEAD"] == Category.SOURCE
    assert analysis.category_of["app/Dockerfile"] == Category.SOURCE
    assert analysis.categories[Category.TESTS].files >= 1
    assert analysis.categories[Category.DEV_DEPENDENCY].bytes > 1_000_000  # pytest and friends
    assert analysis.categories[Category.PACKAGE_MANAGER].bytes > 1_000_000  # pip


def _go_version_m(text: str) -> dict[str, tuple[str, str, tuple[str, str], list[tuple[str, str]],
                                             list[tuple[str, str]]]]:
    """Parse ``go version -m`` output: binary → (go version, path, main, deps, settings)."""
    out: dict[str, tuple[str, str, tuple[str, str], list[tuple[str, str]],
                         list[tuple[str, str]]]] = {}
    current = ""
    for line in text.splitlines():
        if not line.startswith("\t"):
            current, _, version = line.rpartition(": ")
            out[current] = (version, "", ("", ""), [], [])
            continue
        fields = line.strip("\t").split("\t")
        version, path, main, deps, settings = out[current]
        if fields[0] == "path":
            out[current] = (version, fields[1], main, deps, settings)
        elif fields[0] == "mod":
            out[current] = (version, path, (fields[1], fields[2]), deps, settings)
        elif fields[0] == "dep":
            deps.append((fields[1], fields[2]))
        elif fields[0] == "=>":
            deps[-1] = (fields[1], fields[2])
        elif fields[0] == "build":
            key, _, value = fields[1].partition("=")
            settings.append((key, value))
    return out


def test_go_buildinfo_matches_go_version_m() -> None:
    image = podman_image("localhost/fat-go")
    binaries = ["usr/local/bin/hello-server", "usr/lib/go-1.19/bin/go"]
    expected = _go_version_m(podman_output(
        image, "version", "-m", *("/" + b for b in binaries), entrypoint="go").decode())
    analysis = analyze_container_paths(image, *binaries)
    elves = {f.path: f.info for f in analysis.elf_files}
    for binary in binaries:
        go = elves[binary].go
        assert go is not None
        version, path, main, deps, settings = expected["/" + binary]
        assert (go.go_version, go.path, go.main, list(go.deps), list(go.settings)) == (
            version, path, main, deps, settings)
    stdlib = [p for p in analysis.packages if p.ecosystem == Ecosystem.GOLANG and p.name == "stdlib"]
    assert len(stdlib) == len(binaries)


# Module-mode binaries with many dependencies that happen to be on the host (skipped if absent):
# the Go toolchain in the fat-go image reads them through a read-only bind mount.
HOST_GO_BINARIES = ["/usr/local/bin/terraform", "/usr/lib/google-cloud-sdk/bin/kubectl"]


@pytest.mark.parametrize("host_binary", HOST_GO_BINARIES)
def test_go_buildinfo_with_deps_matches_go_version_m(host_binary: str) -> None:
    from pathlib import Path

    from finalstage.analysis import elf

    binary = Path(host_binary)
    if not binary.is_file():
        pytest.skip(f"{binary} is not on this host")
    image = podman_image("localhost/fat-go")
    text = podman_output(image, "version", "-m", "/probe", entrypoint="go",
                         extra=["-v", f"{binary}:/probe:ro"]).decode()
    version, path, main, deps, settings = _go_version_m(text)["/probe"]
    go = elf.parse(binary.read_bytes()).go
    assert go is not None
    assert len(deps) > 20
    assert (go.go_version, go.path, go.main, list(go.deps), list(go.settings)) == (
        version, path, main, deps, settings)
