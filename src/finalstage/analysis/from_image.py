"""Analyse an ``Image`` through its single streaming pass (the glue between image/fs and analysis).

``capture.capture_hooks`` gives the layer reader its ``want`` hook (with a C-level pre-filter, so
most files never reach Python) and its ``keep`` hook, which reduces captured bytes as they are
read: a binary shrinks to an ``ElfInfo`` at once, read in pieces (header, Go build info, section
table) rather than whole. For every file of the merged tree the capture of the layer that tree
entry came from is used (a later layer that rewrote a package database wins; a stale copy in a
lower layer is never read). ``inspect``, ``examine`` and ``check`` all call ``analyze_image``.
"""

from __future__ import annotations

import os
from typing import Any

from finalstage._version import __version__
from finalstage.analysis import capture
from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import Captured, capture_hooks
from finalstage.analysis.model import Analysis
from finalstage.fs.merge import merged_tree, visible_captures
from finalstage.image.image import Image

# Whether ELF facts (unstripped binaries, Go build info) are read when the caller does not say:
# the one switch behind inspect's --elf/--no-elf default, ``examine`` and ``check``. Reading a
# binary costs a few KiB of it (header, section table), not the whole file, and memory stays
# flat (fat-node: 95 MiB either way) -- but the CPU (+0.2-0.45 s on the fat Node image, +0.2 s
# on the fat Go one) does not fit the 20% budget of classification yet: off until it does.
ELF_DEFAULT = False


def elf_enabled(elf: bool | None) -> bool:
    """``elf`` as given, or ``ELF_DEFAULT`` for None."""
    return ELF_DEFAULT if elf is None else elf


def analysis_tag(elf: bool) -> str:
    """Names what the analysis hooks capture, for the layer cache: a change of the capture rules
    (their source file) or of the version gives new cache keys."""
    try:
        stamp = os.stat(capture.__file__).st_mtime_ns
    except (OSError, TypeError):
        stamp = 0
    return f"analysis:elf={int(elf)}:{__version__}:{stamp}"


def analyze_image(
    image: Image, *, elf: bool | None = None, progress: Any = None, wait: bool = True
) -> Analysis:
    """Content analysis of an image: one pass over its layers (shared with the listing that
    ``inspect`` and ``ls`` make), then ``analyze`` over the merged tree. ``elf``: read ELF
    facts (None: ``ELF_DEFAULT``). ``wait=False`` analyses while layer digests are still being
    checked (see ``Image.scan``): the caller must ``image.wait_verified()`` before reporting."""
    elf = elf_enabled(elf)
    want, keep = capture_hooks(elf)
    scans = image.scan(want=want, keep=keep, progress=progress, tag=analysis_tag(elf), wait=wait)
    tree = merged_tree(image, wait=wait)
    captured: dict[str, Captured] = visible_captures(tree, scans)
    return analyze(tree.entries.values(), captured)
