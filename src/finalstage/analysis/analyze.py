"""Put it together: entries + captured bytes → ``Analysis``.

The entries become columns (paths, kinds, sizes, layers); each step is then one C-level map
(categories, package owners) or a loop over the few files it concerns (secrets, binaries, npm
and gem trees), because per-file Python work is what costs on 100k-file images. Package
databases are parsed from the captured bytes; packages get the bytes of the files they own. Bad
image content never raises here: every malformed database, manifest or binary becomes a warning
string in the result.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, ValuesView
from contextlib import contextmanager
from itertools import compress
from operator import itemgetter
from typing import Any

from finalstage.analysis import secrets as secret_checks
from finalstage.analysis.capture import (
    CAP_LOCKFILE,
    CAP_PACKAGE_DB,
    CAP_RPMDB,
    Captured,
    Unreadable,
    cap_for,
    is_scannable,
)
from finalstage.analysis.categories import Category
from finalstage.analysis.classify import classify_path
from finalstage.analysis.elf import ElfInfo
from finalstage.analysis.entry import EntryLike, kind_name
from finalstage.analysis.model import (
    Analysis,
    ElfFile,
    Secret,
    SpecialFile,
)
from finalstage.analysis.packages import node
from finalstage.analysis.packages.collect import collect, gem_dir
from finalstage.analysis.secrets import maybe_secret_name
from finalstage.analysis.totals import group, package_totals
from finalstage.escape import one_line

_FILE_KINDS = frozenset({"file", "hardlink"})
_SMALLEST_CAP = min(CAP_LOCKFILE, CAP_PACKAGE_DB, CAP_RPMDB)


def _norm(path: str) -> str:
    if not path or (path[0] not in "./" and path[-1] != "/"):
        return path  # the merged tree's paths are already normalised: skip the copies
    return path.removeprefix("./").strip("/")


def analyze(entries: Iterable[EntryLike], captured: Mapping[str, Captured | None]) -> Analysis:
    """Analyse an image's entries (usually the merged tree) and the bytes captured for them.

    ``captured`` maps paths (with or without a leading ``/``) to what ``capture.reduce``
    returned. Captured paths that are not among the entries (deleted later) are ignored.
    """
    with _no_cyclic_gc():
        if not isinstance(entries, (list, tuple, ValuesView)):
            entries = list(entries)  # a one-shot iterator: _row_getter peeks at the first
        return _analyze(entries, captured)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector (restoring its previous state after).

    The pass allocates ~10 containers per entry but builds no reference cycles (refcounting
    frees everything), while each collection walks the whole merged tree already in memory:
    on a 60k-file image that was a third of the pass's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_KIND_NAMES = {"f": "file", "d": "dir", "l": "symlink", "h": "hardlink", "c": "other",
               "b": "other", "p": "other", "file": "file", "dir": "dir", "symlink": "symlink",
               "hardlink": "hardlink", "other": "other"}
_ROW_FIELDS = ("path", "kind", "mode", "size", "layer", "link")


def _row(entry: Any) -> tuple[Any, ...]:
    """(path, kind, mode, size, layer, link) of an entry without ``_fields`` (link optional)."""
    return (entry.path, entry.kind, entry.mode, entry.size, entry.layer,
            getattr(entry, "link", None))
_MISS = object()


_Key = tuple[str, str, str]


class _DirInfo:
    """What a file's directory says about it, computed once per directory (paths repeat)."""

    __slots__ = ("gem_key", "npm_dev", "npm_key", "per_file")

    def __init__(self, npm_dev: bool, npm_key: _Key | None, gem_key: _Key | None,
                 per_file: bool) -> None:
        self.npm_dev = npm_dev      # the directory is inside an npm dev package
        self.npm_key = npm_key      # owner key of that npm package, or None
        self.gem_key = gem_key      # owner key of the gem directory, or None
        self.per_file = per_file    # the file itself may be a package dir: decide per file


def _row_getter(entries: Iterable[EntryLike]) -> Callable[[Any], tuple[Any, ...]]:
    """A C-level getter of (path, kind, mode, size, layer, link): by index for named tuples
    (the merged tree's entries, 2x faster than by attribute), else by attribute."""
    if isinstance(entries, (list, tuple, ValuesView)):
        for first in entries:
            fields = getattr(type(first), "_fields", None)
            if isinstance(first, tuple) and fields and all(f in fields for f in _ROW_FIELDS):
                return itemgetter(*(fields.index(f) for f in _ROW_FIELDS))
            break
    return _row


def _analyze(entries: Iterable[EntryLike], captured: Mapping[str, Captured | None]) -> Analysis:
    warnings: list[str] = []
    special: list[SpecialFile] = []
    paths, kinds, sizes, layers, links = _columns(entries, special)
    index = dict(zip(paths, range(len(paths))))
    blobs, shebangs, elves = _read_captured(captured, index, kinds, warnings)
    packages, owner_of, npm_dev, py_dev_keys = collect(paths, blobs, elves, warnings,
                                                       present=index, links=links)
    late: list[tuple[int, str]] = []  # (file index, warning): reported in file order
    categories = list(map(classify_path, paths, kinds))  # cached per directory and base name
    keys: list[_Key | None] = list(map(owner_of.get, paths))
    _package_dirs(paths, categories, keys, npm_dev, owner_of)
    if py_dev_keys:
        for path, key in owner_of.items():
            i = index.get(path) if key in py_dev_keys else None
            if i is not None and categories[i] is not Category.SECRET:
                categories[i] = Category.DEV_DEPENDENCY
    found = _find_secrets(paths, kinds, layers, categories, blobs, index)
    own, debug_of, elf_found = _elf_facts(elves, index, sizes, layers, late)
    by_category, by_layer, category_of = group(paths, categories, layers, own, debug_of)
    packages = package_totals(packages, keys, sizes, layers, index)
    late.extend(_cap_warnings(paths, sizes, blobs))
    late.sort(key=lambda t: t[0])
    warnings.extend(w for _, w in late)
    return Analysis(
        total_bytes=sum(sizes),
        total_files=len(paths),
        categories=by_category,
        by_layer=by_layer,
        category_of=category_of,
        packages=tuple(packages),
        secrets=tuple(s for _, s in sorted(found, key=lambda t: t[0])),
        special_files=tuple(special),
        elf_files=tuple(e for _, e in sorted(elf_found, key=lambda t: t[0])),
        shebangs=shebangs,
        owned=frozenset(compress(paths, keys)),
        warnings=tuple(warnings),
    )


def _columns(
    entries: Iterable[EntryLike], special: list[SpecialFile]
) -> tuple[list[str], list[str], list[int], list[int], dict[str, str]]:
    """Paths, kind names, sizes and layers of every non-directory entry, as columns (each
    later step is one C-level map or a loop over the few files it concerns: on 100k-file
    images the per-file Python work is what costs), and the symlinks (path → target, which
    package file lists are resolved through); setuid/setgid/world-writable entries
    (directories too) go to ``special`` on the way."""
    rows = list(map(_row_getter(entries), entries))  # (path, kind, mode, size, layer, link)
    # Each distinct kind spelling named once ("f", "file", an odd one → "file"/"other"/…).
    kind_names = {k: _KIND_NAMES.get(k) or kind_name(k) for k in {row[1] for row in rows}}
    for path, kind, mode, _, layer, _ in [row for row in rows if row[2] & 0o6002]:
        special.extend(_special(_norm(path), kind_names[kind], mode, layer))
    links = {_norm(row[0]): row[5] for row in rows
             if row[5] and kind_names[row[1]] == "symlink"}
    rows = [row for row in rows if kind_names[row[1]] != "dir"]
    if not rows:
        return [], [], [], [], links
    path_col, kind_col, _, size_col, layer_col, _ = zip(*rows)
    paths = [_norm(p) for p in path_col] if any(
        p[:1] in "./" or p[-1:] == "/" for p in path_col) else list(path_col)
    kinds = [kind_names[k] for k in kind_col]
    # Only regular files carry bytes: a hardlink shares its target's (as fs' du does).
    sizes = [s if k == "file" else 0 for s, k in zip(size_col, kinds)]
    return paths, kinds, sizes, list(layer_col), links


def _read_captured(
    captured: Mapping[str, Captured | None], index: Mapping[str, int], kinds: list[str],
    warnings: list[str],
) -> tuple[dict[str, bytes], dict[str, str], dict[str, ElfInfo]]:
    """The captured values of files still in the tree: bytes (and the shebang lines among
    them), ELF facts; what could not be read becomes a warning."""
    blobs: dict[str, bytes] = {}
    shebangs: dict[str, str] = {}
    elves: dict[str, ElfInfo] = {}
    for raw_path, value in captured.items():
        path = _norm(raw_path)
        i = index.get(path)
        if i is None or kinds[i] not in _FILE_KINDS or value is None:
            continue
        if isinstance(value, ElfInfo):
            elves[path] = value
        elif isinstance(value, Unreadable):
            warnings.append(f"{_show(path)}: {value.reason}")
        else:
            blobs[path] = value
            if value.startswith(b"#!"):
                line = value[2:].split(b"\n", 1)[0].strip()
                shebangs[path] = line.decode("utf-8", errors="replace")
    return blobs, shebangs, elves


def _package_dirs(
    paths: list[str], categories: list[Category | None], keys: list[_Key | None],
    npm_dev: set[str], owner_of: Mapping[str, _Key],
) -> None:
    """npm packages and gems own the files below their directory; npm dev packages are
    development dependencies. Computed once per directory (``_dir_info``)."""
    owner_get = owner_of.get
    secret_category, dev_category = Category.SECRET, Category.DEV_DEPENDENCY
    dir_infos: dict[str, object] = {}
    for i, path in enumerate(paths):
        if "node_modules/" not in path and "/gems/" not in path:
            continue
        directory = path[:path.rfind("/")] if "/" in path else ""
        info = dir_infos.get(directory, _MISS)
        if info is _MISS:
            info = dir_infos[directory] = _dir_info(directory, npm_dev, owner_get)
        if info is None:
            continue
        assert isinstance(info, _DirInfo)
        if info.per_file:
            pkg_dir = node.package_dir(path) if "node_modules/" in path else None
            is_dev = pkg_dir is not None and pkg_dir in npm_dev
            npm_key = owner_get(pkg_dir) if pkg_dir else None
            gem = gem_dir(path) if "/gems/" in path else None
            gem_key = owner_get(gem) if gem else None
        else:
            is_dev, npm_key, gem_key = info.npm_dev, info.npm_key, info.gem_key
        if is_dev and categories[i] is not secret_category:
            categories[i] = dev_category
        if keys[i] is None:
            keys[i] = npm_key if npm_key is not None else gem_key


def _find_secrets(
    paths: list[str], kinds: list[str], layers: list[int], categories: list[Category | None],
    blobs: Mapping[str, bytes], index: Mapping[str, int],
) -> list[tuple[int, Secret]]:
    """Secrets: names that say so, confirmed by content when it was captured; captured content
    only makes a secret of a secret-looking name or a scannable config file (most captures are
    package manifests, which need no token scan). Updates ``categories``."""
    secret_category = Category.SECRET
    candidates = {i for i, c in enumerate(categories) if c is secret_category}
    candidates.update(index[p] for p in blobs
                      if maybe_secret_name(p[p.rfind("/") + 1:]) or is_scannable(p))
    found: list[tuple[int, Secret]] = []
    for i in sorted(candidates):
        secret = _secret(paths[i], kinds[i], blobs)
        if secret is not None:
            found.append((i, Secret(paths[i], secret, layers[i])))
            categories[i] = secret_category
        elif categories[i] is secret_category:
            categories[i] = None  # a name-only candidate the captured content did not confirm
    return found


def _elf_facts(
    elves: Mapping[str, ElfInfo], index: Mapping[str, int], sizes: list[int], layers: list[int],
    late: list[tuple[int, str]],
) -> tuple[list[int], dict[str, int], list[tuple[int, ElfFile]]]:
    """ELF files; an unstripped binary's debug sections count as debug bytes, so the bytes of
    its own category shrink by them (``own``: ``sizes`` itself when nothing changes)."""
    own = sizes
    debug_of: dict[str, int] = {}
    elf_found: list[tuple[int, ElfFile]] = []
    for path, elf_info in elves.items():
        i = index[path]
        elf_found.append((i, ElfFile(path, sizes[i], layers[i], elf_info)))
        if not elf_info.is_stripped and elf_info.debug_bytes:
            if own is sizes:
                own = list(sizes)
            debug_of[path] = debug = min(elf_info.debug_bytes, sizes[i])
            own[i] -= debug
        if elf_info.go_error:
            late.append((i, f"{_show(path)}: go build info: {elf_info.go_error}"))
    return own, debug_of, elf_found


def _cap_warnings(
    paths: list[str], sizes: list[int], blobs: Mapping[str, bytes]
) -> Iterator[tuple[int, str]]:
    """Package databases too large to be captured: their packages are missing."""
    for i, size in enumerate(sizes):
        if size > _SMALLEST_CAP and paths[i] not in blobs and size > cap_for(paths[i]) > 0:
            yield i, (f"{_show(paths[i])}: {size} bytes is over the {cap_for(paths[i])}-byte "
                      "cap: not read, packages from it are missing")


def _dir_info(directory: str, npm_dev: set[str], owner_get: Any) -> _DirInfo | None:
    """Package facts shared by every file directly in ``directory`` (None: none apply)."""
    in_npm = "node_modules/" in directory + "/"
    in_gems = "/gems/" in "/" + directory + "/"
    if not in_npm and not in_gems:
        return None
    probe = directory + "/\0"  # a file name no real file has: the directory's own answers
    pkg_dir = node.package_dir(probe) if in_npm else None
    gem = gem_dir(probe) if in_gems else None
    if pkg_dir == probe or gem == probe:
        return _DirInfo(False, None, None, True)  # the file itself names the package
    return _DirInfo(pkg_dir is not None and pkg_dir in npm_dev,
                    owner_get(pkg_dir) if pkg_dir else None,
                    owner_get(gem) if gem else None, False)


def _show(path: str) -> str:
    """A path as it may appear in a warning: one line, control characters escaped."""
    return one_line("/" + path)


def _special(path: str, kind: str, mode: int, layer: int) -> list[SpecialFile]:
    out = []
    if kind in _FILE_KINDS:
        if mode & 0o4000:
            out.append(SpecialFile(path, mode, "setuid", layer))
        if mode & 0o2000:
            out.append(SpecialFile(path, mode, "setgid", layer))
    # World-writable files and directories; symlinks are always 0777, device nodes (/dev/null)
    # are meant to be, and so are sticky directories (/tmp).
    if mode & 0o002 and (kind in _FILE_KINDS or (kind == "dir" and not mode & 0o1000)):
        out.append(SpecialFile(path, mode, "world-writable", layer))
    return out


def _secret(path: str, kind: str, blobs: Mapping[str, bytes]) -> str | None:
    """The secret kind of a file: by name, confirmed by content when content was captured."""
    if kind not in _FILE_KINDS:
        return None
    data = blobs.get(path)
    candidate = secret_checks.path_secret(path)
    if data is None:
        return candidate[0] if candidate is not None and not candidate[1] else None
    if candidate is not None:
        confirmed = secret_checks.confirm_secret(path, candidate[0], data)
        if confirmed is not None:
            return confirmed
    if candidate is not None or is_scannable(path):
        tokens = secret_checks.scan_tokens(data)
        if tokens:
            return tokens[0]
    return None
