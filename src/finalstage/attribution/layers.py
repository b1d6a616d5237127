"""Layers ↔ history entries ↔ instructions: the two entry points of attribution."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from finalstage.attribution.align import Matches, align
from finalstage.attribution.created_by import parse_created_by
from finalstage.attribution.model import Attribution, Confidence, LayerAttribution
from finalstage.attribution.scoring import LAYER_KEYWORDS, workdirs
from finalstage.dockerfile.model import Dockerfile


def layer_history(history: Sequence[Mapping[str, Any]], layer_count: int) -> list[int | None]:
    """For each layer (oldest first), the index of its history entry, or None.

    The *i*-th non-empty history entry describes the *i*-th layer. When the counts disagree
    (hand-edited configs, some exporters), the newest ones are aligned, since those are the
    layers the Dockerfile made and the ones findings point at.
    """
    producing = [i for i, h in enumerate(history)
                 if isinstance(h, Mapping) and not h.get("empty_layer")]
    if len(producing) >= layer_count:
        return list(producing[len(producing) - layer_count:])
    missing = layer_count - len(producing)
    return [None] * missing + list(producing)


def attribute(
    history: Sequence[Mapping[str, Any]],
    layer_count: int,
    dockerfile: Dockerfile | None = None,
) -> Attribution:
    """Attribute every layer to its history entry and, given the Dockerfile, to its instruction.

    ``history`` is the image config's ``history`` list; ``dockerfile`` the model loaded with the
    same build args and target the image was built with.
    """
    history = [h if isinstance(h, Mapping) else {} for h in history]
    per_layer = layer_history(history, layer_count)
    if dockerfile is None:
        layers = tuple(
            LayerAttribution(i, h, _created_by(history, h)) for i, h in enumerate(per_layer))
        return Attribution(layers, {}, 0)

    instructions = [ins for ins in dockerfile.chain_instructions()
                    if ins.keyword not in ("FROM", "ONBUILD")]
    root = dockerfile.stages[dockerfile.chain[-1]].from_instruction
    parsed = [parse_created_by(str(h.get("created_by") or "")) for h in history]
    empty = [bool(h.get("empty_layer")) for h in history]
    base_count, matches = align(parsed, empty, instructions, workdirs(instructions))
    base_confidence = _base_confidence(per_layer, base_count, matches)
    out = []
    previous = -1
    for i, h in enumerate(per_layer):
        created = _created_by(history, h)
        if h is None:
            out.append(LayerAttribution(i, None, None, file=dockerfile.path))
        elif h < base_count:
            out.append(LayerAttribution(i, h, created, root, True, base_confidence,
                                        dockerfile.path))
        else:
            out.append(_made_by(i, h, created, matches, previous, dockerfile.path))
        previous = h if h is not None else previous
    return Attribution(tuple(out), {h: m[0] for h, m in matches.items()}, base_count,
                       dockerfile.path)


def _made_by(layer: int, h: int, created: str | None, matches: Matches, previous: int,
             file: str) -> LayerAttribution:
    """The instruction that made layer ``layer`` (history entry ``h``). A builder that squashes
    records the instructions since the last layer as empty entries and puts all their files in
    one layer, whose own entry may be a CMD: the content-making instructions of that span (RUN,
    COPY, ADD) are what made it — one of them is the layer's instruction, several are a squash."""
    span = [matches[k][0] for k in range(max(previous + 1, 0), h + 1) if k in matches]
    makers = tuple(ins for ins in span if ins.keyword in LAYER_KEYWORDS)
    own = matches.get(h)
    if own is not None and own[0].keyword in LAYER_KEYWORDS and len(makers) <= 1:
        return LayerAttribution(layer, h, created, own[0], False, own[1], file)
    if len(makers) == 1:
        return LayerAttribution(layer, h, created, makers[0], False, Confidence.MEDIUM, file)
    if len(makers) > 1:
        return LayerAttribution(layer, h, created, None, False, Confidence.NONE, file, makers)
    if own is not None:
        return LayerAttribution(layer, h, created, own[0], False, own[1], file)
    return LayerAttribution(layer, h, created, file=file)


def _base_confidence(per_layer: Sequence[int | None], base_count: int,
                     matches: Matches) -> Confidence:
    """How sure the base image's layers belong to the root FROM: as sure as the layers after
    the base are matched."""
    tail_layers = [h for h in per_layer if h is not None and h >= base_count]
    tail_ok = all(h in matches and matches[h][1] != Confidence.LOW for h in tail_layers)
    if base_count and not tail_layers and not matches:
        return Confidence.LOW
    return (Confidence.HIGH if tail_ok and tail_layers
            else Confidence.MEDIUM if matches else Confidence.LOW)


def _created_by(history: Sequence[Mapping[str, Any]], index: int | None) -> str | None:
    if index is None:
        return None
    value = history[index].get("created_by")
    return str(value) if value is not None else None


__all__ = ["attribute", "layer_history"]
