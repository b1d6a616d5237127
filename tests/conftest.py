"""Root conftest: session fixtures shared by every test area.

- ``built_image(example, variant)``: an example image from ``examples/`` built with buildah and
  exported three ways, cached across sessions (``tests/harness/build.py``, ``tests/harness/README.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# `tests.harness.*` must import however pytest was started (`python -m pytest` or `pytest`),
# and the hand-made layer builders of tests/data (`from make_layers import ...`) from any test.
for _path in (Path(__file__).resolve().parents[1], Path(__file__).resolve().parent / "data"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.harness.build import Builder, BuiltImage, HarnessError, missing_tools


@pytest.fixture(scope="session", autouse=True)
def _private_layer_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test (and every CLI it starts) uses a layer cache of its own session, never the
    user's: a cache filled by one test must not hide another test's corrupt layer."""
    import os

    if "FINALSTAGE_CACHE_DIR" not in os.environ:
        os.environ["FINALSTAGE_CACHE_DIR"] = str(tmp_path_factory.mktemp("layer-cache"))


@pytest.fixture(scope="session")
def image_builder() -> Builder:
    """The session's Builder; skips when the container tools are not installed."""
    missing = missing_tools()
    if missing:
        pytest.skip(f"container tools not installed: {', '.join(missing)} "
                    "(make test installs them via scripts/system-deps.sh)")
    return Builder()


@pytest.fixture(scope="session")
def built_image(image_builder: Builder) -> Callable[[str, str], BuiltImage]:
    """``built_image("go", "fat") -> BuiltImage``; each image is built once per session.

    Mark tests that use it ``@pytest.mark.engine`` and give them a long timeout: a cold build
    (debootstrap, apt, npm) takes minutes, a cached one well under a second.
    """
    memo: dict[tuple[str, str], BuiltImage] = {}

    def get(example: str, variant: str) -> BuiltImage:
        if (example, variant) not in memo:
            try:
                memo[example, variant] = image_builder.build_example(example, variant)
            except HarnessError as err:
                pytest.fail(f"building example image {example}/{variant}: {err}", pytrace=False)
        return memo[example, variant]

    return get


@pytest.fixture
def no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never pick up the developer's own auth files: each registry test states its credentials.
    Use with ``pytestmark = pytest.mark.usefixtures("no_ambient_credentials")``."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var in ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"):
        monkeypatch.delenv(var, raising=False)
