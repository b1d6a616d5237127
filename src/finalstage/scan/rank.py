"""From per-layer summaries and per-image verdicts to the one ranked ``FleetReport``.

Shared layers count once everywhere a total is made (unique bytes, removable bytes per kind);
a fix is a layer's removable bytes, attributed to that layer with every image that uses it, and
ranked by what it saves across them (its bytes times its images). Waste belongs to the layers
from the base up to the layer that hides it: images that share those layers share that waste,
counted once. Everything is sorted, so equal inputs give an equal report whichever backend ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from finalstage.redact import redact_text
from finalstage.scan.model import (
    KINDS,
    Fix,
    FleetReport,
    ImageMeta,
    ImageRow,
    ImageVerdict,
    KindBytes,
    LayerSummary,
    ScanError,
    ScanStats,
    Totals,
)

DEFAULT_TOP = 10


@dataclass(frozen=True)
class FleetInput:
    """What ``fleet`` ranks: the images that scanned, the ones that did not, and the results."""

    source: str
    metas: Sequence[ImageMeta]                 # images whose layers were all summarised
    summaries: Mapping[str, LayerSummary]      # by layer key
    verdicts: Mapping[str, ImageVerdict]       # by image ref
    errors: Sequence[ScanError] = ()
    stats: ScanStats = ScanStats()
    policy: str | None = None
    backend: str = "process"


def _created_by(text: str | None) -> str | None:
    return redact_text(text) if text else None


def fleet(data: FleetInput, *, top: int = DEFAULT_TOP) -> FleetReport:
    """Rank ``data`` into the fleet report (``top`` fixes at most)."""
    metas = sorted(data.metas, key=lambda m: m.ref)
    users: dict[str, list[str]] = {}
    first: dict[str, tuple[ImageMeta, int]] = {}
    for meta in metas:
        for key in dict.fromkeys(meta.chain):
            users.setdefault(key, []).append(meta.ref)
            first.setdefault(key, (meta, meta.chain.index(key)))
    content = [_content_fix(key, data.summaries[key], users[key], first[key]) for key in users
               if data.summaries[key].removable > 0]
    waste = _waste_fixes(metas, data.verdicts)
    fixes = sorted(content + waste, key=lambda f: (-f.saving, -f.bytes, f.layer, f.kind,
                                                   f.position))
    by_kind = {kind: 0 for kind in KINDS}
    for key in users:
        for k in data.summaries[key].kinds:
            by_kind[k.kind] = by_kind.get(k.kind, 0) + k.bytes
    by_kind["waste"] += sum(f.bytes for f in waste)
    removable = tuple(KindBytes(kind, n) for kind, n in by_kind.items())
    rows = [_row(meta, data.summaries, data.verdicts.get(meta.ref)) for meta in metas]
    rows += [ImageRow(e.ref, error=e.message) for e in data.errors]
    return FleetReport(
        source=data.source, totals=_totals(metas, data.summaries, users, removable),
        removable=removable, fixes=tuple(fixes[:top]),
        images=tuple(sorted(rows, key=lambda r: r.ref)),
        errors=tuple(sorted(data.errors, key=lambda e: (e.ref, e.message))),
        stats=data.stats, policy=data.policy, backend=data.backend)


def _content_fix(key: str, summary: LayerSummary, images: list[str],
                 where: tuple[ImageMeta, int]) -> Fix:
    meta, position = where
    kinds = tuple(sorted(summary.kinds, key=lambda k: (-k.bytes, k.kind)))
    return Fix(layer=key, kind="content", bytes=summary.removable,
               saving=summary.removable * len(images), images=tuple(images), kinds=kinds,
               created_by=_created_by(meta.layers[position].created_by), position=position)


def _waste_fixes(metas: Sequence[ImageMeta], verdicts: Mapping[str, ImageVerdict]) -> list[Fix]:
    """One fix per (layers up to the hiding one, layer that added the bytes)."""
    found: dict[tuple[tuple[str, ...], int], tuple[Fix, list[str]]] = {}
    for meta in metas:
        verdict = verdicts.get(meta.ref)
        if verdict is None:
            continue
        for item in verdict.waste:
            if not 0 <= item.layer < item.hidden_by < len(meta.layers):
                continue
            key = (meta.chain[:item.hidden_by + 1], item.layer)
            if key not in found:
                fix = Fix(layer=meta.chain[item.layer], kind="waste", bytes=item.bytes,
                          saving=0, images=(),
                          kinds=(KindBytes("waste", item.bytes, item.paths),),
                          created_by=_created_by(meta.layers[item.layer].created_by),
                          position=item.layer,
                          hidden_by=_created_by(meta.layers[item.hidden_by].created_by))
                found[key] = (fix, [])
            found[key][1].append(meta.ref)
    out = []
    for fix, images in found.values():
        out.append(Fix(fix.layer, fix.kind, fix.bytes, fix.bytes * len(images), tuple(images),
                       fix.kinds, fix.created_by, fix.position, fix.hidden_by))
    return out


def _totals(metas: Sequence[ImageMeta], summaries: Mapping[str, LayerSummary],
            users: Mapping[str, list[str]], removable: tuple[KindBytes, ...]) -> Totals:
    unique = [summaries[key] for key in users]
    uses = [summaries[key] for meta in metas for key in meta.chain]
    # Stored sizes come from each image's manifest: one content may be stored compressed in
    # one source and not in another; counted once, it is stored at its smallest.
    stored: dict[str, int] = {}
    unshared_stored = 0
    for meta in metas:
        for layer in meta.layers:
            size = layer.size if layer.size is not None else summaries[layer.key].compressed_size
            stored[layer.key] = min(size, stored.get(layer.key, size))
            unshared_stored += size
    return Totals(
        images=len(metas), unique_layers=len(unique), layer_uses=len(uses),
        unique_bytes=sum(s.size for s in unique), unshared_bytes=sum(s.size for s in uses),
        unique_compressed=sum(stored.values()), unshared_compressed=unshared_stored,
        removable=sum(k.bytes for k in removable))


def _row(meta: ImageMeta, summaries: Mapping[str, LayerSummary],
         verdict: ImageVerdict | None) -> ImageRow:
    layers = [summaries[key] for key in meta.chain]
    removable = sum(s.removable for s in layers)
    if verdict is None:
        return ImageRow(meta.ref, sum(s.size for s in layers),
                        sum(s.compressed_size for s in layers), len(layers), removable)
    removable += sum(w.bytes for w in verdict.waste)
    return ImageRow(meta.ref, verdict.size, verdict.compressed_size, len(layers), removable,
                    verdict.findings, verdict.verdict)


__all__ = ["DEFAULT_TOP", "FleetInput", "fleet"]
