"""Building and probing images for ``fix --verify``: buildah and podman, as the tests run them.

The build is ``buildah bud`` with the test harness's flags (chroot isolation, host network,
``--pull=never``: base images come from local storage, never a registry). The probe runs a
command in a container with no network and a deadline, and keeps its exit code and output.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from finalstage.errors import UsageError

BUD = ("buildah", "bud", "--layers", "--isolation", "chroot", "--network", "host",
       "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--pull=never")
BUILD_TIMEOUT = 1800
PROBE_TIMEOUT = 30


@dataclass(frozen=True)
class Built:
    """One build: the tag when it worked, else the tail of its log."""

    tag: str
    ok: bool
    log_tail: str


@dataclass(frozen=True)
class Probe:
    """What a probe command printed and how it ended (``exit`` None: timed out)."""

    command: str
    exit: int | None
    output: str


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise UsageError(f"fix --verify: {tool} is not installed")
    return found


def build_options(build_args: Sequence[str] = (), volumes: Sequence[str] = (),
                  secrets: Sequence[str] = ()) -> tuple[str, ...]:
    """buildah options for ``KEY=VALUE`` build args, ``HOST:CONTAINER[:ro]`` volumes mounted in
    RUN steps, and ``id=ID,src=PATH`` secrets (a proxy's CA bundle, for example)."""
    out: list[str] = []
    for flag, values in (("--build-arg", build_args), ("--volume", volumes),
                         ("--secret", secrets)):
        for value in values:
            out += [flag, value]
    return tuple(out)


def build(dockerfile: str, context: str, tag: str, options: Sequence[str] = ()) -> Built:
    """``buildah bud [options] -f dockerfile -t tag context``."""
    _need("buildah")
    try:
        done = subprocess.run([*BUD, *options, "-f", dockerfile, "-t", tag, context],
                              capture_output=True,
                              text=True, timeout=BUILD_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return Built(tag, False, f"build timed out after {BUILD_TIMEOUT}s")
    log = (done.stdout + done.stderr).strip().splitlines()
    return Built(tag, done.returncode == 0, "\n".join(log[-15:]))


def size(tag: str) -> int:
    """The image's size as podman counts it (uncompressed layers)."""
    done = subprocess.run([_need("podman"), "image", "inspect", "--format", "{{.Size}}", tag],
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise UsageError(f"fix --verify: inspecting {tag}: {done.stderr.strip()[-200:]}")
    return int(done.stdout.strip())


def probe(tag: str, args: str) -> Probe:
    """Run the image with ``args`` (given to its entrypoint), no network, with a deadline."""
    # the flags that run unprivileged here, as cst.podman runs command tests
    argv = [_need("podman"), "--runtime", shutil.which("runc") or "runc", "--cgroup-manager",
            "cgroupfs", "run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit",
            "nproc=1024:1024", "--network", "none", "--timeout", str(PROBE_TIMEOUT), tag,
            *shlex.split(args)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT + 30, check=False)
    except subprocess.TimeoutExpired:
        return Probe(args, None, f"timed out after {PROBE_TIMEOUT}s")
    # stdout only: stderr carries log lines with timestamps that differ from run to run
    return Probe(args, done.returncode, done.stdout.strip())


__all__ = ["BUD", "Built", "Probe", "build", "build_options", "probe", "size"]
