"""containers-storage: images loaded into a private store with skopeo, compared with the layout."""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.harness.daemon import (  # noqa: F401
    MULTI_ARM64,
    SINGLE,
    PodmanStore,
    _load,
    podman_store,
)
from tests.harness.registry import (
    MULTI_OCI,
    MULTI_REF,
    SINGLE_OCI,
    assert_uncompressed_copy_of_layout,
    expected_from_layout,
)

from finalstage import inspect, render
from finalstage.errors import ImageError, ImageNotFoundError, UsageError
from finalstage.image import storage
from finalstage.image.core import ImageCore
from finalstage.image.open import open_image

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


# -- the digest and the ID are the ones podman and skopeo show (issue 14, item 6) ---------------


@pytest.fixture
def own_store() -> Iterator[PodmanStore]:
    """A store of the test's own (one image, one manifest); short paths: podman refuses a
    runroot longer than 50 characters, which pytest's tmp_path is."""
    if not SINGLE_OCI.is_dir():  # its tests load the corpus's OCI layout, as podman_store does
        pytest.skip(f"shared corpus not found at {SINGLE_OCI}")
    base = Path(tempfile.mkdtemp(prefix="fs-store-", dir="/tmp"))
    try:
        yield PodmanStore(base / "root", base / "run", base / "sock")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _podman(store: PodmanStore, *args: str) -> str:
    return subprocess.run(
        ["podman", "--root", str(store.root), "--runroot", str(store.runroot),
         "--storage-driver", "vfs", *args],
        capture_output=True, text=True, check=True, timeout=60).stdout


def _skopeo_digest(store: PodmanStore, name: str) -> str:
    out = subprocess.run(["skopeo", "inspect", f"containers-storage:{store.prefix}{name}"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return str(json.loads(out)["Digest"])


def _digest_id_manifest(store: PodmanStore, name: str) -> tuple[str | None, str, dict[str, Any]]:
    image = open_image(f"containers-storage:{store.prefix}{name}")
    try:
        image.scan()  # the (uncompressed) copy verifies against its own digests
        return image.digest, image.id, json.loads(image.raw_manifest or b"{}")
    finally:
        image.core.close()  # type: ignore[attr-defined]


def _store_image(store: PodmanStore, how: str, name: str, work: Path) -> None:
    """Put an image into ``store``: as pulled (gzip layers; OCI or Docker schema 2 manifest),
    or built by buildah in OCI or Docker format (uncompressed layer media types)."""
    if how == "pulled-oci":
        _load(store.prefix, f"oci:{SINGLE_OCI}", name)
    elif how == "pulled-docker":
        subprocess.run(["skopeo", "copy", "--quiet", "--format", "v2s2", f"oci:{SINGLE_OCI}",
                        f"dir:{work / 'v2s2'}"], check=True, capture_output=True, timeout=120)
        _load(store.prefix, f"dir:{work / 'v2s2'}", name)
    else:
        if shutil.which("buildah") is None:
            pytest.skip("buildah is not installed")
        (work / "hello").write_text("hello\n")
        (work / "Dockerfile").write_text("FROM scratch\nCOPY hello /hello\nLABEL a=b\n")
        subprocess.run(["buildah", "--root", str(store.root), "--runroot", str(store.runroot),
                        "--storage-driver", "vfs", "bud", "-q", "--format", how.split("-")[1],
                        "--isolation", "chroot", "-t", name, str(work)],
                       check=True, capture_output=True, timeout=300)


@pytest.mark.parametrize("how", ["pulled-oci", "pulled-docker", "built-oci", "built-docker"])
def test_digest_and_id_are_podmans_and_skopeos(own_store: PodmanStore, how: str,
                                               tmp_path: Path) -> None:
    # finalstage reads a dir: copy whose manifest names the layers uncompressed (and an oci:
    # copy used to convert a Docker-format config: another ID); digest and ID must be the
    # stored ones all the same.
    name = "localhost/finalstage-test/digest:1"
    _store_image(own_store, how, name, tmp_path)
    podman_digest, podman_id = _podman(own_store, "images", "--digests", "--no-trunc",
                                       "--format", "{{.Digest}} {{.ID}}", name).split()
    digest, image_id, manifest = _digest_id_manifest(own_store, name)
    assert digest == podman_digest == _skopeo_digest(own_store, name)
    assert image_id == podman_id
    docker = "application/vnd.docker.distribution.manifest.v2+json"
    assert (manifest.get("mediaType") == docker) == how.endswith("docker")
    if how.startswith("pulled"):  # the stored manifest names the gzip blobs, as pulled
        assert manifest["layers"][0]["mediaType"].endswith("gzip")


def test_image_with_two_manifests(own_store: PodmanStore, tmp_path: Path) -> None:
    # One image stored with two manifests (pulled as OCI, then as Docker schema 2): podman
    # lists both as RepoDigests and `podman images` shows the first; skopeo, and finalstage
    # with it, the one stored last, for either name (docs/json-schema.md says so). A digest in
    # the reference picks the other.
    _store_image(own_store, "pulled-oci", "localhost/finalstage-test/twice:oci", tmp_path)
    _store_image(own_store, "pulled-docker", "localhost/finalstage-test/twice:v2s2", tmp_path)
    repo_digests = json.loads(_podman(own_store, "image", "inspect", "--format",
                                      "{{json .RepoDigests}}", "localhost/finalstage-test/twice:oci"))
    stored = {d.split("@", 1)[1] for d in repo_digests}
    assert len(stored) == 2
    last = _skopeo_digest(own_store, "localhost/finalstage-test/twice:oci")
    for tag in ("oci", "v2s2"):
        digest, _, _ = _digest_id_manifest(own_store, f"localhost/finalstage-test/twice:{tag}")
        assert digest == last == _skopeo_digest(own_store, f"localhost/finalstage-test/twice:{tag}")
    (first,) = stored - {last}
    digest, _, _ = _digest_id_manifest(own_store, f"localhost/finalstage-test/twice@{first}")
    assert digest == first


def test_inspect_text_says_which_digest(podman_store: PodmanStore) -> None:
    text = render(inspect(f"containers-storage:{podman_store.prefix}{SINGLE}", classify=False),
                  "text")
    digest = _skopeo_digest(podman_store, SINGLE)
    assert f"digest     {digest} (the manifest containers-storage keeps, as skopeo inspect" in text
