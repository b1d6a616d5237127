"""Merge layer listings into the final filesystem, with whiteouts, opaque dirs and waste.

Semantics are those of overlayfs / go-containerregistry ``mutate.Extract``: ``.wh.NAME`` deletes
``NAME`` (and everything below it) from the layers underneath; ``.wh..wh..opq`` hides everything
the lower layers had in that directory but keeps what the same layer adds; other ``.wh..wh.*``
names are aufs bookkeeping and are ignored; a non-directory replacing a directory hides the
whole lower subtree; a directory over a directory merges.

Order: ggcr walks newest → oldest with tombstones because it only needs the final tree. We also
need, per layer, what it *added*, *changed* and *deleted* relative to the layers below, and the
exact bytes each hidden copy wasted. So layers are applied oldest → newest onto one dict of
entries plus a parent → children index (subtree removal costs only the removed entries). Within
a layer, whiteouts are applied before the layer's own entries, which is the same staging ggcr
does for opaque markers ("applied only to lower layers"), and a later duplicate of a path in
the same tar wins, as tar extraction does.

Waste = bytes of regular files present in some layer but absent from the merged tree
(overwritten or deleted later). Each hidden copy counts once, at the moment it is hidden.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from finalstage.errors import CorruptImageError, UnsafeArchiveError
from finalstage.fs.entry import Entry, parent_of
from finalstage.image.image import Image, Progress
from finalstage.image.tarheader import DIR, HARDLINK, REG, SYMLINK, RawEntry

OPAQUE = ".wh..wh..opq"
WH_PREFIX = ".wh."
WH_META = ".wh..wh."


class _LayerLike(Protocol):  # what merge() needs of a LayerScan (structural: tests pass their own)
    @property
    def index(self) -> int: ...

    @property
    def entries(self) -> Sequence[RawEntry]: ...


@dataclass
class LayerStats:
    """What one layer did to the filesystem below it."""

    index: int
    entries: int = 0  # tar members, whiteouts excluded
    files: int = 0  # regular files
    bytes: int = 0  # sum of regular file sizes in this layer's tar (dive's layer size)
    added: int = 0
    changed: int = 0
    deleted: int = 0  # entries of lower layers removed by this layer's whiteouts
    whiteouts: int = 0
    hidden_bytes: int = 0  # bytes of THIS layer's files that later layers hid (its waste)


@dataclass
class WastedPath:
    path: str
    bytes: int = 0
    copies: int = 0
    layers: list[int] = field(default_factory=list)


class MergedTree:
    """The merged filesystem: ``entries[path]``, children index, per-layer stats, waste."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {"": Entry("", DIR, 0o755, 0, 0, 0, 0, None, 0, True)}
        self.children: dict[str, set[str]] = {"": set()}
        self.layers: list[LayerStats] = []
        self.wasted: dict[str, WastedPath] = {}
        self.waste_bytes = 0
        # Every hidden copy: (path, bytes, layer that added it, layer that hid it).
        self.hidden: list[tuple[str, int, int, int]] = []
        self._applying = 0
        # (layer, path) → bytes of the directory a whiteout deleted (dive sizes whiteouts so).
        self.whiteout_dir_bytes: dict[tuple[int, str], int] = {}
        self._du: dict[str, int] | None = None
        self._counts: dict[str, int] | None = None

    # -- queries ---------------------------------------------------------------------------
    def get(self, path: str) -> Entry | None:
        return self.entries.get(path.strip("/"))

    def listdir(self, path: str = "") -> list[Entry]:
        """Children of ``path`` sorted by name (empty for non-directories)."""
        kids = self.children.get(path.strip("/"), ())
        return sorted((self.entries[k] for k in kids), key=lambda e: e.path)

    def walk(self, path: str = "") -> Iterator[Entry]:
        """Depth-first, sorted, ``path`` itself first."""
        start = self.entries.get(path.strip("/"))
        if start is None:
            return
        stack = [start]
        while stack:
            e = stack.pop()
            yield e
            kids = self.children.get(e.path)
            if kids:
                stack.extend(
                    sorted((self.entries[k] for k in kids), key=lambda x: x.path, reverse=True)
                )

    @property
    def total_size(self) -> int:
        """Bytes of regular files in the merged tree (hardlinks share their target's bytes)."""
        return self.du("")

    @property
    def file_count(self) -> int:
        return sum(1 for e in self.entries.values() if e.kind == REG)

    def du(self, path: str) -> int:
        """Total regular-file bytes at or under ``path``."""
        if self._du is None:
            self._compute_du()
        assert self._du is not None
        p = path.strip("/")
        e = self.entries.get(p)
        if e is None:
            return 0
        if e.kind != DIR:
            return e.size if e.kind == REG else 0
        return self._du.get(p, 0)

    def count(self, path: str) -> int:
        """Number of entries strictly under directory ``path``."""
        if self._counts is None:
            self._compute_du()
        assert self._counts is not None
        return self._counts.get(path.strip("/"), 0)

    def _compute_du(self) -> None:
        # Direct sums per parent first, then fold directories into their parents deepest
        # first: O(entries + directories·depth) instead of O(entries·depth).
        du: dict[str, int] = {}
        counts: dict[str, int] = {}
        for p, e in self.entries.items():
            if not p:
                continue
            i = p.rfind("/")
            parent = p[:i] if i >= 0 else ""
            du[parent] = du.get(parent, 0) + (e.size if e.kind == REG else 0)
            counts[parent] = counts.get(parent, 0) + 1
        for d in sorted(du, key=lambda x: x.count("/") if x else -1, reverse=True):
            if not d:
                continue
            i = d.rfind("/")
            parent = d[:i] if i >= 0 else ""
            du[parent] = du.get(parent, 0) + du[d]
            counts[parent] = counts.get(parent, 0) + counts[d]
        self._du = du
        self._counts = counts

    def largest(self, n: int) -> list[Entry]:
        """The ``n`` biggest regular files, ties by path (a partial sort: n is small)."""
        files = [e for e in self.entries.values() if e.kind == REG]
        return heapq.nsmallest(n, files, key=lambda e: (-e.size, e.path))

    def top_wasted(self, n: int) -> list[WastedPath]:
        items = sorted(self.wasted.values(), key=lambda w: (-w.bytes, w.path))
        return items[:n]

    # -- building ---------------------------------------------------------------------------
    def _hide(self, path: str, by_layer: LayerStats | None) -> None:
        """Remove ``path`` and its subtree, accounting every hidden regular file as waste."""
        parent = parent_of(path)
        siblings = self.children.get(parent)
        if siblings is not None:
            siblings.discard(path)
        stack = [path]
        while stack:
            q = stack.pop()
            e = self.entries.pop(q, None)
            if e is None:
                continue
            if by_layer is not None:
                by_layer.deleted += 1
            if e.kind == REG and e.size:
                self._waste(e)
            kids = self.children.pop(q, None)
            if kids:
                stack.extend(kids)
        self._du = None

    def _subtree_bytes(self, path: str) -> int:
        total = 0
        stack = [path]
        while stack:
            q = stack.pop()
            e = self.entries.get(q)
            if e is not None and e.kind == REG:
                total += e.size
            stack.extend(self.children.get(q, ()))
        return total

    def _waste(self, e: Entry) -> None:
        self.waste_bytes += e.size
        w = self.wasted.get(e.path)
        if w is None:
            w = self.wasted[e.path] = WastedPath(e.path)
        w.bytes += e.size
        w.copies += 1
        w.layers.append(e.layer)
        if e.layer < len(self.layers):
            self.layers[e.layer].hidden_bytes += e.size
        self.hidden.append((e.path, e.size, e.layer, self._applying))

    def _ensure_parents(self, path: str, layer: int) -> None:
        parent = parent_of(path)
        missing: list[str] = []
        while parent and parent not in self.entries:
            missing.append(parent)
            parent = parent_of(parent)
        if parent:
            pe = self.entries[parent]
            if pe.kind != DIR and pe.kind != SYMLINK:
                # A file where a directory is needed: the layer replaced it (overlay does too).
                self._hide(parent, None)
                missing.append(parent)
        for d in reversed(missing):
            self.entries[d] = Entry(d, DIR, 0o755, 0, 0, 0, 0, None, layer, True)
            self.children.setdefault(parent_of(d), set()).add(d)

    def apply(self, index: int, raw: Sequence[RawEntry]) -> LayerStats:
        """Apply one layer: its whiteouts first (they hide only lower layers), then its other
        entries in tar order."""
        stats = LayerStats(index)
        self.layers.append(stats)
        self._applying = index
        ordinary = self._apply_whiteouts(index, raw, stats)
        entries = self.entries
        children = self.children
        get = entries.get
        make = tuple.__new__  # Entry(...) would run namedtuple's Python-level __new__
        files = nbytes = changed = added = 0
        # This loop runs once per tar entry of every layer: counters stay local, fields are
        # unpacked in one step, and nothing is looked up twice.
        for r in ordinary:
            p, kind, mode, uid, gid, size, mtime, link, _, _ = r
            if kind == REG:
                files += 1
                nbytes += size
            elif kind == HARDLINK:
                # Like Docker's applyLayer (link(2)): the target must already exist, below or
                # earlier in this tar, and must not be a directory. This also rules out cycles.
                linked = get(link or "")
                if linked is None or linked.kind == DIR or not link:
                    raise _bad_hardlink(index, p, link, linked)
            new = make(Entry, (p, kind, mode, uid, gid, size, mtime, link, index, False))
            if not p:
                entries[""] = new
                continue
            old = get(p)
            if old is not None:
                if old[8] != index:  # .layer
                    changed += 1
                if old[1] == DIR and kind == DIR:
                    entries[p] = new  # directories merge: keep the children
                    continue
                self._hide(p, None)
            else:
                added += 1
            i = p.rfind("/")
            parent = p[:i] if i >= 0 else ""
            pe = get(parent)
            if pe is None or pe[1] != DIR:
                self._ensure_parents(p, index)
            entries[p] = new
            kids = children.get(parent)
            if kids is None:
                kids = children[parent] = set()
            kids.add(p)
            if kind == DIR and p not in children:
                children[p] = set()
        stats.entries += len(ordinary)
        stats.files += files
        stats.bytes += nbytes
        stats.changed += changed
        stats.added += added
        self._du = None
        return stats

    def _apply_whiteouts(
        self, index: int, raw: Sequence[RawEntry], stats: LayerStats
    ) -> Sequence[RawEntry]:
        """Apply the layer's whiteouts to the layers below; return its other entries."""
        ordinary: list[RawEntry] = []
        append = ordinary.append
        for r in raw:
            p = r[0]
            if ".wh." not in p:  # one C-level search instead of rfind, slice and startswith
                append(r)
                continue
            i = p.rfind("/")
            base = p[i + 1 :]
            if not base.startswith(WH_PREFIX):
                append(r)
                continue
            stats.whiteouts += 1
            parent = p[:i] if i >= 0 else ""
            if base == OPAQUE:
                for kid in list(self.children.get(parent, ())):
                    self._hide(kid, stats)
            elif not base.startswith(WH_META):  # other .wh..wh. names: aufs bookkeeping
                self._whiteout(index, p, parent, base[len(WH_PREFIX) :], stats)
        return ordinary

    def _whiteout(self, index: int, p: str, parent: str, name: str, stats: LayerStats) -> None:
        """``parent/.wh.name`` deletes ``parent/name`` and everything below it."""
        if name in ("", ".", ".."):
            raise UnsafeArchiveError(
                f"reading layer {index}: invalid whiteout {p!r} (would delete"
                f" {'the root' if not parent and name != '..' else 'outside its directory'})"
            )
        target = f"{parent}/{name}" if parent else name
        old = self.entries.get(target)
        if old is not None:
            if old.kind == DIR:
                self.whiteout_dir_bytes[(index, target)] = self._subtree_bytes(target)
            self._hide(target, stats)


def _bad_hardlink(index: int, p: str, link: str | None, linked: Entry | None) -> CorruptImageError:
    what = "a directory" if linked is not None else "a missing path"
    return CorruptImageError(f"reading layer {index}: hard link {p!r} points to {what} {link!r}")


def visible_captures(tree: MergedTree, scans: Sequence[Any]) -> dict[str, Any]:
    """Path → what the scans captured of the regular files the merged tree shows, taken from
    the layer each file's visible version came from (a stale copy in a lower layer is never
    used). Walking the few captured paths is cheaper than walking every entry."""
    entries = tree.entries
    out: dict[str, Any] = {}
    for layer, scan in enumerate(scans):
        for path, value in scan.captured.items():
            entry = entries.get(path)
            if value is not None and entry is not None and entry.layer == layer \
                    and entry.kind == REG:
                out[path] = value
    return out


def merge(scans: Sequence[_LayerLike]) -> MergedTree:
    """Apply every layer (oldest first) and return the merged tree."""
    tree = MergedTree()
    for scan in scans:
        tree.apply(scan.index, scan.entries)
    return tree


def merged_tree(image: Image, *, progress: Progress | None = None, wait: bool = True) -> MergedTree:
    """The merged filesystem of ``image``, merged once per image (memoised on it) while the
    layer digests are still being checked; ``wait`` as for ``Image.scan``: without it the
    caller MUST ``image.wait_verified()`` before showing anything."""
    tree = image.memo(merged_tree, lambda: merge(image.scan(progress=progress, wait=False)))
    if wait:
        image.wait_verified()
    return tree
