"""dive's image efficiency score, recomputed exactly, in one pass per layer."""

from __future__ import annotations

from collections.abc import Sequence

from finalstage.image.tarheader import RawEntry

OPAQUE = ".wh..wh..opq"


def dive_efficiency(
    layers: Sequence[Sequence[RawEntry]], whiteout_dir_bytes: dict[tuple[int, str], int]
) -> float:
    """dive's efficiency score, the way dive's ``filetree.Efficiency`` computes it.

    dive builds one tree per layer and visits its *leaves* only: a file counts its size, an
    empty directory 0, a whiteout the size of the directory it deleted (0 for a deleted file).
    Per path it sums these (``cumulative``) and keeps the smallest (``minimum``); the score is
    sum(minimum) / sum(cumulative). ``layers`` are the layers' tar entries, in order;
    ``whiteout_dir_bytes`` maps (layer, deleted directory) to its bytes (``MergedTree`` has it).
    """
    cumulative: dict[str, int] = {}
    minimum: dict[str, int] = {}
    for index, entries in enumerate(layers):
        # path -> size, later members of the same path winning, as in dive's tree.
        sizes = {e[0]: e[5] for e in entries}
        for p in [p for p in sizes if ".wh." in p]:  # whiteouts become their target's path
            parent, _, base = p.rpartition("/")
            if not base.startswith(".wh."):
                continue
            target = f"{parent}/{base[4:]}" if parent else base[4:]
            if target in sizes:  # deleted and re-added in one layer: member order decides
                sizes = _with_whiteouts(index, entries, whiteout_dir_bytes)
                break
            del sizes[p]
            if base != OPAQUE:
                sizes[target] = whiteout_dir_bytes.get((index, target), 0)
        # Inner nodes: every proper ancestor of a path of this layer. Parents first (one C-level
        # comprehension), then their ancestors, stopping at the first one already known.
        inner = {p[: p.rfind("/")] for p in sizes if "/" in p}
        for q in list(inner):
            i = q.rfind("/")
            while i > 0:
                q = q[:i]
                if q in inner:
                    break
                inner.add(q)
                i = q.rfind("/")
        get_c, get_m = cumulative.get, minimum.get
        for path, size in sizes.items():
            if not path or path in inner:
                continue
            cumulative[path] = get_c(path, 0) + size
            m = get_m(path)
            minimum[path] = size if m is None or size < m else m
    total = sum(cumulative.values())
    return 1.0 if total == 0 else sum(minimum.values()) / total


def _with_whiteouts(
    index: int, entries: Sequence[RawEntry], whiteout_dir_bytes: dict[tuple[int, str], int]
) -> dict[str, int]:
    """The slow path for a layer that deletes things: whiteouts become their target's path."""
    sizes: dict[str, int] = {}
    for e in entries:
        path, size = e[0], e[5]
        parent, _, base = path.rpartition("/")
        if base.startswith(".wh."):
            if base == OPAQUE:
                continue
            path = f"{parent}/{base[4:]}" if parent else base[4:]
            size = whiteout_dir_bytes.get((index, path), 0)
        sizes[path] = size
    return sizes
