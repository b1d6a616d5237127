"""The pure parts of the build harness (no container tools needed) and the examples' contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.harness.build import (
    EXAMPLES,
    STANDINS,
    VARIANTS,
    Builder,
    HarnessError,
    apt_mirror,
    cache_dir,
    from_images,
    parse_deb822_uris,
    parse_sources_list,
    qualify,
)

REPO = Path(__file__).resolve().parents[2]


def test_deb822_uris_in_order_skipping_disabled_and_deb_src() -> None:
    text = (
        "Types: deb\n# a comment: with colon\nURIs: http://mirror.example/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n\n"
        "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\n"
        "Types: deb\nEnabled: no\nURIs: http://off.example/debian\nSuites: bookworm\n\n"
        "Types: deb deb-src\nURIs: http://a.example/debian http://b.example/debian\n"
    )
    assert parse_deb822_uris(text) == [
        "http://mirror.example/debian", "http://a.example/debian", "http://b.example/debian"]


def test_sources_list_lines_with_options_and_comments() -> None:
    text = (
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://opt.example/debian bookworm main\n"
        "deb http://plain.example/debian bookworm main # trailing\n"
        "garbage line\n"
    )
    assert parse_sources_list(text) == ["http://opt.example/debian", "http://plain.example/debian"]


def test_apt_mirror_prefers_deb822_and_skips_security(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "a.sources").write_text(
        "Types: deb\nURIs: http://sec.example/debian-security\nSuites: bookworm-security\n")
    (tmp_path / "sources.list.d" / "b.sources").write_text(
        "Types: deb\nURIs: http://main.example/debian\nSuites: bookworm\n")
    (tmp_path / "sources.list").write_text("deb http://legacy.example/debian bookworm main\n")
    assert apt_mirror(tmp_path) == "http://main.example/debian"


def test_apt_mirror_falls_back_to_sources_list_and_survives_garbage(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "bad.sources").write_bytes(b"\xff\xfe\x00binary")
    (tmp_path / "sources.list").write_text("deb http://legacy.example/debian bookworm main\n")
    assert apt_mirror(tmp_path) == "http://legacy.example/debian"
    assert apt_mirror(tmp_path / "missing") is None


def test_from_images_skips_stages_scratch_and_flags() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM --platform=$BUILDPLATFORM golang:1.22-bookworm AS build\n"
        "RUN echo \\\n FROM not-an-image\n"
        "from build AS test\n"
        "FROM scratch AS empty\n"
        "FROM gcr.io/distroless/static-debian12\n"
        "COPY --from=build /out/app /app\n"
    )
    assert from_images(text) == ["golang:1.22-bookworm", "gcr.io/distroless/static-debian12"]


@pytest.mark.parametrize(("short", "full"), [
    ("golang:1.22-bookworm", "docker.io/library/golang:1.22-bookworm"),
    ("busybox", "docker.io/library/busybox:latest"),
    ("library/node:20", "docker.io/library/node:20"),
    ("gcr.io/distroless/static-debian12", "gcr.io/distroless/static-debian12:latest"),
    ("localhost:5000/app:1", "localhost:5000/app:1"),
    ("localhost/app", "localhost/app:latest"),
])
def test_qualify_like_docker_hub_short_names(short: str, full: str) -> None:
    assert qualify(short) == full


def test_every_example_base_has_a_standin() -> None:
    names = {n for s in STANDINS.values() for n in s.names}
    for ex in EXAMPLES:
        for df in VARIANTS.values():
            for base in from_images((REPO / "examples" / ex / df).read_text()):
                assert qualify(base) in names, f"examples/{ex}/{df}: {base}"


def test_unknown_example_variant_and_dockerfile_are_clear_errors(tmp_path: Path) -> None:
    b = Builder(cache=tmp_path / "cache", examples_dir=tmp_path)
    with pytest.raises(HarnessError, match=r"unknown example 'cobol'"):
        b.build_example("cobol", "fat")
    with pytest.raises(HarnessError, match=r"unknown variant 'tiny'"):
        b.build_example("go", "tiny")
    with pytest.raises(HarnessError, match=r"reading .*Dockerfile.fat"):
        b.build_example("go", "fat")  # examples_dir has no go/
    (tmp_path / "go").mkdir()
    (tmp_path / "go" / "Dockerfile").write_text("FROM example.invalid/unknown:1\n")
    with pytest.raises(HarnessError, match=r"no local stand-in for base image"):
        b.build_example("go", "minimal")


def test_cache_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FINALSTAGE_TEST_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("FINALSTAGE_TEST_CACHE")
    assert cache_dir() == Path("/var/tmp/finalstage-test-cache")


# --- the examples themselves ------------------------------------------------------------------


@pytest.mark.parametrize("example", ["go", "node", "python", "busybox"])
def test_each_example_has_fat_and_minimal_dockerfiles(example: str) -> None:
    d = REPO / "examples" / example
    fat, minimal = (d / "Dockerfile.fat").read_text(), (d / "Dockerfile").read_text()
    # fat: one stage, shell-form CMD; minimal: several stages (except busybox), non-root, exec form
    assert sum(1 for ln in fat.splitlines() if ln.upper().startswith("FROM ")) == 1
    assert not any(ln.startswith(("USER", "ENTRYPOINT [", "CMD [")) for ln in fat.splitlines())
    assert any(ln.startswith("USER ") and " root" not in ln for ln in minimal.splitlines())
    assert any(ln.startswith(("ENTRYPOINT [", "CMD [")) for ln in minimal.splitlines())
    if example != "busybox":
        assert sum(1 for ln in minimal.splitlines() if ln.startswith("FROM ")) == 2
    assert (d / "README.md").is_file()


def test_node_lockfile_marks_dev_dependencies() -> None:
    d = REPO / "examples" / "node"
    pkg = json.loads((d / "package.json").read_text())
    lock = json.loads((d / "package-lock.json").read_text())
    packages = lock["packages"]
    for name in pkg["devDependencies"]:
        assert packages[f"node_modules/{name}"].get("dev") is True, name
    for name in pkg["dependencies"]:
        assert "dev" not in packages[f"node_modules/{name}"], name


def test_python_dev_requirements_extend_runtime_ones() -> None:
    d = REPO / "examples" / "python"
    dev = (d / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev and any(ln.startswith("pytest==") for ln in dev)
    assert (d / "tests").is_dir() and (REPO / "examples" / "node" / "tests").is_dir()
    assert list((REPO / "examples" / "go").glob("*_test.go"))


def test_no_urls_in_example_sources_and_scripts() -> None:
    # mirrors and registries come from the machine at build time, never from committed files
    files = [p for p in (REPO / "examples").rglob("*") if p.is_file() and "images" not in p.parts]
    files += [REPO / "scripts" / "demo.sh", REPO / "scripts" / "build-example-images.sh"]
    for p in files:
        if p.exists():
            for host in re.findall(r"https?://([^/:\s\"'`$]+)", p.read_text(errors="replace")):
                # loopback (self-tests) and npm's "funding" link are the only URLs expected
                assert host in {"127.0.0.1", "localhost", "github.com"}, (p.relative_to(REPO), host)
    lock = json.loads((REPO / "examples" / "node" / "package-lock.json").read_text())
    assert not any("resolved" in entry for entry in lock["packages"].values())
