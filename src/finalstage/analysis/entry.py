"""What analysis needs to know about one filesystem entry.

The merged-filesystem code (``finalstage.fs``) owns the real entry type; analysis only reads the
attributes named by ``EntryLike``, so any object with them works (duck typing keeps analysis free of
a dependency on fs internals). ``Entry`` is a small concrete type for tests and for callers that
build entries themselves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class EntryKind(enum.StrEnum):
    """Entry types, as plain strings so that other modules may pass ``"file"`` directly."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    OTHER = "other"


class EntryLike(Protocol):
    """The attributes analysis reads. ``path`` may start with ``/`` or not; ``layer`` is 0-based."""

    @property
    def path(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def mode(self) -> int: ...

    @property
    def size(self) -> int: ...

    @property
    def layer(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Entry:
    """A concrete entry (tests, simple callers)."""

    path: str
    kind: str = EntryKind.FILE
    mode: int = 0o644
    size: int = 0
    layer: int = 0
    uid: int = 0
    gid: int = 0
    link: str | None = None


# The tar reader's one-letter kinds (image.tarheader) and the long names used here.
_KIND_ALIASES = {"f": "file", "d": "dir", "l": "symlink", "h": "hardlink", "c": "other",
                 "b": "other", "p": "other", "char": "other", "block": "other", "fifo": "other"}


def kind_name(kind: object) -> str:
    """``"file"``/``"dir"``/``"symlink"``/``"hardlink"``/``"other"`` for any kind spelling."""
    text = str(kind)
    return _KIND_ALIASES.get(text, text)


def normalize_path(path: str) -> str:
    """``/usr/bin/gcc``, ``./usr/bin/gcc`` and ``usr/bin/gcc`` → ``usr/bin/gcc``."""
    path = path.removeprefix("./")
    return path.strip("/")
