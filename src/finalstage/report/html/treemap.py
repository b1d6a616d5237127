"""The treemap's data: a filesystem (or a diff's changed paths) as nested nodes under a node
budget, so the page stays small however big the image.

The largest directories are opened first, until ``MAX_NODES`` nodes are listed or what is left
is too small to see (under ``MIN_SHARE`` of the whole); every directory not opened becomes one
*aggregated* leaf carrying its bytes, file count, main kind and bytes per layer. A directory
with more than ``MAX_CHILDREN`` entries lists its largest ones and folds the rest into one
``… N more`` leaf. Every byte of the source is in exactly one leaf.

Nodes are compact JSON objects: ``n`` name, ``v`` bytes (leaves), ``k`` kind index, ``y`` the
file's layer, ``c`` children, and for aggregated leaves ``f`` files and ``L`` [[layer, bytes]].
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from finalstage.escape import escape_control
from finalstage.fs.merge import MergedTree
from finalstage.image.tarheader import DIR, REG

MAX_NODES = 6000
MAX_CHILDREN = 120
MIN_SHARE = 1e-4

File = tuple[str, int, str, "int | None"]   # path, bytes, kind, layer


class Source(Protocol):
    """What the builder needs of a tree: sizes, children with bytes, and every file."""

    def du(self, path: str) -> int: ...

    def kids(self, path: str) -> list[tuple[str, bool]]: ...

    def files(self) -> Iterable[File]: ...


class TreeSource:
    """A merged filesystem, each file of the kind ``kind(path)`` says."""

    def __init__(self, tree: MergedTree, kind: Callable[[str], str]) -> None:
        self.tree = tree
        self.kind = kind

    def du(self, path: str) -> int:
        return self.tree.du(path)

    def kids(self, path: str) -> list[tuple[str, bool]]:
        du = self.tree.du
        return [(e.path, e.kind == DIR) for e in self.tree.listdir(path)
                if (e.kind == REG and e.size) or (e.kind == DIR and du(e.path))]

    def files(self) -> Iterator[File]:
        kind = self.kind
        for path, e in self.tree.entries.items():
            if e.kind == REG and e.size:
                yield path, e.size, kind(path), e.layer


class PathsSource:
    """Files given as (path, bytes, kind, layer), e.g. the paths a diff changed."""

    def __init__(self, files: Iterable[File]) -> None:
        self._files = [(p.strip("/"), size, kind, layer) for p, size, kind, layer in files
                       if size > 0]
        self._du: dict[str, int] = defaultdict(int)
        self._kids: dict[str, set[str]] = defaultdict(set)
        self._dirs: set[str] = {""}
        for path, size, _, _ in self._files:
            self._du[path] += size
            child = path
            while child:
                parent = child.rpartition("/")[0]
                self._du[parent] += size
                self._kids[parent].add(child)
                self._dirs.add(parent)
                child = parent

    def du(self, path: str) -> int:
        return self._du.get(path, 0)

    def kids(self, path: str) -> list[tuple[str, bool]]:
        return [(k, k in self._dirs) for k in sorted(self._kids.get(path, ()))]

    def files(self) -> Iterable[File]:
        return self._files


class _Agg:
    __slots__ = ("files", "kinds", "layers", "size")

    def __init__(self) -> None:
        self.size = self.files = 0
        self.kinds: Counter[str] = Counter()
        self.layers: Counter[int] = Counter()


def build(source: Source, kinds: list[str], *, max_nodes: int = MAX_NODES) -> dict[str, Any]:
    """The nested nodes of ``source``; ``kinds`` lists the kind names (``k`` is an index)."""
    opened, listed, more = _open(source, max_nodes)
    aggs: dict[str, _Agg] = defaultdict(_Agg)
    single: dict[str, tuple[int, str, int | None]] = {}
    for path, size, kind, layer in source.files():
        if path in listed:
            single[path] = (size, kind, layer)
            continue
        q = path.rpartition("/")[0]
        while q not in opened and q not in listed:
            q = q.rpartition("/")[0]
        key = "\0" + q if q in opened else q   # q's "more" leaf, or an unopened directory
        agg = aggs[key]
        agg.size += size
        agg.files += 1
        agg.kinds[kind] += size
        if layer is not None:
            agg.layers[layer] += size
    index = {k: i for i, k in enumerate(kinds)}
    return _node("", opened, listed, more, aggs, single, index)


def _open(source: Source, max_nodes: int) -> tuple[dict[str, list[str]], set[str], set[str]]:
    """Open the largest directories first. Returns (opened dir → listed children, every listed
    path, the opened dirs that have a "more" leaf)."""
    total = max(source.du(""), 1)
    opened: dict[str, list[str]] = {}
    listed: set[str] = set()
    more: set[str] = set()
    heap = [(-total, "")]
    count = 1
    while heap and count < max_nodes:
        size, path = heapq.heappop(heap)
        if -size < total * MIN_SHARE and path:
            break
        kids = sorted(source.kids(path), key=lambda k: (-source.du(k[0]), k[0]))
        shown = kids[:MAX_CHILDREN]
        if count + len(shown) > max_nodes and path:
            continue
        opened[path] = [k for k, _ in shown]
        if len(kids) > len(shown):
            more.add(path)
        listed.update(opened[path])
        count += len(shown) + (path in more)
        for kid, is_dir in shown:
            if is_dir:
                heapq.heappush(heap, (-source.du(kid), kid))
    return opened, listed, more


def _node(path: str, opened: dict[str, list[str]], listed: set[str], more: set[str],
          aggs: dict[str, _Agg], single: dict[str, tuple[int, str, int | None]],
          index: dict[str, int]) -> dict[str, Any]:
    name = escape_control(path.rpartition("/")[2]) if path else "/"
    if path in opened:
        kids = [_node(k, opened, listed, more, aggs, single, index) for k in opened[path]]
        rest = aggs.get("\0" + path)
        if path in more and rest is not None:
            kids.append(_agg_node(f"… {rest.files} more files", rest, index))
        return {"n": name, "c": kids}
    if path in single:
        size, kind, layer = single[path]
        node: dict[str, Any] = {"n": name, "v": size, "k": index.get(kind, 0)}
        if layer is not None:
            node["y"] = layer
        return node
    return _agg_node(name, aggs.get(path) or _Agg(), index)


def _agg_node(name: str, agg: _Agg, index: dict[str, int]) -> dict[str, Any]:
    kind = max(agg.kinds.items(), key=lambda kv: (kv[1], kv[0]))[0] if agg.kinds else ""
    return {"n": name, "v": agg.size, "k": index.get(kind, 0), "f": agg.files,
            "L": sorted([layer, size] for layer, size in agg.layers.items())}


__all__ = ["MAX_NODES", "PathsSource", "Source", "TreeSource", "build"]
