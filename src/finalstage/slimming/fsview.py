"""Path lookups in the merged tree the way the kernel does them: symlinks followed, hop by hop.

Paths here have no leading slash (the tree's own form). ``resolve`` returns the real path and
every symlink crossed on the way, because a slimmed image must keep those links too (``/lib``
→ ``usr/lib`` on merged-/usr systems, ``python3`` → ``python3.11``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from finalstage.fs.entry import Entry
from finalstage.fs.merge import MergedTree
from finalstage.image.tarheader import DIR, HARDLINK, REG, SYMLINK

MAX_LINKS = 40   # the kernel's limit on symlinks followed in one lookup


@dataclass(frozen=True)
class Resolved:
    """A lookup: the real path (None when it does not exist) and the symlinks crossed."""

    path: str | None
    links: tuple[str, ...]


def norm(path: str) -> str:
    """An absolute or tree path as the tree spells it (no leading slash, no ``.``/``..``)."""
    clean = posixpath.normpath("/" + path)
    return clean.lstrip("/")


class TreeView:
    """Read-only lookups over a ``MergedTree``."""

    def __init__(self, tree: MergedTree) -> None:
        self.tree = tree
        self.entries = tree.entries

    def get(self, path: str) -> Entry | None:
        return self.entries.get(path)

    def resolve(self, path: str, *, follow_last: bool = True) -> Resolved:
        """Follow symlinks in every component (and the last one with ``follow_last``)."""
        parts = [p for p in norm(path).split("/") if p]
        done = ""
        links: list[str] = []
        hops = 0
        while parts:
            name = parts.pop(0)
            current = f"{done}/{name}" if done else name
            entry = self.entries.get(current)
            if entry is None:
                return Resolved(None, tuple(links))
            if entry.kind == SYMLINK and (parts or follow_last):
                hops += 1
                if hops > MAX_LINKS or entry.link is None:
                    return Resolved(None, tuple(links))
                links.append(current)
                target = entry.link
                base = "" if target.startswith("/") else done
                parts = [p for p in norm(posixpath.join("/" + base, target)).split("/") if p] \
                    + parts
                done = ""
                continue
            if parts and entry.kind != DIR:
                return Resolved(None, tuple(links))
            done = current
        return Resolved(done, tuple(links))

    def is_file(self, path: str) -> bool:
        entry = self.entries.get(path)
        return entry is not None and entry.kind in (REG, HARDLINK)

    def is_dir(self, path: str) -> bool:
        entry = self.entries.get(path)
        return entry is not None and entry.kind == DIR

    def exists(self, path: str) -> bool:
        """True when ``path`` resolves to an entry (symlinks followed)."""
        return self.resolve(path).path is not None

    def children(self, path: str) -> list[str]:
        """Names of the entries directly under directory ``path``, sorted."""
        kids = self.tree.children.get(path, ())
        return sorted(k.rsplit("/", 1)[-1] for k in kids)

    def walk(self, path: str) -> Iterator[Entry]:
        """Every entry at or under ``path`` (not following symlinks)."""
        return self.tree.walk(path)

    def which(self, name: str, search: str, cwd: str = "") -> str | None:
        """The path ``execvp`` would run for ``name`` (tree form, links not followed): a name
        with a slash as is (relative to ``cwd``), else the first ``PATH`` directory holding an
        executable regular file of that name; None when there is none."""
        if "/" in name:
            path = norm(posixpath.join("/" + cwd, name))
            return path if self.resolve(path).path is not None else None
        for directory in search.split(":"):
            if not directory:
                continue
            path = norm(posixpath.join("/" + norm(directory), name))
            found = self.resolve(path).path
            if found is not None and self.is_file(found):
                entry = self.entries[found]
                if entry.mode & 0o111 or entry.kind == HARDLINK:
                    return path
        return None

    def real_file(self, path: str) -> str | None:
        """The regular file behind ``path`` (a hard link's target for a hard link)."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        if entry.kind == HARDLINK and entry.link:
            return entry.link
        return path if entry.kind == REG else None


__all__ = ["MAX_LINKS", "Resolved", "TreeView", "norm"]
