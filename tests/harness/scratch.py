"""Images a test builds for itself: named under the test namespace, removed when it is done.

Everything the test-suite puts into containers-storage is named ``localhost/finalstage-test/…``
(``NAMESPACE``), never a public name such as ``docker.io/library/golang:1.22-bookworm``, so a
developer's own images are never shadowed and ``podman images localhost/finalstage-test/*``
shows (and ``build.py clean`` removes) all of it. The example images and the base-image
stand-ins of ``build.py`` are kept on purpose (they are the build cache); an image a single test
builds is not, so it goes through ``scratch_image``, which removes it (and the intermediate
images of its ``--layers`` build) afterwards.

``PODMAN_ARGS`` are the global podman options the tests pass to ``check --podman-arg`` for
structure-test commands: finalstage itself uses podman's configuration, but crun (the default
runtime of recent podman) cannot start containers on the machines these tests run on, so the
tests ask for runc with the cgroupfs manager.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

NAMESPACE = "localhost/finalstage-test"
PODMAN_ARGS = ("--runtime", "runc", "--cgroup-manager", "cgroupfs")
BUD = ("buildah", "bud", "--layers", "--isolation", "chroot", "--network", "host",
       "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--pull=never")


def namespaced(name: str) -> str:
    """``name`` (``cst:latest``) in the test namespace."""
    return f"{NAMESPACE}/{name}"


def is_test_name(name: str) -> bool:
    """True for an image name the tests may use (in the namespace)."""
    return name.startswith(NAMESPACE + "/")


def remove_images(names: Sequence[str]) -> None:
    """``podman rmi`` each name (children first: pass them in that order); missing is fine.
    podman also removes the untagged intermediate images nothing else uses."""
    for name in names:
        subprocess.run(["podman", "rmi", "--force", name], capture_output=True, timeout=300,
                       check=False)


@contextlib.contextmanager
def scratch_image(context: Path, name: str, *, args: Sequence[str] = (),
                  timeout: float = 600) -> Iterator[str]:
    """Build ``context`` (its ``Dockerfile``) as ``NAMESPACE/name``; yield the name; remove the
    image when the block ends, whatever happened."""
    tag = namespaced(name)
    try:
        done = subprocess.run([*BUD, "-q", *args, "-t", tag, str(context)], capture_output=True,
                              text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"building {tag}: {done.stderr.strip()[-2000:]}")
        yield tag
    finally:
        remove_images([tag])


__all__ = ["BUD", "NAMESPACE", "PODMAN_ARGS", "is_test_name", "namespaced", "remove_images",
           "scratch_image"]
