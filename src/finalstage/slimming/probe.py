"""Run one image with one probe under podman, optionally under the mounted strace.

Three probes: ``cmd`` runs the image with arguments (appended to ``ENTRYPOINT``, replacing
``CMD``, as ``podman run IMAGE ARGS`` does) and records the exit code and output; ``http``
starts the image (host network), waits until the port accepts connections and records the
status and body of one GET; ``healthcheck`` starts the image (no network) and runs its
``HEALTHCHECK`` command in it until it passes or the time is up. Containers run with the flags
that work unprivileged here (runc, cgroupfs, ulimits), are always removed, and every wait is
bounded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from finalstage.errors import UsageError
from finalstage.slimming import trace
from finalstage.slimming.model import ProbeRun

MAX_OUTPUT = 64 << 10


@dataclass(frozen=True)
class Probe:
    """What to run against both images."""

    kind: str                        # "cmd" | "http" | "healthcheck"
    args: tuple[str, ...] = ()
    port: int = 0
    paths: tuple[str, ...] = ("/",)
    check: tuple[str, ...] = ()      # the HEALTHCHECK command, as argv
    timeout: float = 120.0

    def describe(self) -> str:
        if self.kind == "cmd":
            return "run with arguments " + " ".join(self.args)
        if self.kind == "http":
            return "GET " + ", ".join(f"http://127.0.0.1:{self.port}{p}" for p in self.paths)
        return "HEALTHCHECK " + " ".join(self.check)


def http_probe(values: Sequence[str] | str) -> Probe:
    """The ``--probe-http PORT/PATH`` probe (repeatable: several paths on one port)."""
    ports, paths = set(), []
    for value in [values] if isinstance(values, str) else values:
        port, _, path = value.partition("/")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise UsageError(f"--probe-http {value!r}: expected PORT/PATH, e.g. 8080/healthz")
        ports.add(int(port))
        paths.append("/" + path)
    if len(ports) != 1:
        raise UsageError("--probe-http: every path must be on the same port")
    return Probe("http", port=ports.pop(), paths=tuple(paths))


@dataclass(frozen=True)
class Tracing:
    """The staged strace (host directory) and where its log goes."""

    host_dir: str
    out_dir: str
    loader: str
    strace: str


def podman_base() -> list[str]:
    podman = shutil.which("podman")
    if podman is None:
        raise UsageError("verification needs podman, which is not installed "
                         "(use --no-verify to write the image without the proof)")
    runtime = shutil.which("runc") or ("/usr/sbin/runc" if os.path.exists("/usr/sbin/runc")
                                       else "runc")
    return [podman, "--runtime", runtime, "--cgroup-manager", "cgroupfs"]


def _run(cmd: Sequence[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(list(cmd), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        return subprocess.CompletedProcess(list(cmd), -1, err.stdout or b"",
                                           f"timed out after {timeout:g} s".encode())


def _text(data: bytes | None) -> str:
    return (data or b"")[:MAX_OUTPUT].decode("utf-8", "replace")


def _run_flags(tracing: Tracing | None, network: str) -> list[str]:
    flags = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
             "--network", network]
    if tracing is not None:
        flags += ["-v", f"{tracing.host_dir}:{trace.MOUNT}:ro",
                  "-v", f"{tracing.out_dir}:{trace.OUT_MOUNT}", "--entrypoint", tracing.loader]
    return flags


def run_cmd(image: str, probe: Probe, argv: Sequence[str], tracing: Tracing | None) -> ProbeRun:
    """``podman run --rm IMAGE ARGS``; ``argv`` is what that runs (for the trace wrapper)."""
    cmd = [*podman_base(), "run", "--rm", *_run_flags(tracing, "none"), image]
    cmd += trace.wrap(tracing.loader, tracing.strace, list(argv), "trace")[1:] \
        if tracing is not None else list(probe.args)
    done = _run(cmd, probe.timeout)
    error = _text(done.stderr) if done.returncode == -1 else None
    return ProbeRun(image, done.returncode, _text(done.stdout), _text(done.stderr), error)


def run_http(image: str, probe: Probe, argv: Sequence[str], tracing: Tracing | None) -> ProbeRun:
    """Start the image, wait for the port, GET the path, stop it."""
    if not _port_free(probe.port):
        raise UsageError(f"--probe-http: port {probe.port} is already in use on this host")
    base = podman_base()
    name, failed = _start(base, image, argv, tracing, "host")
    if failed is not None:
        return failed
    try:
        body, error = _wait_and_get(base, name, probe)
    finally:
        _run([*base, "stop", "-t", "10", name], 60)
        logs = _run([*base, "logs", name], 60)
        _run([*base, "rm", "-f", name], 60)
    return ProbeRun(image, 0 if error is None else None, body,
                    _text(logs.stdout) + _text(logs.stderr), error)


def _start(base: list[str], image: str, argv: Sequence[str], tracing: Tracing | None,
           network: str) -> tuple[str, ProbeRun | None]:
    """Start ``image`` detached (``argv`` under the tracer when tracing); its container name,
    and a failed run when it did not start."""
    name = f"finalstage-probe-{uuid.uuid4().hex[:12]}"
    cmd = [*base, "run", "-d", "--name", name, *_run_flags(tracing, network), image]
    if tracing is not None:
        cmd += trace.wrap(tracing.loader, tracing.strace, list(argv), "trace")[1:]
    started = _run(cmd, 120)
    if started.returncode != 0:
        _run([*base, "rm", "-f", name], 60)
        return name, ProbeRun(image, None, "", _text(started.stderr),
                              "the container did not start")
    return name, None


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_and_get(base: list[str], name: str, probe: Probe) -> tuple[str, str | None]:
    deadline = time.monotonic() + probe.timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", probe.port), timeout=1):
                break
        except OSError:
            state = _run([*base, "inspect", "-f", "{{.State.Running}}", name], 30)
            if _text(state.stdout).strip() == "false":
                return "", "the container exited before its port opened"
            time.sleep(0.25)
    else:
        return "", f"port {probe.port} did not open within {probe.timeout:g} s"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    out: list[str] = []
    error = None
    for path in probe.paths:
        try:
            with opener.open(f"http://127.0.0.1:{probe.port}{path}", timeout=30) as resp:
                out.append(f"GET {path} -> HTTP {resp.status}\n{_text(resp.read())}")
        except urllib.error.HTTPError as err:
            out.append(f"GET {path} -> HTTP {err.code}\n{_text(err.read())}")
            error = error or f"GET {path}: HTTP status {err.code}"
        except (OSError, urllib.error.URLError) as err:
            out.append(f"GET {path} -> failed")
            error = error or f"GET {path} failed: {err}"
    return "\n".join(out), error


def run_healthcheck(image: str, probe: Probe, argv: Sequence[str],
                    tracing: Tracing | None) -> ProbeRun:
    """Start the image and run its HEALTHCHECK until it passes (or the time is up)."""
    base = podman_base()
    name, failed = _start(base, image, argv, tracing, "none")
    if failed is not None:
        return failed
    check = list(probe.check)
    if tracing is not None:
        check = trace.wrap(tracing.loader, tracing.strace, check, "trace-check")
    try:
        deadline = time.monotonic() + probe.timeout
        done = _run([*base, "exec", name, *check], probe.timeout)
        while done.returncode != 0 and time.monotonic() < deadline:
            time.sleep(1)
            done = _run([*base, "exec", name, *check], probe.timeout)
    finally:
        _run([*base, "rm", "-f", "-t", "5", name], 60)
    return ProbeRun(image, done.returncode, _text(done.stdout), _text(done.stderr))


RUNNERS = {"cmd": run_cmd, "http": run_http, "healthcheck": run_healthcheck}

__all__ = ["RUNNERS", "Probe", "Tracing", "http_probe", "podman_base", "run_cmd",
           "run_healthcheck", "run_http"]
