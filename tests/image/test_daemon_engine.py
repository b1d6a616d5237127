"""docker-daemon: a real podman Docker-API service on a unix socket, compared with the OCI layout."""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

import hashlib
import os
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

from finalstage.errors import FinalstageError, ImageError, ImageNotFoundError, UsageError
from finalstage.image import daemon
from finalstage.image.core import ImageCore

pytestmark = [pytest.mark.engine, pytest.mark.corpus, pytest.mark.timeout(180)]


def test_single_image_matches_layout(podman_store: PodmanStore) -> None:
    core = daemon.open_core(SINGLE, host=podman_store.docker_host)
    assert isinstance(core, ImageCore)
    assert core.describe() == f"docker-daemon:{SINGLE}"
    assert_uncompressed_copy_of_layout(core, SINGLE_OCI, blob_digest_known=False)
    core.close()


def test_docker_host_env_and_platform(
    podman_store: PodmanStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", podman_store.docker_host)
    core = daemon.open_core(MULTI_ARM64, platform="linux/arm64")
    assert_uncompressed_copy_of_layout(
        core, MULTI_OCI, ref=MULTI_REF, platform=("linux", "arm64"), blob_digest_known=False
    )
    with pytest.raises(
        ImageNotFoundError, match="no image for platform linux/amd64; available: linux/arm64"
    ):
        daemon.open_core(MULTI_ARM64, platform="linux/amd64")


def test_open_image_dispatch(podman_store: PodmanStore, monkeypatch: pytest.MonkeyPatch) -> None:
    open_mod = pytest.importorskip("finalstage.image.open")
    monkeypatch.setenv("DOCKER_HOST", podman_store.docker_host)
    image = open_mod.open_image(f"docker-daemon:{SINGLE}")
    assert image.config_digest == expected_from_layout(SINGLE_OCI).config_digest
    image.scan()  # verifies every layer's digest and diff_id while streaming


def test_missing_image_is_not_found(podman_store: PodmanStore) -> None:
    with pytest.raises(ImageNotFoundError) as info:
        daemon.open_core("localhost/finalstage-test/nope:1", host=podman_store.docker_host)
    assert str(info.value) == (
        f"image not found in docker daemon at {podman_store.docker_host}: "
        "localhost/finalstage-test/nope:1"
    )


def test_spool_is_removed_on_close(podman_store: PodmanStore) -> None:
    core = daemon.open_core(SINGLE, host=podman_store.docker_host)
    spool = Path(core.spool_dir)
    assert spool.is_dir()
    core.close()
    assert not spool.exists()


def test_missing_socket_is_one_line(tmp_path: Path) -> None:
    sock = tmp_path / "nope.sock"
    with pytest.raises(ImageError) as info:
        daemon.open_core("x:1", host=f"unix://{sock}")
    assert str(info.value) == f"connecting to docker daemon at unix://{sock}: no such socket {sock}"


def test_socket_that_is_not_a_daemon(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "dead.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))  # bound but not listening: connection refused
    try:
        with pytest.raises(ImageError) as info:
            daemon.open_core("x:1", host=f"unix://{path}")
        assert "\n" not in str(info.value)
        assert str(info.value).startswith(f"saving x:1 from docker daemon at unix://{path}: ")
    finally:
        s.close()


@pytest.mark.parametrize("host", ["ssh://me@box", "unix://", "npipe:////./pipe/docker"])
def test_unsupported_hosts(host: str) -> None:
    with pytest.raises(UsageError):
        daemon.open_core("x:1", host=host)


@pytest.mark.parametrize("name", ["", "a b", "x\n1"])
def test_bad_names(name: str) -> None:
    with pytest.raises(UsageError):
        daemon.open_core(name, host="unix:///nonexistent")


def test_default_host_prefers_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/x.sock")
    assert daemon._default_host() == "unix:///tmp/x.sock"
    monkeypatch.delenv("DOCKER_HOST")
    expected = next(
        (f"unix://{p}" for p in daemon.DEFAULT_SOCKETS if os.path.exists(p)),
        None,
    )
    if expected is not None:
        assert daemon._default_host() == expected
    assert issubclass(ImageNotFoundError, FinalstageError)
    assert hashlib  # imported for parity with the storage tests
