"""finalstage's merged tree as the ``FileSystemView`` the structure tests read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from finalstage.cst.model import FileStat

_TREE_KINDS = {"f": "file", "d": "dir", "l": "symlink", "h": "hardlink", "c": "char",
               "b": "block", "p": "fifo"}


@dataclass
class TreeView:
    """``FileSystemView`` over finalstage's MergedTree; file bytes come from ``contents``
    (path without leading slash → bytes, captured while the layers were streamed)."""

    tree: Any
    contents: Mapping[str, bytes] = field(default_factory=dict)

    def lstat(self, path: str) -> FileStat | None:
        """The merged-tree entry at ``path``."""
        entry = self.tree.get(path.strip("/"))
        if entry is None:
            return None
        return FileStat(_TREE_KINDS.get(entry.kind, entry.kind), entry.mode & 0o7777, entry.uid,
                        entry.gid, entry.size, entry.link, entry.layer)

    def listdir(self, path: str) -> Sequence[str] | None:
        """Child names of directory ``path`` in the merged tree."""
        entry = self.tree.get(path.strip("/"))
        if entry is None or entry.kind != "d":
            return None
        return [e.name for e in self.tree.listdir(path.strip("/"))]

    def read(self, path: str) -> bytes | None:
        """The bytes read for ``path`` (only the files ``needed_files`` named)."""
        return self.contents.get(path.strip("/"))


__all__ = ["TreeView"]
