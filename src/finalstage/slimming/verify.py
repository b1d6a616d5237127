"""The proof: the fat and the slim image run with the same probe; what the fat one read and the
slim one lacks is a failure, listed with the process that read it.

Both images must be in podman's storage: a ``containers-storage:`` reference is used as it is,
anything else is copied in with skopeo under a temporary name and removed afterwards. The fat
run is traced (``trace``); the slim run is not, so both see the same probe and the slim result
is not slowed down by the tracer.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

from finalstage.cst.podman import podman_image_ref
from finalstage.errors import ImageError, UsageError
from finalstage.escape import one_line
from finalstage.slimming import trace
from finalstage.slimming.fsview import TreeView
from finalstage.slimming.model import ProbeRun, Verification
from finalstage.slimming.probe import RUNNERS, Probe, Tracing, podman_base

READY_MARGIN = 15.0  # seconds the slim run may take to get ready beyond twice the source's
TRACE_METHOD = ("host strace (with its loader and libraries) bind-mounted read-only and "
                "started through its own loader; -f -y, opens and execs")


@dataclass(frozen=True)
class Subjects:
    """What is compared: the two images (references as finalstage reads them)."""

    fat_ref: str
    slim_ref: str                  # containers-storage:NAME or oci:LAYOUT:REF
    argv: tuple[str, ...]          # what the fat image runs (ENTRYPOINT + CMD or probe args)


def podman_available() -> bool:
    return shutil.which("podman") is not None


def verify(subjects: Subjects, probe: Probe, fat_view: TreeView, kept: Collection[str], *,
           deliberate: Callable[[str], bool] | None = None,
           log: Callable[[str], None] | None = None) -> Verification:
    """Run both images with ``probe``; compare; trace the fat run; list what slim lacks."""
    base = podman_base()
    loaded: list[str] = []
    with tempfile.TemporaryDirectory(prefix="finalstage-trace-") as work:
        try:
            fat = _in_storage(subjects.fat_ref, "fat", loaded)
            slim = _in_storage(subjects.slim_ref, "slim", loaded)
            tracing = _tracing(work)
            runner = RUNNERS[probe.kind]
            if log is not None:
                log(f"probe on the source image ({probe.describe()}), traced")
            started = time.monotonic()
            fat_run = runner(fat, probe, subjects.argv, tracing)
            took = time.monotonic() - started
            if _failed(fat_run, probe):
                raise UsageError(f"the probe fails on the source image itself "
                                 f"({probe.describe()}): {_why(fat_run)}")
            if log is not None:
                log("probe on the slim image")
            slim_run = runner(slim, slim_probe(probe, took), subjects.argv, None)
            read = _read(tracing)
        finally:
            for name in loaded:
                subprocess.run([*base, "rmi", "-f", name], capture_output=True, timeout=120,
                               check=False)
    lacking = trace.missing(read, fat_view, kept) if tracing is not None else []
    on_purpose = [m for m in lacking if deliberate is not None and deliberate(m.path)]
    lacking = [m for m in lacking if m not in on_purpose]
    diff = _diff(fat_run, slim_run)
    failed = bool(diff or lacking or _failed(slim_run, probe))
    reason = "" if tracing is not None else "trace skipped: strace not found on the host"
    if on_purpose:
        reason = (reason + "; " if reason else "") + (
            f"{len(on_purpose)} path(s) the source read are removed on purpose (build tools, "
            "development dependencies; the probe's output matched without them): "
            + ", ".join(m.path for m in on_purpose[:5]))
    return Verification(
        status="fail" if failed else "pass", reason=reason, probe=probe.describe(),
        trace_method=TRACE_METHOD if tracing is not None else "", fat=fat_run, slim=slim_run,
        diff=diff, opened=len(read), missing=tuple(lacking))


def slim_probe(probe: Probe, fat_took: float) -> Probe:
    """The probe for the slim run: waiting for readiness (the HEALTHCHECK passing, the port
    opening) is bounded by what the traced source run took, twice over plus a margin, so a
    slim image that never gets ready fails in seconds rather than after the whole timeout."""
    if probe.kind == "cmd":
        return probe
    return replace(probe, timeout=min(probe.timeout, 2 * fat_took + READY_MARGIN))


def _in_storage(ref: str, role: str, loaded: list[str]) -> str:
    """The name podman runs for ``ref``: copied into containers-storage when needed."""
    if ref.startswith("containers-storage:"):
        return ref[len("containers-storage:"):]
    name = f"localhost/finalstage-verify-{role}:{uuid.uuid4().hex[:12]}"
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise UsageError("verification needs skopeo to load the images into podman")
    source = podman_image_ref(ref)
    done = subprocess.run([skopeo, "copy", "--quiet", source, f"containers-storage:{name}"],
                          capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()] or ["skopeo failed"]
        raise ImageError(f"loading {ref} into podman: {one_line(lines[-1])}")
    loaded.append(name)
    return name


def _tracing(work: str) -> Tracing | None:
    staged = trace.stage(os.path.join(work, "bin"))
    if staged is None:
        return None
    out = os.path.join(work, "out")
    os.makedirs(out)
    os.chmod(out, 0o1777)  # the image's USER writes the log
    return Tracing(os.path.join(work, "bin"), out, *staged)


def _read(tracing: Tracing | None) -> dict[str, str]:
    if tracing is None:
        return {}
    accesses: list[trace.Access] = []
    for name in sorted(os.listdir(tracing.out_dir)):
        with open(os.path.join(tracing.out_dir, name), encoding="utf-8",
                  errors="surrogateescape") as fh:
            accesses += trace.parse(fh.read())
    return trace.read_paths(accesses)


def _failed(run: ProbeRun, probe: Probe) -> bool:
    """The probe did not pass: an error, no exit code, or a non-zero one."""
    return run.error is not None or run.exit_code != 0


def _why(run: ProbeRun) -> str:
    if run.error:
        return one_line(run.error)
    return f"exit code {run.exit_code}: {one_line(run.stderr[-300:] or run.stdout[-300:])}"


def _diff(fat: ProbeRun, slim: ProbeRun) -> str:
    """A unified diff of what the probe saw (exit code and output); "" when identical."""
    def lines(run: ProbeRun) -> Sequence[str]:
        return [f"exit code: {run.exit_code}\n", *run.stdout.splitlines(keepends=True)]

    if lines(fat) == lines(slim):
        return ""
    return "".join(difflib.unified_diff(lines(fat), lines(slim), "source", "slim"))


__all__ = ["TRACE_METHOD", "Subjects", "podman_available", "slim_probe", "verify"]
