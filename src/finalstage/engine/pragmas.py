"""Suppression comments applied to findings (hadolint's ``Pragma.hs`` semantics, ruff's rigour).

``# finalstage: ignore=FS104`` drops the findings of that rule on the next instruction,
``stage ignore=`` in the current stage, ``global ignore=`` in the whole file. Codes, names and
retired aliases all work (``FS109`` still silences ``root-user``). A pragma that suppressed
nothing is FS002; one that does not parse, or names no rule, is FS003.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from finalstage.dockerfile.model import Pragma
from finalstage.errors import UsageError
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Finding, Location
from finalstage.rules import Rule, get
from finalstage.rules.meta.invalid_suppression import InvalidSuppression
from finalstage.rules.meta.unused_suppression import UnusedSuppression


def apply_pragmas(ctx: DockerfileContext, findings: Sequence[Finding],
                  selected: Collection[str]) -> tuple[list[Finding], list[Finding]]:
    """(``findings`` minus the suppressed ones, FS002/FS003 findings about the pragmas)."""
    meta: list[Finding] = []
    resolved: list[tuple[Pragma, list[str]]] = []
    for pragma in ctx.dockerfile.pragmas:
        if pragma.scope not in ("line", "stage", "global"):
            meta.append(_meta(InvalidSuppression, ctx, pragma,
                              f"invalid suppression: {pragma.error or 'malformed pragma'}"))
            continue
        codes: list[str] = []
        for ref in pragma.codes:
            try:
                codes.append(get(ref).code)
            except UsageError:
                meta.append(_meta(InvalidSuppression, ctx, pragma,
                                  f"invalid suppression: unknown rule {ref}"))
        resolved.append((pragma, codes))
    stage_index = {st.label: st.index for st in ctx.dockerfile.stages}
    used: set[tuple[int, str]] = set()
    kept: list[Finding] = []
    for finding in findings:
        hit = _suppressor(finding, resolved, stage_index, ctx)
        if hit is None:
            kept.append(finding)
        else:
            used.add(hit)
    for pragma, codes in resolved:
        for code in codes:
            if code in selected and (pragma.line, code) not in used:
                meta.append(_meta(UnusedSuppression, ctx, pragma, f"unused suppression of {code}"))
    return kept, [m for m in meta if m.rule in selected]


def _suppressor(finding: Finding, resolved: Sequence[tuple[Pragma, list[str]]],
                stage_index: Mapping[str, int], ctx: DockerfileContext) -> tuple[int, str] | None:
    for pragma, codes in resolved:
        hit = next((c for c in (finding.rule, *finding.also) if c in codes), None)
        if hit is not None and _applies(pragma, finding, stage_index, ctx):
            return pragma.line, hit
    return None


def _applies(pragma: Pragma, finding: Finding, stage_index: Mapping[str, int],
             ctx: DockerfileContext) -> bool:
    if pragma.scope == "global":
        return True
    loc = finding.location
    if loc is None or loc.file != ctx.path:
        return False  # an image finding nobody could attribute is not on any line
    if pragma.scope == "stage":
        return finding.stage is not None and stage_index.get(finding.stage) == pragma.stage
    # A finding may point inside a multi-line instruction; the pragma names its first line.
    return ctx.instruction_start(loc.line) == pragma.target_line


def _meta(rule: type[Rule], ctx: DockerfileContext, pragma: Pragma, message: str) -> Finding:
    lines = ctx.dockerfile.lines
    text = lines[pragma.line - 1].strip() if 0 < pragma.line <= len(lines) else None
    return Finding(
        rule=rule.code, name=rule.name, severity=rule.severity, message=message,
        location=Location(ctx.path, pragma.line), source_line=text,
        fix_hint="remove the pragma" if rule is UnusedSuppression
        else "write `# finalstage: ignore=FS101[,FS102] [# reason]`",
    )


__all__ = ["apply_pragmas"]
