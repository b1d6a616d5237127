"""One entry of the merged filesystem: a compact tuple, so memory grows with entries, not bytes."""

from __future__ import annotations

import stat
from typing import NamedTuple

from finalstage.image.tarheader import BLOCKDEV, CHAR, DIR, FIFO, HARDLINK, REG, SYMLINK

KIND_NAMES = {
    REG: "file",
    DIR: "dir",
    SYMLINK: "symlink",
    HARDLINK: "hardlink",
    CHAR: "char",
    BLOCKDEV: "block",
    FIFO: "fifo",
}
_KIND_BITS = {
    REG: stat.S_IFREG,
    DIR: stat.S_IFDIR,
    SYMLINK: stat.S_IFLNK,
    HARDLINK: stat.S_IFREG,
    CHAR: stat.S_IFCHR,
    BLOCKDEV: stat.S_IFBLK,
    FIFO: stat.S_IFIFO,
}


class Entry(NamedTuple):
    """A path in the merged tree. ``path`` has no leading slash (``""`` is the root).

    ``layer`` is the index of the layer the visible version came from; ``is_implicit`` marks
    parent directories a layer implied without a tar entry of their own.
    """

    path: str
    kind: str
    mode: int
    uid: int
    gid: int
    size: int
    mtime: int
    link: str | None
    layer: int
    is_implicit: bool = False

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_dir(self) -> bool:
        return self.kind == DIR

    def filemode(self) -> str:
        """``ls -l`` style mode string (``drwxr-xr-x``)."""
        return stat.filemode(_KIND_BITS.get(self.kind, 0) | self.mode)


def parent_of(path: str) -> str:
    i = path.rfind("/")
    return path[:i] if i >= 0 else ""
