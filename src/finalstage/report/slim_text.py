"""``slim`` as text for people: before and after, what was removed by category, the largest
kept files with their reason chains, the warnings, the written image and the proof.

Everything that came from an image (paths, probe output, source snippets) is escaped and
redacted: a probe's output may print an environment variable.
"""

from __future__ import annotations

from finalstage.escape import escape_control, one_line
from finalstage.redact import redact_text
from finalstage.slimming.model import KeptPath, ProbeRun, SlimResult, Verification
from finalstage.units import format_size

TOP_KEPT = 15
MAX_LIST = 20
ARROW = " ← "


def chain_text(kept: KeptPath) -> str:
    """``/path ← reason ← reason … ← root``."""
    return ARROW.join([escape_control(kept.path), *(escape_control(r) for r in kept.chain)])


def render_slim(result: SlimResult, *, verbose: bool = False) -> str:
    """The whole text report; ``verbose`` lists every kept path with its chain."""
    plan = result.plan
    target = f" → {escape_control(result.output.reference)}" if result.output else \
        " (dry run: nothing written)"
    size = (f"  size     {format_size(plan.source_bytes)} → {format_size(plan.kept_bytes)}"
            f"  ({len(plan.kept)} paths kept of {plan.source_files} files,"
            f" {format_size(plan.removed_bytes)} removed)")
    out = [f"slim {escape_control(plan.source)}{target}",
           f"  runs     {escape_control(' '.join(plan.argv))}", size]
    out += ["", "removed, by category"]
    out += [f"  {c.category:<18} {format_size(c.bytes):>10}  {c.files} files"
            for c in plan.removed]
    out += _explanations(result)
    kept = sorted((k for k in plan.kept if k.kind == "file"), key=lambda k: (-k.size, k.path))
    shown = plan.kept if verbose else kept[:TOP_KEPT]
    heading = "kept" if verbose else \
        f"largest kept files (all {len(plan.kept)} with --verbose or --format json)"
    out += ["", heading]
    out += [f"  {format_size(k.size):>10}  {chain_text(k)}" for k in shown]
    out += _warnings(result)
    out += _written(result)
    if result.verification is not None:
        out += _proof(result.verification)
    return "\n".join(out) + "\n"


def _explanations(result: SlimResult) -> list[str]:
    lines: list[str] = []
    for e in result.plan.explanations:
        if e.is_kept:
            lines.append("  kept     " + ARROW.join([escape_control(e.path),
                                                     *(escape_control(r) for r in e.chain)]))
        else:
            lines.append(f"  dropped  {escape_control(e.path)}: {escape_control(e.reason)}")
    return ["", "explain", *lines] if lines else []


def _warnings(result: SlimResult) -> list[str]:
    plan = result.plan
    lines: list[str] = []
    if plan.warnings:
        lines += ["", "warnings"]
        lines += [f"  {escape_control(one_line(w))}" for w in plan.warnings[:MAX_LIST]]
        lines += _more(len(plan.warnings))
    if plan.dynamic_sites:
        lines += ["", ("loaded by a computed name (static analysis cannot follow: --include "
                       "what they load, or let the probe's trace find it)")]
        for site in plan.dynamic_sites[:MAX_LIST]:
            lines.append(f"  {escape_control(site.path)}:{site.line}: "
                         f"{escape_control(redact_text(site.text))}")
        lines += _more(len(plan.dynamic_sites))
    return lines


def _more(count: int) -> list[str]:
    return [f"  … {count - MAX_LIST} more"] if count > MAX_LIST else []


def _written(result: SlimResult) -> list[str]:
    image = result.output
    if image is None:
        return []
    layer = (f"  layer    {image.layer_digest} ({format_size(image.compressed_size)} "
             f"compressed, {format_size(image.size)} uncompressed)")
    return ["", "image", f"  {escape_control(image.reference)}",
            f"  manifest {image.manifest_digest}", f"  config   {image.config_digest}", layer]


def _proof(v: Verification) -> list[str]:
    lines = ["", f"verification: {v.status}" + (f" ({escape_control(v.reason)})"
                                                  if v.reason else "")]
    if v.probe:
        lines.append(f"  probe    {escape_control(v.probe)}")
    lines += _run("source", v.fat) + _run("slim", v.slim)
    if v.diff:
        lines += ["  the probe saw a difference:"]
        lines += [f"    {escape_control(redact_text(line))}" for line in v.diff.splitlines()]
    if v.trace_method:
        lines.append(f"  trace    {escape_control(v.trace_method)}: {v.opened} paths read, "
                     f"{len(v.missing)} missing in the slim image")
    for m in v.missing[:MAX_LIST]:
        lines.append(f"    missing {escape_control(m.path)} (read by {escape_control(m.process)})")
    lines += _more(len(v.missing))
    if v.learned:
        lines.append(f"  --learn  added {len(v.learned)} path(s) and slimmed again")
    if v.check_status:
        lines.append(f"  check    strict policy: {v.check_status}")
        lines += [f"    {escape_control(one_line(f))}" for f in v.check_findings[:MAX_LIST]]
    return lines


def _run(name: str, run: ProbeRun | None) -> list[str]:
    if run is None:
        return []
    head = f"  {name:<8} exit {run.exit_code}" if run.exit_code is not None else \
        f"  {name:<8} {escape_control(one_line(run.error or 'no result'))}"
    body = [f"           {escape_control(redact_text(line))}"
            for line in run.stdout.splitlines()[:8]]
    return [head, *body]


__all__ = ["chain_text", "render_slim"]
