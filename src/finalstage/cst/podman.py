"""Command tests through podman: the one place finalstage runs image content, unprivileged, with
no network, ulimits and a timeout (see SECURITY.md).

podman runs with its own configuration (``containers.conf``: OCI runtime, cgroup manager,
storage); ``podman_args`` are global options put before ``run`` to override it, e.g.
``("--runtime", "runc", "--cgroup-manager", "cgroupfs")`` where the configured runtime cannot
start containers (``check --podman-arg``)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tarfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from finalstage.cst.model import CommandRunner


@contextlib.contextmanager
def podman_runner(image: str, *, image_id: str | None = None, timeout: float = 120.0,
                  podman_args: Sequence[str] = ()) -> Iterator[CommandRunner | None]:
    """A runner that uses podman (``podman_args`` before ``run``), or None without podman.

    podman loads an archive, layout or registry image into its storage to run it: when
    ``image_id`` (the config digest) was not in that storage before, it is removed again on
    leaving, so a ``check --cst`` leaves the user's storage as it found it.
    """
    podman = shutil.which("podman")
    if podman is None:
        yield None
        return
    base = [podman, *podman_args]
    hex_id = image_id.removeprefix("sha256:") if image_id else None
    # the image podman will load, when it is not in its storage yet
    loaded = hex_id if hex_id and image.startswith(_LOADED) and not _exists(base, hex_id) \
        else None

    def run(argv: Sequence[str], env: Sequence[tuple[str, str]],
            entrypoint: str | None) -> tuple[str, str, int]:
        # --quiet: podman's pull progress must not read as the command's stderr
        cmd = [*base, "run", "--rm", "--quiet", "--ulimit", "nofile=1024:1024",
               "--ulimit", "nproc=1024:1024", "--network", "none",
               "--entrypoint", entrypoint if entrypoint is not None else "[]"]
        for key, value in env:
            cmd += ["--env", f"{key}={value}"]
        cmd += [image, *argv]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return "", f"timed out after {timeout:g} s", -1
        return (done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
                done.returncode)

    try:
        yield run
    finally:
        if loaded is not None and _exists(base, loaded):  # loaded by the runs above
            subprocess.run([*base, "rmi", loaded], capture_output=True, timeout=timeout,
                           check=False)


def _exists(base: Sequence[str], image_id: str) -> bool:
    try:
        done = subprocess.run([*base, "image", "exists", image_id],
                              capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return True  # unknown: never remove what may have been there
    return done.returncode == 0


# The references podman loads into its storage to run (containers-storage: names are already
# there; a bare name resolves there first).
_LOADED = ("docker-archive:", "oci-archive:", "oci:", "docker://")


def podman_image_ref(reference: str) -> str:
    """The name podman runs for a finalstage image reference."""
    if reference.startswith("containers-storage:"):
        return reference[len("containers-storage:"):]
    if reference.startswith(_LOADED):
        return reference
    path = Path(reference)
    if path.is_dir():
        return f"oci:{reference}"
    if path.is_file():
        # finalstage tells docker-archive from oci-archive by content; podman wants the prefix
        return f"{'oci-archive' if _is_oci_tar(path) else 'docker-archive'}:{reference}"
    return reference


def _is_oci_tar(path: Path) -> bool:
    try:
        with tarfile.open(path) as tar:
            names = set(tar.getnames()[:64])
    except (OSError, tarfile.TarError):
        return False
    return "oci-layout" in names and "manifest.json" not in names


__all__ = ["podman_image_ref", "podman_runner"]
