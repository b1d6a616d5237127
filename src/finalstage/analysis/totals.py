"""The sums of an analysis: category stats in all and per layer, each package's bytes and layers.

``analyze`` hands over columns (paths, categories, layers, sizes, package keys); each total is
one pass over them, the largest files per category kept with a partial sort.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from operator import itemgetter

from finalstage.analysis.categories import Category
from finalstage.analysis.model import TOP_N, CategoryStats
from finalstage.analysis.packages.collect import PackageKey
from finalstage.analysis.packages.model import Ecosystem, Package


def group(
    paths: list[str], categories: list[Category | None], layers: list[int], own: list[int],
    debug_of: Mapping[str, int],
) -> tuple[dict[Category, CategoryStats], dict[int, dict[Category, CategoryStats]],
           dict[str, Category]]:
    """Category stats, in all and per layer, and the category of each categorised path."""
    groups: dict[tuple[int, Category], list[tuple[int, str]]] = {}
    category_of: dict[str, Category] = {}
    debug_category = Category.DEBUG
    for path, category, layer, size in zip(paths, categories, layers, own):
        if debug_of:
            debug_bytes = debug_of.get(path)
            if debug_bytes is not None:
                groups.setdefault((layer, debug_category), []).append((debug_bytes, path))
                category_of.setdefault(path, debug_category)
        if category is not None:
            category_of[path] = category
            group = groups.get((layer, category))
            if group is None:
                group = groups[(layer, category)] = []
            group.append((size, path))
    by_category, by_layer = freeze(groups)
    return by_category, by_layer, category_of


def package_totals(
    packages: list[Package], keys: list[PackageKey | None], sizes: list[int], layers: list[int],
    index: Mapping[str, int],
) -> list[Package]:
    """``packages`` with the bytes and layers of their files.

    Each file counts for the package that owns it (``keys``: the owner index; an npm package or
    a gem owns its directory). A Python distribution with a RECORD counts every file it lists
    that the tree holds (``index``: path → column), owned or not: Debian's ``pip`` dist-info
    lists the files dpkg's ``python3-pip`` owns, and both are that big. An apk package with no
    file (a metapackage) has 0 bytes: apk's database lists every package's files."""
    package_bytes: dict[PackageKey, int] = defaultdict(int)
    package_layers: dict[PackageKey, set[int]] = defaultdict(set)
    records = [p for p in packages if p.files and p.ecosystem == Ecosystem.PYPI]
    by_record = {p.key for p in records}
    for owner, size, layer in zip(keys, sizes, layers):
        if owner is not None and owner not in by_record:
            package_bytes[owner] += size
            package_layers[owner].add(layer)
    get, size_of, layer_of = index.get, sizes.__getitem__, layers.__getitem__
    for package in records:
        columns = set(map(get, package.files))  # C-level: these run once per listed file
        columns.discard(None)
        package_bytes[package.key] += sum(map(size_of, columns))  # type: ignore[arg-type]
        package_layers[package.key].update(map(layer_of, columns))  # type: ignore[arg-type]
    return [
        replace(p, bytes=package_bytes.get(p.key, 0), layers=tuple(sorted(package_layers[p.key])))
        if p.key in package_bytes or p.files or p.ecosystem == Ecosystem.APK else p
        for p in packages
    ]


def freeze(groups: dict[tuple[int, Category], list[tuple[int, str]]]
            ) -> tuple[dict[Category, CategoryStats], dict[int, dict[Category, CategoryStats]]]:
    """Per-category and per-layer stats from the (size, path) lists of each (layer, category).

    ``top`` is the TOP_N largest (size, path) pairs (at equal sizes the greater paths), listed
    largest first, equal sizes by path.
    """
    by_layer: dict[int, dict[Category, CategoryStats]] = {}
    merged: dict[Category, list[int]] = {}
    tops: dict[Category, list[tuple[int, str]]] = {}
    for (layer, category), items in sorted(groups.items()):
        size = sum(map(_FIRST, items))
        top = heapq.nlargest(TOP_N, items)
        by_layer.setdefault(layer, {})[category] = CategoryStats(
            category, size, len(items), _ordered(top))
        totals = merged.setdefault(category, [0, 0])
        totals[0] += size
        totals[1] += len(items)
        tops.setdefault(category, []).extend(top)
    categories = {c: CategoryStats(c, t[0], t[1], _ordered(heapq.nlargest(TOP_N, tops[c])))
                  for c, t in sorted(merged.items())}
    return categories, by_layer


_FIRST = itemgetter(0)


def _ordered(top: list[tuple[int, str]]) -> tuple[tuple[str, int], ...]:
    return tuple((p, s) for s, p in sorted(top, key=lambda t: (-t[0], t[1])))
