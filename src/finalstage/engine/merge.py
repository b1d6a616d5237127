"""Tie image findings to Dockerfile lines, then make one finding of one fact.

``locate``: an image finding carries the layer that added its bytes; attribution knows which
instruction made that layer, so the finding gains that instruction's location (the ``FROM``
line for base layers) and the layer's ``created_by``.

``merge``: two findings about the same subject (``category:compiler``, ``config:user``) at the
same place (the same instruction, or the same layer when no instruction is known) are one fact
seen twice — once in the Dockerfile (``apt-get install gcc``), once in the image (gcc's 40 MB).
They become one finding: the first one's rule, message and location (a finding the rule itself
located in the Dockerfile comes first), the worse severity, the image's bytes and paths, and the
other rules' codes in ``also``. Nothing here compares message text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Finding, Location
from finalstage.redact import redact_text

if TYPE_CHECKING:
    from finalstage.attribution import Attribution

Anchor = tuple[str, int]
_MAX_PATHS = 5


def locate(finding: Finding, attribution: Attribution, ctx: DockerfileContext | None) -> Finding:
    """``finding`` pointed at the Dockerfile instruction that made its layer, when known."""
    if finding.location is not None or finding.layer is None:
        return finding
    attributed = attribution.for_layer(finding.layer)
    if attributed is None:
        return finding
    changes: dict[str, object] = {}
    if finding.created_by is None and attributed.created_by:
        changes["created_by"] = redact_text(attributed.created_by)
    ins = attributed.instruction
    if ins is not None and ctx is not None:
        changes["location"] = Location(ctx.path, ins.line, 1, ins.end_line, None)
        changes["source_line"] = finding.source_line or redact_text(ins.original)
        if finding.stage is None and ins.stage is not None:
            changes["stage"] = ctx.dockerfile.stages[ins.stage].label
    return dataclasses.replace(finding, **changes) if changes else finding


def anchor(finding: Finding, ctx: DockerfileContext | None) -> Anchor | None:
    """Where a finding is, for merging: the instruction it points into, else its layer."""
    loc = finding.location
    if loc is not None:
        line = ctx.instruction_start(loc.line) if ctx is not None and loc.file == ctx.path \
            else loc.line
        return (loc.file, line)
    if finding.layer is not None:
        return ("\0layer", finding.layer)
    return None


def merge(findings: Sequence[Finding], ctx: DockerfileContext | None) -> list[Finding]:
    """``findings`` (most authoritative first) with each fact reported once."""
    out: list[Finding] = []
    seen: dict[tuple[Anchor, str], int] = {}
    counted: dict[int, set[str]] = {}  # per merged finding: subjects whose bytes it holds
    for finding in findings:
        where = anchor(finding, ctx)
        twin = None
        if where is not None:
            # A rule reports each of its facts once: two findings of one rule never merge.
            twin = next((seen[(where, s)] for s in finding.subjects if (where, s) in seen
                         and out[seen[(where, s)]].rule != finding.rule), None)
        if twin is None:
            out.append(finding)
            index = len(out) - 1
            counted[index] = set(finding.subjects) if finding.bytes is not None else set()
        else:
            out[twin] = fold(out[twin], finding, counted[twin])
            index = twin
        if where is not None:
            for subject in out[index].subjects:
                seen.setdefault((where, subject), index)
    return out


def fold(base: Finding, other: Finding, counted: set[str]) -> Finding:
    """``other`` folded into ``base``. Bytes add up when ``other`` is about files ``base`` does
    not count yet (another category, or another package of one rule); the same subject seen by
    two rules is the same files, counted once."""
    nbytes = base.bytes
    if other.bytes is not None:
        if nbytes is None:
            nbytes = other.bytes
        elif not counted & set(other.subjects) or other.rule in base.also:
            nbytes += other.bytes
        counted.update(other.subjects)
    also = tuple(dict.fromkeys((*base.also, other.rule, *other.also)))
    paths = base.paths or other.paths
    if other.rule in base.also:  # several facts of one image rule: list some of each
        paths = tuple(dict.fromkeys((*base.paths, *other.paths)))[:_MAX_PATHS]
    return dataclasses.replace(
        base,
        severity=max(base.severity, other.severity),
        bytes=nbytes,
        layer=base.layer if base.layer is not None else other.layer,
        created_by=base.created_by or other.created_by,
        paths=paths,
        subjects=tuple(dict.fromkeys((*base.subjects, *other.subjects))),
        also=tuple(code for code in also if code != base.rule),
    )


__all__ = ["anchor", "fold", "locate", "merge"]
