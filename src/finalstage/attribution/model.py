"""The result types of attribution: how sure a match is, one layer's attribution, all of them."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from finalstage.dockerfile.model import Instruction
from finalstage.findings import Location


class Confidence(enum.StrEnum):
    """How sure an attribution is."""

    HIGH = "high"      # order and text agree
    MEDIUM = "medium"  # order and instruction kind agree, text only partly
    LOW = "low"        # order only
    NONE = "none"      # no Dockerfile, or nothing fits


@dataclass(frozen=True)
class LayerAttribution:
    """One layer, its history entry, and the instruction that made it."""

    layer: int                          # index in the image's layers, oldest first
    history: int | None                 # index in config.history, None when missing
    created_by: str | None
    instruction: Instruction | None = None
    is_base: bool = False               # from the base image: attributed to the root FROM line
    confidence: Confidence = Confidence.NONE
    file: str | None = None             # the Dockerfile path, when there is one
    # A squashed layer (`buildah bud` without --layers, `docker build --squash`): the several
    # instructions whose files it holds. ``instruction`` is then None: no one line made it.
    squashed: tuple[Instruction, ...] = ()

    @property
    def location(self) -> Location | None:
        """Where in the Dockerfile this layer comes from, if known."""
        if self.instruction is None or self.file is None:
            return None
        ins = self.instruction
        return Location(self.file, ins.line, 1, ins.end_line, None)


@dataclass(frozen=True)
class Attribution:
    """Every layer's attribution; ``history_instructions`` maps history index → instruction."""

    layers: tuple[LayerAttribution, ...]
    history_instructions: Mapping[int, Instruction]
    base_history: int                   # number of history entries that belong to the base
    file: str | None = None

    def for_layer(self, index: int) -> LayerAttribution | None:
        """The attribution of layer ``index`` (None when out of range)."""
        if 0 <= index < len(self.layers):
            return self.layers[index]
        return None
