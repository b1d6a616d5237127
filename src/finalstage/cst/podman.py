"""Command tests through podman: the one place finalstage runs image content, unprivileged, with
no network, ulimits and a timeout (see SECURITY.md)."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

from finalstage.cst.model import CommandRunner


def podman_runner(image: str, *, timeout: float = 120.0) -> CommandRunner | None:
    """A runner that uses podman (with the flags that work unprivileged here), or None."""
    podman = shutil.which("podman")
    if podman is None:
        return None

    def run(argv: Sequence[str], env: Sequence[tuple[str, str]],
            entrypoint: str | None) -> tuple[str, str, int]:
        cmd = [podman, "--runtime", shutil.which("runc") or "runc",
               "--cgroup-manager", "cgroupfs", "run", "--rm",
               "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none",
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

    return run


def podman_image_ref(reference: str) -> str:
    """The name podman runs for a finalstage image reference."""
    if reference.startswith("containers-storage:"):
        return reference[len("containers-storage:"):]
    if reference.startswith(("docker-archive:", "oci-archive:", "oci:", "docker://")):
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
