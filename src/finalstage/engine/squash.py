"""When attribution cannot name one line: say so once, and still report one fact once.

A squashed image (``buildah bud`` without ``--layers``, ``docker build --squash``) holds the files
of several instructions in one layer; an image whose history lost its ``created_by`` texts cannot
be matched to the Dockerfile at all. Findings about such a layer keep their layer and no line.
One note says why; and an image finding whose subject a Dockerfile finding already reports at
one of the squashed instructions is the same fact — it folds into that finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from finalstage.engine.merge import fold
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Finding

if TYPE_CHECKING:
    from finalstage.attribution import Attribution


def fold_squashed(findings: Sequence[Finding], attribution: Attribution,
                  ctx: DockerfileContext | None) -> list[Finding]:
    """``findings`` with each image finding of a squashed layer folded into the Dockerfile
    finding that reports its subject at one of the instructions the layer holds."""
    if ctx is None:
        return list(findings)
    out: list[Finding | None] = list(findings)
    for n, finding in enumerate(findings):
        squash = _squash_lines(finding, attribution)
        if not squash:
            continue
        twin = next((k for k, f in enumerate(out)
                     if k != n and f is not None and f.location is not None
                     and f.location.file == ctx.path
                     and ctx.instruction_start(f.location.line) in squash
                     and set(f.subjects) & set(finding.subjects)), None)
        if twin is not None:
            base = out[twin]
            assert base is not None
            out[twin] = fold(base, finding, set())
            out[n] = None
    return [f for f in out if f is not None]


def _squash_lines(finding: Finding, attribution: Attribution) -> set[int]:
    if finding.location is not None or finding.layer is None or not finding.subjects:
        return set()
    layer = attribution.for_layer(finding.layer)
    return {ins.line for ins in layer.squashed} if layer is not None else set()


def attribution_notes(attribution: Attribution, has_dockerfile: bool) -> tuple[str, ...]:
    """One line per reason some layers are tied to no Dockerfile line (nothing when all are)."""
    if not has_dockerfile:
        return ()
    notes = []
    for layer in attribution.layers:
        if layer.squashed:
            lines = ", ".join(str(ins.line) for ins in layer.squashed)
            notes.append(f"layer {layer.layer} holds the files of {len(layer.squashed)} "
                         f"instructions (lines {lines}): the image was squashed, so its "
                         "findings name the layer, not one line")
    lost = [a.layer for a in attribution.layers
            if a.instruction is None and not a.squashed and not a.is_base]
    if lost:
        which = ", ".join(map(str, lost))
        notes.append(f"layer{'s' if len(lost) > 1 else ''} {which} match no instruction of the "
                     "Dockerfile (history without created_by, or another Dockerfile): their "
                     "findings name the layer, not a line")
    return tuple(notes)


__all__ = ["attribution_notes", "fold_squashed"]
