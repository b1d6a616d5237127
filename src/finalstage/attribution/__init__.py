"""Attribution: which Dockerfile instruction made each layer of an image.

Two steps, each its own function (``layers``):

1. ``layer_history``: layer *i* ↔ the *i*-th history entry that is not ``empty_layer`` (the
   OCI image spec's rule, which ggcr and dive follow).
2. ``attribute``: history entries ↔ the instructions of the Dockerfile's final chain (the final
   stage and the stages it is ``FROM``), by a global alignment (``align``) that uses the
   **order** of both sequences and the **text** of each ``created_by`` (as BuildKit,
   buildah/podman, classic docker and kaniko write it, see ``parse_created_by`` in
   ``created_by``), scored pair by pair (``scoring``). The history entries before the alignment
   are the base image's: their layers are attributed to the ``FROM`` line of the chain's root
   stage.

Each match says how sure it is (``Confidence``, with the result types in ``model``): order and
text agree → high; the instruction kind agrees but the text only partly → medium; only the order
fits → low.
"""

from __future__ import annotations

from finalstage.attribution.created_by import CreatedBy, parse_created_by
from finalstage.attribution.layers import attribute, layer_history
from finalstage.attribution.model import Attribution, Confidence, LayerAttribution
from finalstage.attribution.scoring import LAYER_KEYWORDS

__all__ = [
    "LAYER_KEYWORDS",
    "Attribution",
    "Confidence",
    "CreatedBy",
    "LayerAttribution",
    "attribute",
    "layer_history",
    "parse_created_by",
]
