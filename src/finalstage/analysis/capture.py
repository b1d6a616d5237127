"""Which files' bytes the single streaming pass should capture, and how to shrink them at once.

The layer reader calls ``wants(path, size, mode)`` for every regular file and captures that many
leading bytes (``ALL`` = the whole file; the answer already respects the caps below). It should
then call ``reduce(path, data)`` immediately and keep only the result: ELF files shrink to an
``ElfInfo`` of a few hundred bytes, everything else not needed later shrinks to None, so memory
stays proportional to package databases and small config files, not to binaries.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from finalstage.analysis import elf
from finalstage.analysis import elf as elf_mod
from finalstage.analysis.elf import ElfInfo
from finalstage.analysis.packages import dpkg, java, node, python, rpm
from finalstage.analysis.packages.golang import GoBuildInfo
from finalstage.analysis.secrets import (
    TRIGGER_NAMES,
    TRIGGER_PREFIXES,
    TRIGGER_SUFFIXES,
    maybe_secret_name,
    path_secret,
)
from finalstage.fs.cache import register_value_type
from finalstage.image.tarstream import More

ALL = -1
NONE = 0

# Caps (bytes). Above them a file is not captured and analysis says so in a warning.
CAP_PACKAGE_DB = 64 << 20      # dpkg status, apk installed
CAP_RPMDB = 256 << 20          # rpmdb.sqlite (the whole file is needed)
CAP_LOCKFILE = 32 << 20        # package-lock.json
CAP_MANIFEST = 1 << 20         # package.json, pom.properties, requirements files
CAP_RECORD = 8 << 20           # dist-info RECORD
CAP_ELF = 128 << 20            # whole ELF files (section table and Go buildinfo)
CAP_LIST = 16 << 20            # dpkg info/*.list
METADATA_HEAD = 64 << 10       # dist-info METADATA: only the header block is read
SECRET_HEAD = 64 << 10         # candidate secret files: first bytes are enough
CAP_CONFIG_SCAN = 256 << 10    # config files scanned for tokens

CONFIG_SUFFIXES = (".json", ".yaml", ".yml", ".toml", ".ini", ".conf", ".cfg", ".properties",
                   ".env", ".xml", ".npmrc", ".sh")
_CONFIG_SUFFIX_SET = frozenset(CONFIG_SUFFIXES)
assert all(suffix.count(".") == 1 and suffix[0] == "." for suffix in CONFIG_SUFFIXES)
# Trees whose files come from packages or runtimes: not scanned for tokens (noise, volume).
_NO_SCAN_PREFIXES = ("usr/", "lib/", "lib64/", "bin/", "sbin/", "var/lib/", "opt/java/",
                     "etc/ssl/", "proc/", "sys/", "var/cache/", "var/log/")
_ELF_DIR_MARKERS = ("bin/", "sbin/", "libexec/")


def wants(path: str, size: int, mode: int = 0o644, *, elf: bool = True) -> int:
    """How many leading bytes of this regular file to capture: 0, a count, or ``ALL``.

    With ``elf=False`` executables and shared libraries are not captured (no unstripped-binary
    or Go build-info facts, but no binary bytes in memory either). Called for every regular
    file of every layer, so the common "nothing wanted" answer takes a few cheap checks.
    """
    if path.startswith(("./", "/")):  # the tar reader's paths are already normalised
        path = path.removeprefix("./").lstrip("/")
    name = path[path.rfind("/") + 1:]
    if name in _PACKAGE_NAMES or path.startswith("var/lib/dpkg/") or name.startswith("req"):
        want = _package_want(path, name, size)
        if want:
            return want
    if elf and _elf_candidate(path, name, mode):
        return ALL if size <= CAP_ELF else NONE
    if maybe_secret_name(name) and path_secret(path) is not None:
        return SECRET_HEAD
    if size <= CAP_CONFIG_SCAN and is_scannable(path):
        return ALL
    return NONE


def _elf_candidate(path: str, name: str, mode: int) -> bool:
    """Executables, shared libraries and files in bin directories: may be ELF."""
    return bool(mode & 0o111 or name.endswith(".so") or ".so." in name
                or path.startswith(_ELF_DIR_MARKERS) or "/bin/" in path)


# Base names that may be a package database or manifest (the full checks follow).
_PACKAGE_NAMES = frozenset({
    "installed", "rpmdb.sqlite", "package.json", node.LOCKFILE, node.SHRINKWRAP,
    ".package-lock.json", "METADATA", "PKG-INFO", "RECORD", java.POM_PROPERTIES,
    *python.DEV_REQUIREMENT_FILES, "dev.txt", "test.txt", "tests.txt", "lint.txt",
})


def _package_want(path: str, name: str, size: int) -> int:
    if (path == dpkg.STATUS or path.startswith(dpkg.STATUS_D) or path == dpkg.DIVERSIONS
            or path == "lib/apk/db/installed"):
        return ALL if size <= CAP_PACKAGE_DB else NONE
    if path.startswith(dpkg.INFO) and path.endswith(".list"):
        return ALL if size <= CAP_LIST else NONE
    if path in rpm.SQLITE_PATHS:
        return ALL if size <= CAP_RPMDB else NONE
    if name == "package.json":
        if "node_modules/" not in path or node.package_dir(path) == path[:-len("/package.json")]:
            return ALL if size <= CAP_MANIFEST else NONE
        return NONE
    if name in (node.LOCKFILE, node.SHRINKWRAP, ".package-lock.json"):
        return ALL if size <= CAP_LOCKFILE else NONE
    if name in ("METADATA", "PKG-INFO") and (".dist-info/" in path or ".egg-info/" in path):
        return min(size, METADATA_HEAD) or ALL
    if name == "RECORD" and ".dist-info/" in path:
        return ALL if size <= CAP_RECORD else NONE
    if java.is_pom_properties(path) or python.is_dev_requirements(path):
        return ALL if size <= CAP_MANIFEST else NONE
    return NONE


def byte_count(want: int, size: int) -> int:
    """``wants``' answer as a plain byte count (``ALL`` → ``size``), for readers that take one."""
    return size if want == ALL else want


def cap_for(path: str) -> int:
    """The cap that applies to a package-database path (for "too large" warnings), or 0."""
    name = path[path.rfind("/") + 1:]
    if (path == dpkg.STATUS or path == "lib/apk/db/installed" or path.startswith(dpkg.STATUS_D)
            or path == dpkg.DIVERSIONS):
        return CAP_PACKAGE_DB
    if path in rpm.SQLITE_PATHS:
        return CAP_RPMDB
    if name in (node.LOCKFILE, node.SHRINKWRAP, ".package-lock.json"):
        return CAP_LOCKFILE
    return 0


@dataclass(frozen=True)
class Unreadable:
    """A captured file whose content could not be understood; ``analyze`` turns it into a warning."""

    reason: str


Captured = bytes | ElfInfo | Unreadable

# What ``reduce`` and the ``keep`` hook return besides bytes, so the layer cache can store it
# (the tags are part of the cache's on-disk format).
register_value_type("elf", ElfInfo)
register_value_type("go", GoBuildInfo)
register_value_type("unreadable", Unreadable)


def reduce(path: str, data: bytes) -> Captured | None:
    """What to keep of a captured file: an ElfInfo, the bytes, or None (nothing of interest).

    Never raises on bad content: a malformed ELF becomes ``Unreadable`` with the reason.
    """
    if elf.is_elf(data):
        try:
            return elf.parse(data)
        except (elf.ElfError, struct.error, ValueError, IndexError) as err:
            return Unreadable(f"malformed elf: {err}")
    path = path.removeprefix("./")
    path = path.lstrip("/")
    name = path[path.rfind("/") + 1:]
    if _package_want(path, name, len(data)) or path_secret(path) is not None or is_scannable(path):
        return data
    if data.startswith(b"#!"):
        end = data.find(b"\n")
        return data[: end + 1 if 0 <= end < 256 else 256]  # only the shebang line is kept
    return None


def is_scannable(path: str) -> bool:
    """True for small config-like files outside package-managed trees (scanned for tokens)."""
    name = path[path.rfind("/") + 1:]
    # One set lookup on the last extension (every suffix has exactly one dot) instead of 12
    # endswith tests: this runs for every file of every layer via wants().
    return (name[name.rfind("."):] in _CONFIG_SUFFIX_SET and not path.startswith(_NO_SCAN_PREFIXES)
            and "node_modules/" not in path and "-packages/" not in path)


# -- the hooks the layer reader calls ------------------------------------------------------------

ELF_HEAD = 4 << 10      # ELF header, program headers, interpreter and notes fit in 4 KiB
MAX_ELF_READ = 8 << 20  # bytes read of one ELF file at most (its tables, not its code)


def _alternation(words: Iterable[str]) -> str:
    """A regex matching exactly ``words``, factored as a trie (the ``re`` engine tries
    alternatives one by one: a trie makes a 40-name alternation a few character tests)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return emit(trie)


def prefilter(elf: bool) -> re.Pattern[str]:
    """A regex whose ``match`` is true for every path ``wants`` may want (a superset: the hook
    decides), so the reader skips the rest without a Python call. Executables are let through
    by mode (see ``capture_hooks``); the tests check the superset on real images' paths."""
    names = _alternation({*_PACKAGE_NAMES, *TRIGGER_NAMES})
    prefixes = _alternation({"req", *TRIGGER_PREFIXES})
    suffixes = [f"(?i:{_alternation(s[1:] for s in TRIGGER_SUFFIXES)})",
                _alternation(s[1:] for s in CONFIG_SUFFIXES)]
    heads = [re.escape(dpkg.INFO.rsplit("/", 2)[0] + "/")]  # var/lib/dpkg/
    if elf:
        suffixes.append(r"so(?:\.[^/]*)?")
        # A bin/sbin/libexec component anywhere (a superset of the bin-directory test).
        heads.append(r"(?:[^/]*+/)*?(?:bin|sbin|libexec)/")
    name_part = (f"(?:{names}$|{prefixes}[^/]*$|[^/]*\\.(?:{'|'.join(suffixes)})$)")
    return re.compile(f"(?s)(?:{'|'.join(heads)})|(?>.*/)?{name_part}")


def capture_hooks(elf: bool) -> tuple[Callable[[str, int, int], int],
                                        Callable[[str, bytes], object]]:
    """The ``want``/``keep`` pair for ``Image.scan``: what ``wants`` asks for, reduced at once.

    With ``elf``, ELF candidates are read in pieces, not whole: the first ``ELF_HEAD`` bytes,
    then (through ``keep`` returning ``More``) the start of a Go binary's data segment and the
    section table with its names: a few KiB per binary instead of megabytes.
    """
    def want(path: str, size: int, mode: int) -> int:
        n = wants(path, size, mode, elf=False)
        if n:
            return size if n == ALL else n
        if elf and _elf_candidate(path, path[path.rfind("/") + 1:], mode):
            return min(size, ELF_HEAD)
        return 0

    want.match = prefilter(elf).match  # type: ignore[attr-defined]
    want.modes = 0o111 if elf else 0  # type: ignore[attr-defined]

    def step(view: elf_mod.View, spent: int) -> object:
        try:
            return elf_mod.parse_view(view)
        except elf_mod.NeedBytes as need:
            start = max(need.start, view.end)
            length = need.offset + need.length - start
            if need.offset < view.end or length <= 0:
                return Unreadable("malformed elf: headers out of file order")
            if spent + length > MAX_ELF_READ:
                return Unreadable(f"malformed elf: tables larger than {MAX_ELF_READ} bytes")

            def then(data: bytes) -> object:
                view.add(start, data)
                if len(data) < length:
                    view.eof = True
                return step(view, spent + length)

            return More(start, length, then)
        except (elf_mod.ElfError, struct.error, ValueError, IndexError, OverflowError) as err:
            return Unreadable(f"malformed elf: {err}")

    def keep(path: str, data: bytes) -> object:
        if elf and elf_mod.is_elf(data):
            view = elf_mod.View([(0, data)], complete=len(data) < ELF_HEAD)
            return step(view, len(data))
        return reduce(path, data)

    return want, keep
