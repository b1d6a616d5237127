"""A real podman Docker-API service and a private containers-storage for the daemon/storage tests.

``podman_store`` (session fixture) makes a throw-away containers-storage (vfs driver, under the
session's tmp dir, so the machine's own images and other test sessions are never touched),
loads corpus images into it with ``skopeo copy oci:… containers-storage:[vfs@ROOT+RUN]NAME``,
and starts ``podman system service --time=0 unix://TMP/podman.sock`` on that same store. The
service is stopped at session end (and dies with pytest: PDEATHSIG).

Loaded images:
- ``localhost/finalstage-test/single:1`` from trivy's ``test.oci`` (one gzip layer);
- ``localhost/finalstage-test/multi:arm64``: the linux/arm64 image of regclient ``testrepo:v3``.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.harness.registry import (
    MULTI_OCI,
    MULTI_REF,
    SINGLE_OCI,
    _die_with_parent,
    need_tools,
    shared,
)

SINGLE = "localhost/finalstage-test/single:1"
MULTI_ARM64 = "localhost/finalstage-test/multi:arm64"


@dataclass(frozen=True)
class PodmanStore:
    """The private store: ``prefix`` is the ``[vfs@ROOT+RUN]`` containers-storage selector."""

    root: Path
    runroot: Path
    socket: Path

    @property
    def prefix(self) -> str:
        return f"[vfs@{self.root}+{self.runroot}]"

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"


def _load(store_prefix: str, src: str, name: str, *extra: str) -> None:
    res = subprocess.run(
        ["skopeo", "copy", "--quiet", *extra, src, f"containers-storage:{store_prefix}{name}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if res.returncode != 0:
        raise RuntimeError(f"loading {name} into containers-storage failed: {res.stderr.strip()}")


@pytest.fixture(scope="session")
def podman_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodmanStore]:
    """The private store with the test images, and a podman service on it."""
    with shared("podman_store", lambda: _start_podman(tmp_path_factory)) as store:
        yield store


@contextmanager
def _start_podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodmanStore]:
    need_tools("podman", "skopeo")
    base = tmp_path_factory.mktemp("podman")
    store = PodmanStore(base / "root", base / "run", base / "podman.sock")
    _load(store.prefix, f"oci:{SINGLE_OCI}", SINGLE)
    _load(
        store.prefix,
        f"oci:{MULTI_OCI}:{MULTI_REF}",
        MULTI_ARM64,
        "--override-os=linux",
        "--override-arch=arm64",
    )
    log = open(base / "service.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [
            "podman",
            "--root",
            str(store.root),
            "--runroot",
            str(store.runroot),
            "--storage-driver",
            "vfs",
            "system",
            "service",
            "--time=0",
            store.docker_host,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads yet at fixture start
    )
    try:
        deadline = time.monotonic() + 30
        while not store.socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"podman system service did not start: {(base / 'service.log').read_text()}"
                )
            time.sleep(0.05)
        yield store
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
