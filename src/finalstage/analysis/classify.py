"""Classify one filesystem entry into a content category, from its path alone.

This runs for every entry of images with 100k+ files, so the tables of ``categories.py`` are
compiled once into dicts and a small component trie, and everything a directory path implies
(prefix patterns, marked components such as ``.git`` or ``site-packages/pip``) is computed once
per directory and cached. Per file the cost is then a few dict lookups on the base name (no regex
except for the rare bin-directory name that needs a version or target-triple stripped). Categories that need content (unstripped ELF, confirmed secrets, npm dev
dependencies) are added later by ``analyze``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from finalstage.analysis import categories as tables
from finalstage.analysis.categories import Category
from finalstage.analysis.entry import EntryLike, kind_name
from finalstage.analysis.secrets import (
    TRIGGER_NAMES,
    TRIGGER_PREFIXES,
    TRIGGER_SUFFIXES,
    path_secret,
)


class _Node:
    """One trie node: children by exact component, by ``prefix*`` glob, or by ``*``."""

    __slots__ = ("category", "exact", "globs", "star")

    def __init__(self) -> None:
        self.exact: dict[str, _Node] = {}
        self.globs: list[tuple[str, _Node]] = []
        self.star: _Node | None = None
        self.category: Category | None = None

    def child(self, component: str) -> _Node:
        """The child for a pattern component, created on demand."""
        if component == "*":
            if self.star is None:
                self.star = _Node()
            return self.star
        if component.endswith("*"):
            prefix = component[:-1]
            for existing, node in self.globs:
                if existing == prefix:
                    return node
            node = _Node()
            self.globs.append((prefix, node))
            return node
        return self.exact.setdefault(component, _Node())


def _build_trie() -> _Node:
    root = _Node()
    # Insert lowest precedence first so that a higher one overwrites an identical pattern.
    for category in reversed(tables.PREFIX_PRECEDENCE):
        for pattern in tables.PREFIXES.get(category, ()):
            node = root
            for component in pattern.split("/"):
                node = node.child(component)
            node.category = category
    return root


_TRIE = _build_trie()


def _compile_names(table: dict[Category, tuple[str, ...]]) -> dict[str, Category]:
    out: dict[str, Category] = {}
    for category, names in table.items():
        for name in names:
            out.setdefault(name, category)
    return out


_BIN_NAMES = _compile_names(tables.BIN_NAMES)
_PY_PACKAGES = _compile_names(tables.PYTHON_PACKAGES)
# One dict lookup per path component: site-packages dirs map to a sentinel.
_SITE = object()
_COMPONENTS: dict[str, object] = {**tables.COMPONENTS,
                                    **{name: _SITE for name in tables.PYTHON_SITE_DIRS}}
_FILE_NAMES = tables.FILE_NAMES
_SUFFIXES = tables.SUFFIXES
_BIN_DIRS = tables.BIN_DIRS
_HOME_ROOTS = frozenset({"root", "home"})
_DIR_KINDS = frozenset({"dir"})

# x86_64-linux-gnu-gcc-12 → gcc; python3.11 → python; pip3 → pip; clang++-14 → clang++.
_BIN_NORMALIZE = re.compile(
    r"^(?:[a-z0-9_]+-(?:[a-z0-9_]+-)?(?:linux|alpine-linux|pc-linux|w64-mingw32)(?:-[a-z0-9_]+)?-)?"
    r"(?P<name>.+?)(?:-?[0-9][0-9.]*)?$"
)


@lru_cache(maxsize=4096)
def bin_category(name: str) -> Category | None:
    """Category of an executable in a bin directory, by base name (cached: names repeat)."""
    category = _BIN_NAMES.get(name)
    if category is not None:
        return category
    match = _BIN_NORMALIZE.match(name)
    if match is not None:
        category = _BIN_NAMES.get(match.group("name"))
        if category is not None:
            return category
    dash = name.find("-")
    if dash > 0:
        return tables.BIN_FAMILIES.get(name[:dash])
    return None


@lru_cache(maxsize=8192)
def python_package_category(component: str) -> Category | None:
    """Category of a top-level name under site-packages (``pip``, ``pytest-8.0.dist-info``)."""
    name = component
    if name.endswith((".dist-info", ".egg-info")):
        name = name.rsplit(".", 1)[0].split("-", 1)[0]
    elif name.endswith(".py"):
        name = name[:-3]
    return _PY_PACKAGES.get(name.lower().replace("_", "-"))


def _home_parts(parts: list[str]) -> list[str]:
    """``root/...`` and ``home/<user>/...`` → ``~/...`` so home patterns match any user."""
    first = parts[0]
    if first == "root":
        return ["~", *parts[1:]]
    if first == "home" and len(parts) > 1:
        return ["~", *parts[2:]]
    return parts


class _DirFacts(NamedTuple):
    """What a directory path says about every entry below it (computed once per directory)."""

    prefix: Category | None      # deepest prefix pattern matching the directory
    frontier: tuple[_Node, ...]  # trie nodes at the directory's depth (a pattern may end on a file)
    component: Category | None   # category of the first marked component (.git, tests, pip…)
    site_last: bool              # the directory is site-packages: the file name decides
    is_bin: bool                 # the directory is a bin/sbin/libexec directory
    plain: bool                  # none of the above: a file's category is its name's alone


_DIR_CACHE: dict[str, _DirFacts] = {}
_DIR_CACHE_MAX = 1 << 16  # directories repeat heavily; clearing when full bounds memory


def _dir_facts(dir_path: str) -> _DirFacts:
    facts = _DIR_CACHE.get(dir_path)
    if facts is None:
        if len(_DIR_CACHE) >= _DIR_CACHE_MAX:
            _DIR_CACHE.clear()
        facts = _DIR_CACHE[dir_path] = _compute_dir_facts(dir_path)
    return facts


def _children(node: _Node, part: str) -> list[_Node]:
    out = []
    child = node.exact.get(part)
    if child is not None:
        out.append(child)
    for prefix, glob_node in node.globs:
        if part.startswith(prefix):
            out.append(glob_node)
    if node.star is not None:
        out.append(node.star)
    return out


def _compute_dir_facts(dir_path: str) -> _DirFacts:
    parts = dir_path.split("/") if dir_path else []
    walk = _home_parts(parts) if parts and parts[0] in _HOME_ROOTS else parts
    states: list[_Node] = [_TRIE]
    prefix: Category | None = None
    for part in walk:
        states = [child for node in states for child in _children(node, part)]
        if not states:
            break
        for node in states:  # deeper wins; at one depth, exact before glob before "*"
            if node.category is not None:
                prefix = node.category
                break
    component: Category | None = None
    site_last = False
    for i, part in enumerate(parts):
        marker = _COMPONENTS.get(part)
        if marker is None:
            continue
        if marker is _SITE:
            if i + 1 == len(parts):
                site_last = True
                break
            category = python_package_category(parts[i + 1])
            if category is not None:
                component = category
                break
            continue
        component = marker  # type: ignore[assignment]
        break
    # Frontier nodes with neither children nor a category cannot match a file name.
    frontier = tuple(node for node in states
                     if node.exact or node.globs or node.star is not None)
    is_bin = bool(parts) and parts[-1] in _BIN_DIRS
    plain = not frontier and prefix is None and component is None and not site_last and not is_bin
    return _DirFacts(prefix, frontier, component, site_last, is_bin, plain)


def classify_path(path: str, kind: str = "file") -> Category | None:
    """The category of one entry, from its normalised path (no leading ``/``) and kind.

    Files that may be secrets only by content (a ``.pem`` may be a public certificate) are not
    called secrets here; ``analyze`` confirms them from captured bytes. Per directory, the
    prefix and component lookups are cached, so most entries cost a few dict lookups.
    """
    if not path:
        return None
    if kind in _DIR_KINDS:
        facts = _dir_facts(path)
        return facts.prefix or facts.component
    slash = path.rfind("/")
    name = path[slash + 1:]
    dot = name.rfind(".")
    # maybe_secret_name() inlined: this line runs for every file of every image
    if (name in TRIGGER_NAMES or name.startswith(TRIGGER_PREFIXES)
            or (dot >= 0 and name[dot:].lower() in TRIGGER_SUFFIXES)):
        secret = path_secret(path)
        if secret is not None and not secret[1]:
            return Category.SECRET
    dir_path = path[:slash] if slash >= 0 else ""
    facts = _DIR_CACHE.get(dir_path) or _dir_facts(dir_path)
    if facts.plain:  # most directories: nothing but the base name decides
        return _name_category(name)
    for node in facts.frontier:
        for child in _children(node, name):
            if child.category is not None:
                return child.category
    if facts.prefix is not None:
        return facts.prefix
    if facts.component is not None:
        return facts.component
    if facts.site_last:
        category = python_package_category(name)
        if category is not None:
            return category
    if facts.is_bin:
        category = bin_category(name)
        if category is not None:
            return category
    return _name_category(name)


def _name_category(name: str) -> Category | None:
    """Category by base name alone: exact file names, then suffixes."""
    category = _FILE_NAMES.get(name)
    if category is not None:
        return category
    return _suffix_category(name)


def _suffix_category(name: str) -> Category | None:
    dot = name.rfind(".")
    if dot <= 0:
        return None
    ext = name[dot:].lower()
    dot2 = name.rfind(".", 0, dot)
    if dot2 > 0:
        category = _SUFFIXES.get(name[dot2:].lower())
        if category is not None:
            return category
    if ext == ".py":
        if name.startswith("test_") or name.endswith("_test.py"):
            return Category.TESTS
        return None
    if ext == ".go" and name.endswith("_test.go"):
        return Category.TESTS
    if ext == ".rb" and name.endswith(("_spec.rb", "_test.rb")):
        return Category.TESTS
    return _SUFFIXES.get(ext)


def classify(entry: EntryLike) -> Category | None:
    """The category of one entry (any object with ``path`` and ``kind``, see ``EntryLike``).

    Content-dependent categories (unstripped ELF, confirmed secrets, npm dev dependencies) are
    only known to ``analyze``.
    """
    return classify_path(entry.path.removeprefix("./").strip("/"), kind_name(entry.kind))
