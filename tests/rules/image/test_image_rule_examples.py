"""Image rules on the example images, built for real with buildah (tests/harness).

Expected facts come from the examples' own files (package-lock.json, requirements-dev.txt, the
Dockerfiles), read here independently of finalstage, or were checked by hand in the images.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from finalstage.findings import Finding, Severity
from finalstage.image.open import open_image
from tests.harness.examine import Examination, examine

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

pytestmark = [pytest.mark.engine, pytest.mark.timeout(2400)]

_MEMO: dict[tuple[str, str, bool], Examination] = {}


@pytest.fixture(scope="session")
def examined(built_image: Callable[[str, str], object]) -> Callable[..., Examination]:
    """``examined("go", "fat", elf=False)``: the example image examined once per session."""

    def get(example: str, variant: str, *, elf: bool = False) -> Examination:
        key = (example, variant, elf)
        if key not in _MEMO:
            built = built_image(example, variant)
            _MEMO[key] = examine(open_image(f"docker-archive:{built.docker_archive}"), elf=elf)
        return _MEMO[key]

    return get


def by_rule(ex: Examination, code: str) -> list[Finding]:
    return [f for f in ex.findings if f.rule == code]


# -- the "done means" ------------------------------------------------------------

@pytest.mark.parametrize("example", ["go", "node", "python", "busybox"])
def test_minimal_images_have_no_error_finding(examined, example: str) -> None:
    ex = examined(example, "minimal")
    errors = [f"{f.rule} {f.message}" for f in ex.findings if f.severity >= Severity.ERROR]
    assert errors == []


def test_fs201_fires_on_the_go_toolchain_of_the_fat_go_image(examined) -> None:
    [found] = by_rule(examined("go", "fat"), "FS201")
    assert found.severity is Severity.ERROR
    assert "Go toolchain" in found.message and "gcc" in found.message
    assert any(p.startswith("/usr/lib/go-") for p in found.paths)
    assert 1 <= len(found.paths) <= 5
    assert found.bytes is not None and found.bytes > 100_000_000
    # The layer that installed golang-go (the stand-in base's apt-get layer).
    assert found.layer is not None and "golang-go" in (found.created_by or "")


def test_fs201_passes_on_minimal_images_and_busybox_applets(examined) -> None:
    assert by_rule(examined("go", "minimal"), "FS201") == []
    # busybox's `ar` applet is a link to busybox: no bytes, not a toolchain.
    assert by_rule(examined("busybox", "minimal"), "FS201") == []


def test_fs204_fires_on_the_go_source_beside_the_binary(examined) -> None:
    [found] = by_rule(examined("go", "fat"), "FS204")
    assert found.severity is Severity.ERROR
    assert {"/app/main.go", "/app/go.mod"} <= set(found.paths)
    assert "/app/server" in found.message
    assert "COPY" in (found.created_by or "")


def test_fs204_passes_on_interpreted_sources_and_minimal_images(examined) -> None:
    # node's src/*.js is the application itself, not a source tree beside a build.
    assert by_rule(examined("node", "minimal"), "FS204") == []
    assert by_rule(examined("python", "minimal"), "FS204") == []


def _lockfile_dev_packages() -> set[str]:
    lock = json.loads((EXAMPLES / "node" / "package-lock.json").read_text(encoding="utf-8"))
    return {key.rsplit("node_modules/", 1)[1] for key, meta in lock["packages"].items()
            if key and meta.get("dev")}


def test_fs206_fires_for_exactly_the_lockfile_dev_packages(examined) -> None:
    found = by_rule(examined("node", "fat"), "FS206")
    flagged = {f.paths[0].rsplit("node_modules/", 1)[1] for f in found}
    assert flagged == _lockfile_dev_packages()
    assert len(found) == len(flagged)
    for f in found:
        assert f.severity is Severity.ERROR and f.bytes and f.bytes > 0
        assert "npm install" in (f.created_by or "")


def test_fs206_fires_for_the_python_test_tools(examined) -> None:
    dev = (EXAMPLES / "python" / "requirements-dev.txt").read_text(encoding="utf-8")
    wanted = {re.split(r"[=<>~\[ ]", line.strip(), maxsplit=1)[0].lower()
              for line in dev.splitlines() if line.strip() and not line.startswith(("#", "-"))}
    flagged = {f.message.split()[2].lower() for f in by_rule(examined("python", "fat"), "FS206")}
    assert wanted and wanted <= flagged


def test_fs206_passes_on_the_minimal_node_image(examined) -> None:
    assert by_rule(examined("node", "minimal"), "FS206") == []


def test_fs205_fires_on_the_python_tests(examined) -> None:
    [found] = by_rule(examined("python", "fat"), "FS205")
    assert found.paths and all(p.startswith("/app/tests") for p in found.paths)
    [go] = by_rule(examined("go", "fat"), "FS205")
    assert go.paths == ("/app/main_test.go",)


def test_fs205_passes_on_the_distribution_python_test_package(examined) -> None:
    # /usr/lib/python3.11/test is there (Debian's libpython3.11-stdlib owns it): not the app's.
    ex = examined("python", "minimal")
    assert any(p.startswith("usr/lib/python3.11/test/") for p in ex.analysis.category_of)
    assert by_rule(ex, "FS205") == []


def test_fs301_fires_on_the_deleted_build_cache(examined) -> None:
    found = max(by_rule(examined("busybox", "fat"), "FS301"), key=lambda f: f.bytes or 0)
    assert found.paths[0] == "/app/build-cache.bin"
    # head -c 524288 wrote it; a later RUN rm deleted it (plus the chmod'ed app.sh copy).
    assert found.bytes is not None and found.bytes >= 524288
    assert "head -c 524288" in (found.created_by or "")


def test_fs301_passes_on_a_minimal_image(examined) -> None:
    assert by_rule(examined("go", "minimal"), "FS301") == []


def test_fs207_fires_on_apt_lists_left_behind(examined) -> None:
    found = by_rule(examined("python", "fat"), "FS207")
    # one finding per layer that left a cache, each with that layer's bytes
    (apt,) = [f for f in found if any(p.startswith("/var/lib/apt/lists") for p in f.paths)]
    assert apt.severity is Severity.WARNING
    assert len({f.layer for f in found}) == len(found)


def test_fs207_passes_on_the_distroless_go_image(examined) -> None:
    assert by_rule(examined("go", "minimal"), "FS207") == []


def test_fs208_fires_on_the_env_file_without_its_value(examined) -> None:
    [found] = by_rule(examined("busybox", "fat"), "FS208")
    assert found.paths == ("/app/.env",)
    assert "fake-changeme" not in found.message


def test_fs208_passes_on_minimal_images(examined) -> None:
    assert by_rule(examined("busybox", "minimal"), "FS208") == []


def test_fs209_passes_on_the_debian_base_set(examined) -> None:
    ex = examined("node", "minimal")
    assert any(s.kind == "setuid" for s in ex.analysis.special_files)  # su, passwd, mount…
    assert by_rule(ex, "FS209") == []


def test_fs302_fires_as_info_on_debian_docs(examined) -> None:
    [found] = by_rule(examined("go", "fat"), "FS302")
    assert found.severity is Severity.INFO
    assert "/usr/share/doc" in found.paths


def test_fs302_passes_on_busybox(examined) -> None:
    assert by_rule(examined("busybox", "minimal"), "FS302") == []


def test_fs303_fires_on_the_unstripped_ruff_binary(examined) -> None:
    found = by_rule(examined("python", "fat", elf=True), "FS303")
    assert found and "/usr/local/bin/ruff" in found[0].paths


def test_fs303_passes_on_debian_stripped_binaries(examined) -> None:
    ex = examined("python", "minimal", elf=True)
    assert len(ex.analysis.elf_files) > 100  # python3.11, libpython, lib-dynload/*.so…
    assert by_rule(ex, "FS303") == []


def test_fs401_and_fs402_fire_on_the_fat_images(examined) -> None:
    for example in ("go", "node", "python", "busybox"):
        ex = examined(example, "fat")
        assert [f.rule for f in ex.findings if f.rule in ("FS401", "FS402")] == ["FS401",
                                                                                "FS402"]


def test_fs203_passes_for_npm_when_the_command_runs_npm(examined) -> None:
    # CMD npm start: npm is needed at run time; dpkg/apt is not.
    found = by_rule(examined("node", "fat"), "FS203")
    assert found and all("npm" not in f.message for f in found)
    assert all(f.severity is Severity.WARNING for f in found)
