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


class _DirFacts(NamedTuple):
    """What a directory path says about every entry below it (computed once per directory)."""

    prefix: Category | None      # deepest prefix pattern matching the directory
    frontier: tuple[_Node, ...]  # trie nodes at the directory's depth (a pattern may end on a file)
    component: Category | None   # category of the first marked component (.git, tests, pip…)
    site_last: bool              # the directory is site-packages: the file name decides
    is_bin: bool                 # the directory is a bin/sbin/libexec directory
    plain: bool                  # none of the above: a file's category is its name's alone
    states: tuple[_Node, ...] = ()  # every trie node at this depth (a child directory's start)


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


_ROOT_FACTS = _DirFacts(None, (_TRIE,), None, False, False, False, (_TRIE,))


def _compute_dir_facts(dir_path: str) -> _DirFacts:
    """A directory's facts from its parent's (cached) and its last component: each directory
    costs one step, not a walk of its whole path (8k directories → a few ms)."""
    if not dir_path:
        return _ROOT_FACTS
    parent_path, _, part = dir_path.rpartition("/")
    parent = _DIR_CACHE.get(parent_path) or _dir_facts(parent_path)
    if not parent.states and not parent.site_last and parent_path != "home":
        # Below every path pattern (most of node_modules, app trees): no trie step, only the
        # component marker and the bin-directory flag can change.
        component = parent.component
        site_last = False
        if component is None:
            found = _COMPONENTS.get(part)
            if found is _SITE:
                site_last = True
            else:
                component = found  # type: ignore[assignment]
        is_bin = part in _BIN_DIRS
        plain = (parent.prefix is None and component is None and not site_last
                 and not is_bin)
        return _DirFacts(parent.prefix, (), component, site_last, is_bin, plain, ())
    # The trie walks home directories as "~": root/… and home/<user>/… (not "home" itself).
    if not parent_path and part == "root" or (parent_path == "home"):
        start: tuple[_Node, ...] = (_TRIE,)
        step = "~"
        prefix: Category | None = None
    else:
        start = parent.states
        step = part
        prefix = parent.prefix
    states = tuple(child for node in start for child in _children(node, step))
    for node in states:  # deeper wins; at one depth, exact before glob before "*"
        if node.category is not None:
            prefix = node.category
            break
    # The first marked component decides; a site-packages directory defers to the next one.
    component = parent.component
    site_last = False
    if component is None:
        marker: object = None
        if parent.site_last:
            marker = python_package_category(part)
        if marker is None:
            marker = _COMPONENTS.get(part)
            if marker is _SITE:
                site_last = True
                marker = None
        component = marker  # type: ignore[assignment]
    # Frontier nodes with neither children nor a category cannot match a file name.
    frontier = tuple(node for node in states
                     if node.exact or node.globs or node.star is not None)
    is_bin = part in _BIN_DIRS
    plain = not frontier and prefix is None and component is None and not site_last and not is_bin
    return _DirFacts(prefix, frontier, component, site_last, is_bin, plain, states)


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
    # A base name's own answer (trigger for a secret check, else its category) is cached:
    # 57k files share 17k names, and this line runs for every file of every image.
    by_name = _NAME_CACHE.get(name, _MISS)
    if by_name is _MISS:
        if len(_NAME_CACHE) >= _NAME_CACHE_MAX:
            _NAME_CACHE.clear()
        by_name = _NAME_CACHE[name] = _TRIGGER if _is_trigger(name) else _name_category(name)
    if by_name is _TRIGGER:
        secret = path_secret(path)
        if secret is not None and not secret[1]:
            return Category.SECRET
        by_name = _name_category(name)
    dir_path = path[:slash] if slash >= 0 else ""
    facts = _DIR_CACHE.get(dir_path) or _dir_facts(dir_path)
    if facts.plain:  # most directories: nothing but the base name decides
        return by_name  # type: ignore[return-value]
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
    return by_name  # type: ignore[return-value]


_MISS = object()
_TRIGGER = object()
_NAME_CACHE: dict[str, object] = {}
_NAME_CACHE_MAX = 1 << 16


def _is_trigger(name: str) -> bool:
    """maybe_secret_name(): the base name may make the file a secret (its path decides)."""
    dot = name.rfind(".")
    return (name in TRIGGER_NAMES or name.startswith(TRIGGER_PREFIXES)
            or (dot >= 0 and name[dot:].lower() in TRIGGER_SUFFIXES))


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
