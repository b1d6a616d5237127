"""Hostile-input tests: parametrise over the crafted corpus and print the per-class table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.harness.faultserver import FaultServer, SmallImage
from tests.hostile import _support


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    wanted = {
        "image_sample": _support.IMAGE_FORMATS,
        "dockerfile_sample": ("dockerfile",),
        "policy_sample": ("policy",),
        "config_file_sample": ("authfile", "baseline", "cst"),
    }
    is_cli = metafunc.module.__name__.endswith("test_hostile_cli")
    for name, formats in wanted.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, _support.params(metafunc.config, formats, cli=is_cli))


@pytest.fixture(scope="module")
def small_image() -> SmallImage:
    """The small image the fault-injecting registry serves (built once per module)."""
    return SmallImage.build()


@pytest.fixture
def registry(small_image: SmallImage) -> Iterator[FaultServer]:
    """A fault-injecting registry on 127.0.0.1 (tests/harness/faultserver.py)."""
    with FaultServer(image=small_image, lifetime=60) as server:
        yield server


@pytest.fixture(scope="session")
def hostile_root(pytestconfig: pytest.Config) -> Path:
    """The directory holding the session's crafted corpus (see scripts/make_hostile_corpus.py)."""
    return _support.corpus_dir(pytestconfig)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _support.TABLE:
        return
    table = _support.render_table()
    terminalreporter.write_sep("-", "hostile inputs through the CLI (per class)")
    terminalreporter.write_line(table)
    if _support._CORPUS is not None:
        (_support._CORPUS / "results.md").write_text(table + "\n")
