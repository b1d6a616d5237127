"""containers-storage: images loaded into a private store with skopeo, compared with the layout."""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

from pathlib import Path

import pytest
from tests.harness.daemon import MULTI_ARM64, SINGLE, PodmanStore, podman_store  # noqa: F401
from tests.harness.registry import (
    MULTI_OCI,
    MULTI_REF,
    SINGLE_OCI,
    assert_uncompressed_copy_of_layout,
    expected_from_layout,
)

from finalstage.errors import ImageError, ImageNotFoundError, UsageError
from finalstage.image import storage
from finalstage.image.core import ImageCore

pytestmark = [pytest.mark.engine, pytest.mark.corpus, pytest.mark.timeout(180)]


def test_single_image_matches_layout(podman_store: PodmanStore) -> None:
    core = storage.open_core(podman_store.prefix + SINGLE)
    assert isinstance(core, ImageCore)
    assert core.describe() == f"containers-storage:{podman_store.prefix}{SINGLE}"
    assert_uncompressed_copy_of_layout(core, SINGLE_OCI, blob_digest_known=True)
    tmp = Path(core.spool_dir)
    core.close()
    assert not tmp.exists()


def test_platform_check(podman_store: PodmanStore) -> None:
    core = storage.open_core(podman_store.prefix + MULTI_ARM64, platform="linux/arm64/v8")
    assert_uncompressed_copy_of_layout(
        core, MULTI_OCI, ref=MULTI_REF, platform=("linux", "arm64"), blob_digest_known=True
    )
    with pytest.raises(ImageNotFoundError, match="available: linux/arm64"):
        storage.open_core(podman_store.prefix + MULTI_ARM64, platform="linux/amd64")


def test_open_image_dispatch(podman_store: PodmanStore) -> None:
    open_mod = pytest.importorskip("finalstage.image.open")
    image = open_mod.open_image(f"containers-storage:{podman_store.prefix}{SINGLE}")
    assert image.config_digest == expected_from_layout(SINGLE_OCI).config_digest
    image.scan()


def test_missing_image(podman_store: PodmanStore) -> None:
    name = podman_store.prefix + "localhost/finalstage-test/nope:1"
    with pytest.raises(ImageNotFoundError) as info:
        storage.open_core(name)
    assert str(info.value) == f"image not found in containers-storage: {name}"


def test_bad_store_spec_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ImageError) as info:
        storage.open_core("[nosuchdriver@/nonexistent+/nonexistent]x:1")
    assert "\n" not in str(info.value)


def test_without_skopeo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImageError, match="needs skopeo"):
        storage.open_core("localhost/x:1")


@pytest.mark.parametrize("name", ["", "a b", "x\ny"])
def test_bad_names(name: str) -> None:
    with pytest.raises(UsageError):
        storage.open_core(name)
