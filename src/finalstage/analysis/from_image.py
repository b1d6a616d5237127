"""Analyse an ``Image`` through its single streaming pass (the glue between image/fs and analysis).

The layer reader's ``want(path, size)`` hook gets ``capture.wants`` answers as byte counts; the
bytes it captured for each layer are reduced here, and for every file of the merged tree the
capture of the layer that tree entry came from is used (a later layer that rewrote a package
database wins; a stale copy in a lower layer is never read).

Memory: the reader keeps captured bytes per layer until the pass ends. With ``elf=True`` that
includes whole binaries (up to ``capture.CAP_ELF`` each), so it is opt-in until the reader can
call ``capture.reduce`` as it captures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import Captured, byte_count, reduce, wants
from finalstage.analysis.entry import kind_name
from finalstage.analysis.model import Analysis

if TYPE_CHECKING:
    from finalstage.image.image import Image


def analyze_image(image: Image, *, elf: bool = False) -> Analysis:
    """Content analysis of an image: one pass over its layers, then ``analyze``."""

    def want(path: str, size: int, mode: int) -> int:
        return byte_count(wants(path, size, mode, elf=elf), size)

    scans = image.scan(want=want)
    reduced: list[dict[str, Captured]] = []
    for scan in scans:
        layer: dict[str, Captured] = {}
        for path, data in scan.captured.items():
            kept = reduce(path, data)
            if kept is not None:
                layer[path] = kept
        reduced.append(layer)
    tree = image.tree()
    captured: dict[str, Captured] = {}
    for path, entry in tree.entries.items():
        if kind_name(entry.kind) == "file" and 0 <= entry.layer < len(reduced):
            value = reduced[entry.layer].get(path)
            if value is not None:
                captured[path] = value
    return analyze(tree.entries.values(), captured)
