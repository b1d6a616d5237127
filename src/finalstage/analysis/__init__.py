"""Content analysis: categories, package databases, ELF facts and secrets, as pure functions.

The layer reader drives it during its single streaming pass:

1. for every regular file, ``wants(path, size, mode)`` says how many leading bytes to capture
   (0 = none, ``ALL`` = the whole file, already capped);
2. right after capturing, ``reduce(path, data)`` shrinks the bytes to what analysis keeps (an
   ``ElfInfo`` for binaries, the bytes of package databases and small config files, else None);
3. at the end, ``analyze(entries, captured)`` returns an ``Analysis``.

``analyze_image(image)`` does all three over ``finalstage.image.Image``'s single pass.

``classify(entry)`` / ``classify_path(path, kind)`` give one entry's ``Category`` on their own.
Nothing here does I/O or raises on bad image content: malformed input becomes a warning.
"""

from __future__ import annotations

from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import ALL, Captured, Unreadable, reduce, wants
from finalstage.analysis.categories import Category
from finalstage.analysis.classify import classify, classify_path
from finalstage.analysis.elf import ElfInfo
from finalstage.analysis.entry import Entry, EntryKind, EntryLike
from finalstage.analysis.from_image import analyze_image
from finalstage.analysis.model import Analysis, CategoryStats, ElfFile, Secret, SpecialFile
from finalstage.analysis.packages.model import Ecosystem, Package

__all__ = [
    "ALL",
    "Analysis",
    "Captured",
    "Category",
    "CategoryStats",
    "Ecosystem",
    "ElfFile",
    "ElfInfo",
    "Entry",
    "EntryKind",
    "EntryLike",
    "Package",
    "Secret",
    "SpecialFile",
    "Unreadable",
    "analyze",
    "analyze_image",
    "classify",
    "classify_path",
    "reduce",
    "wants",
]
