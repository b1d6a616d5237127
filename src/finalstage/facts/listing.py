"""What ``ls IMAGE PATH`` lists: entries of the merged filesystem, with the layer of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from finalstage.errors import ImageNotFoundError
from finalstage.escape import escape_control

if TYPE_CHECKING:
    from finalstage.fs.entry import Entry
    from finalstage.fs.merge import MergedTree


@dataclass(frozen=True)
class Listing:
    """The entries under ``path``: a directory's children, a whole subtree (``recursive``), or
    the one entry a file path names. ``full_paths``: show paths rather than names."""

    path: str
    entries: tuple[Entry, ...]
    full_paths: bool


def list_path(tree: MergedTree, path: str = "/", *, recursive: bool = False) -> Listing:
    """List ``path`` of ``tree``; ImageNotFoundError when the image has no such path."""
    key = path.strip("/")
    entry = tree.get(key)
    if entry is None:
        raise ImageNotFoundError(f"ls {escape_control(path)}: no such file or directory in "
                                 "the image")
    if recursive:
        entries = tuple(e for e in tree.walk(key) if e.path != key or not entry.is_dir)
    elif entry.is_dir:
        entries = tuple(tree.listdir(key))
    else:
        entries = (entry,)
    return Listing(path, entries, recursive or not entry.is_dir)


__all__ = ["Listing", "list_path"]
