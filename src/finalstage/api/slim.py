"""``slim``: shrink an image to what its entrypoint needs, explained file by file, proven by
running it.

::

    >>> from finalstage import slim
    >>> report = slim("examples/images/busybox-fat.tar", dry_run=True)
    >>> plan = report.detail.plan
    >>> plan.kept_bytes < plan.source_bytes, next(k.chain for k in plan.kept
    ...                                             if k.path == "/bin/busybox")
    (True, ('CMD',))

One streaming pass reads what the closure needs; the closure keeps every file the config's
programs need, with a reason chain each; the new image is one reproducible layer with the
source's runtime config. With ``verify`` (the default when podman is installed) the fat and the
slim image run with the same probe, the fat one traced; a probe difference or a file the fat
run read that the slim image lacks fails the slim. ``learn`` adds those files and slims again.
The result is also gated by ``check`` with a strict policy (no compiler, build tool,
development dependency, tests, cache or secret).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Sequence

from finalstage.analysis.categories import Category
from finalstage.analysis.classify import classify_path
from finalstage.api.check import check
from finalstage.api.source import open_image
from finalstage.errors import UsageError
from finalstage.facts import Facts
from finalstage.facts.imagefacts import ImageFacts, Progress
from finalstage.findings import Report, Severity
from finalstage.image.image import Image
from finalstage.image.ocistore import check_destination
from finalstage.image.refs import ImageRef
from finalstage.limits import Limits
from finalstage.settings.load import from_table
from finalstage.slimming.closure import Closure
from finalstage.slimming.commands import argv_of, healthcheck_argv, split_words
from finalstage.slimming.model import SlimPlan, SlimResult, Verification
from finalstage.slimming.output import Output, write_image
from finalstage.slimming.plan import PlanOptions, build_closure, make_plan, read_captured
from finalstage.slimming.probe import Probe, http_probe
from finalstage.slimming.verify import Subjects, podman_available
from finalstage.slimming.verify import verify as run_verify

STRICT = (Category.COMPILER, Category.BUILD_TOOL, Category.DEV_DEPENDENCY, Category.TESTS,
          Category.CACHE, Category.SECRET)
MAX_LEARN_ROUNDS = 3
Log = Callable[[str], None]


def strict_settings():  # type: ignore[no-untyped-def]
    """The strict policy the slimmed image must pass."""
    return from_table({"policy": {"forbidden-categories": [c.value for c in STRICT]}},
                      "slim's strict policy")


def slim(
    image: str | Image,
    output: str | None = None,
    *,
    dry_run: bool = False,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    keep_shell: bool = False,
    probe_cmd: Sequence[str] | str | None = None,
    probe_http: Sequence[str] | str | None = None,
    verify: bool | None = None,
    learn: bool = False,
    explain: Sequence[str] = (),
    platform: str | None = None,
    limits: Limits | None = None,
    tls_verify: bool | None = None,
    auth_file: str | None = None,
    progress: Progress | None = None,
    log: Log | None = None,
) -> Report:
    """Slim ``image`` into ``output`` (``oci:DIR``, ``oci-archive:FILE``,
    ``docker-archive:FILE``, ``containers-storage:NAME``); ``dry_run`` only plans."""
    dest = None if dry_run else check_destination(_required(output))
    verifying = _verifying(verify, dry_run)
    img = image if isinstance(image, Image) else open_image(
        image, platform=platform, limits=limits, tls_verify=tls_verify, auth_file=auth_file)
    probe = _probe(img, probe_cmd, probe_http) if verifying or probe_cmd else None
    options = PlanOptions(tuple(include), tuple(exclude), keep_shell,
                          probe.args if probe is not None and probe.kind == "cmd" else None,
                          tuple(explain))
    timings: dict[str, float] = {}
    start = time.perf_counter()
    facts = Facts(image=ImageFacts(img, classify=False, progress=progress))
    captured = read_captured(facts, progress)
    facts.wait_verified()
    timings["read"] = time.perf_counter() - start
    if dry_run or dest is None:
        plan, _ = _plan(facts, captured, options, timings)
        return _report(img, SlimResult(plan, True, timings=timings))
    with tempfile.TemporaryDirectory(prefix="finalstage-slim-") as work:
        result = _slim_rounds(img, facts, captured, options, dest, probe, work,
                              verifying, learn, timings, log, progress)
    return _report(img, result)


def _required(output: str | None) -> str:
    if not output:
        raise UsageError("slim needs an output image (-o DEST), or --dry-run")
    return output


def _verifying(verify: bool | None, dry_run: bool) -> bool:
    if dry_run:
        return False
    if verify and not podman_available():
        raise UsageError("--verify needs podman, which is not installed")
    return podman_available() if verify is None else verify


def _probe(img: Image, probe_cmd: Sequence[str] | str | None,
           probe_http: Sequence[str] | str | None) -> Probe | None:
    """The probe the user asked for, else the image's HEALTHCHECK, else None."""
    if probe_http:
        return http_probe(probe_http)
    if probe_cmd is not None:
        args = split_words(probe_cmd) if isinstance(probe_cmd, str) else list(probe_cmd)
        return Probe("cmd", args=tuple(args))
    raw = img.config.raw.get("config") if isinstance(img.config.raw, dict) else None
    test = (raw or {}).get("Healthcheck", {}).get("Test") if isinstance(raw, dict) else None
    argv = healthcheck_argv([str(t) for t in test]) if isinstance(test, list) else None
    return Probe("healthcheck", check=tuple(argv)) if argv else None


def _plan(facts: Facts, captured: dict[str, object], options: PlanOptions,
          timings: dict[str, float]) -> tuple[SlimPlan, Closure]:
    start = time.perf_counter()
    closure, argv = build_closure(facts, captured, options)
    plan = make_plan(facts, closure, argv, options.explain)
    timings["closure"] = timings.get("closure", 0) + time.perf_counter() - start
    return plan, closure


def _slim_rounds(img: Image, facts: Facts, captured: dict[str, object], options: PlanOptions,
                 dest: ImageRef, probe: Probe | None, work: str, verifying: bool, learn: bool,
                 timings: dict[str, float], log: Log | None,
                 progress: Progress | None = None) -> SlimResult:
    """Plan, write, verify; with ``learn``, again with what the trace found missing."""
    learned: tuple[str, ...] = ()
    for round_number in range(MAX_LEARN_ROUNDS + 1):
        plan, closure = _plan(facts, captured, options, timings)
        round_dir = tempfile.mkdtemp(prefix=f"round{round_number}-", dir=work)
        _log(log, f"writing {len(plan.kept)} paths")
        start = time.perf_counter()
        out = write_image(img, facts.tree, closure.kept, dest,
                          source_digest=plan.source_digest, workdir=round_dir,
                          progress=_layer_progress(progress))
        timings["write"] = timings.get("write", 0) + time.perf_counter() - start
        verification = _verify(img, facts, closure, out, probe, verifying, plan, timings, log)
        missing = tuple(m.path for m in verification.missing) if verification else ()
        if not (learn and missing) or round_number == MAX_LEARN_ROUNDS:
            break
        learned += missing
        _log(log, f"--learn: adding {len(missing)} path(s) the source read, slimming again")
        options = dataclasses.replace(options, learned=options.learned + missing)
    if verification is not None and learned:
        verification = dataclasses.replace(verification, learned=learned)
    verification = _strict_check(out, verification, timings, log)
    return SlimResult(plan, False, out.image, verification, timings)


def _verify(img: Image, facts: Facts, closure: Closure, out: Output, probe: Probe | None,
            verifying: bool, plan: SlimPlan, timings: dict[str, float],
            log: Log | None) -> Verification | None:
    if not verifying:
        return Verification("skipped", reason="podman is not installed: the image was written "
                            "but not run" if not podman_available() else "--no-verify")
    if probe is None:
        return Verification("skipped", reason="no probe: the image has no HEALTHCHECK; give "
                            "--probe-http PORT/PATH or --probe-cmd ARGS")
    start = time.perf_counter()
    cfg = img.config
    argv = argv_of(cfg.entrypoint, probe.args if probe.kind == "cmd" else cfg.cmd)
    ref = out.image.reference if out.image.reference.startswith("containers-storage:") \
        else f"oci:{out.layout}:{out.layout_ref}"
    result = run_verify(Subjects(img.reference, ref, tuple(argv)), probe,
                        closure.view, closure.kept,
                        deliberate=lambda p: classify_path(p.lstrip("/")) in STRICT, log=log)
    timings["verify"] = timings.get("verify", 0) + time.perf_counter() - start
    return result


def _strict_check(out: Output, verification: Verification | None, timings: dict[str, float],
                  log: Log | None) -> Verification:
    _log(log, "checking the slim image with the strict policy")
    start = time.perf_counter()
    report = check(f"oci:{out.layout}:{out.layout_ref}", policy=strict_settings(),
                   run_commands=False)
    timings["check"] = time.perf_counter() - start
    errors = tuple(f"{f.rule} {f.message}" for f in report.findings
                   if f.severity >= Severity.ERROR)
    base = verification or Verification("skipped")
    return dataclasses.replace(base, check_status="fail" if errors else "pass",
                               check_findings=errors)


def _layer_progress(progress: Progress | None) -> Callable[[int, int], None] | None:
    """The writer's (done, total) as the CLI's per-layer progress."""
    if progress is None:
        return None
    shown = progress
    return lambda done, total: shown(done, total, None)


def _log(log: Log | None, message: str) -> None:
    if log is not None:
        log(message)


def _report(img: Image, result: SlimResult) -> Report:
    return Report(command="slim", findings=(), targets=(img.reference,), detail=result)


__all__ = ["STRICT", "slim", "strict_settings"]
