"""The library search of the dynamic loader: ``ld.so.cache``, ``ld.so.conf`` and default dirs.

glibc's cache (``/etc/ld.so.cache``, format ``glibc-ld.so.cache1.1``, possibly after an old
``ld.so-1.7.0`` block) maps a soname to a path, with flags naming the ABI (x86-64, AArch64…) so a
32-bit library never satisfies a 64-bit program. musl has no cache: it reads
``/etc/ld-musl-ARCH.path`` or searches ``/lib:/usr/local/lib:/usr/lib``.
"""

from __future__ import annotations

import fnmatch
import posixpath
import struct
from collections.abc import Mapping

_NEW_MAGIC = b"glibc-ld.so.cache1.1"
_NEW_HEADER = struct.Struct("<20sIIB3xI12x")
_NEW_ENTRY = struct.Struct("<iIIIQ")
_MAX_LIBS = 1 << 16
# machine → (the ABI bits of a cache entry's flags, the Debian multiarch triplet)
_ABI = {
    "EM_X86_64": (0x0300, "x86_64-linux-gnu"),
    "EM_AARCH64": (0x0A00, "aarch64-linux-gnu"),
    "EM_386": (0x0000, "i386-linux-gnu"),
    "EM_ARM": (0x0000, "arm-linux-gnueabihf"),
}
_MUSL_ARCH = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64", "EM_386": "i386", "EM_ARM": "armhf"}


def parse_cache(data: bytes) -> list[tuple[str, str, int]]:
    """(soname, path, flags) of every entry of a glibc cache, in cache order (the loader takes
    the first match); [] for an unknown or damaged file."""
    base = data.find(_NEW_MAGIC)
    if base < 0 or len(data) < base + _NEW_HEADER.size:
        return []
    _, nlibs, _, _, _ = _NEW_HEADER.unpack_from(data, base)
    if nlibs > _MAX_LIBS:
        return []
    out: list[tuple[str, str, int]] = []
    start = base + _NEW_HEADER.size
    for i in range(nlibs):
        at = start + i * _NEW_ENTRY.size
        if at + _NEW_ENTRY.size > len(data):
            break
        flags, key, value, _, _ = _NEW_ENTRY.unpack_from(data, at)
        name, path = _string(data, base + key), _string(data, base + value)
        if name and path:
            out.append((name, path, flags))
    return out


def _string(data: bytes, offset: int) -> str:
    if not 0 <= offset < len(data):
        return ""
    end = data.find(b"\0", offset)
    return data[offset:end if end >= 0 else None].decode("utf-8", "surrogateescape")


def cache_lookup(entries: list[tuple[str, str, int]], soname: str, machine: str) -> list[str]:
    """Paths the cache offers for ``soname`` for a program of ``machine``, best first."""
    abi = _ABI.get(machine)
    out = []
    for name, path, flags in entries:
        if name != soname:
            continue
        if abi is not None and (flags & 0xFF00) != abi[0]:
            continue
        out.append(path)
    return out


def conf_dirs(files: Mapping[str, bytes], path: str = "etc/ld.so.conf", depth: int = 0) -> list[str]:
    """Directories listed by ``ld.so.conf`` and the files it includes (globs as ldconfig)."""
    data = files.get(path)
    if data is None or depth > 8:
        return []
    out: list[str] = []
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include"):
            pattern = line.split(None, 1)[1] if " " in line or "\t" in line else ""
            pattern = posixpath.join("/" + posixpath.dirname(path), pattern).lstrip("/")
            for name in sorted(n for n in files if fnmatch.fnmatchcase(n, pattern)):
                out.extend(conf_dirs(files, name, depth + 1))
        elif line.startswith("/"):
            out.append(line.split("=", 1)[0])
    return out


def default_dirs(machine: str, is_musl: bool, files: Mapping[str, bytes]) -> list[str]:
    """The directories searched after the cache (glibc) or instead of it (musl)."""
    if is_musl:
        path = files.get(f"etc/ld-musl-{_MUSL_ARCH.get(machine, 'x86_64')}.path")
        if path is not None:
            return [d for d in path.decode("utf-8", "replace").replace(":", "\n").split() if d]
        return ["/lib", "/usr/local/lib", "/usr/lib"]
    triplet = _ABI.get(machine, (0, "x86_64-linux-gnu"))[1]
    lib64 = ["/lib64", "/usr/lib64"] if machine in ("EM_X86_64", "EM_AARCH64") else []
    return [f"/lib/{triplet}", f"/usr/lib/{triplet}", *lib64, "/lib", "/usr/lib"]


def multiarch(machine: str) -> str:
    """The Debian multiarch triplet of ``machine``."""
    return _ABI.get(machine, (0, "x86_64-linux-gnu"))[1]


__all__ = ["cache_lookup", "conf_dirs", "default_dirs", "multiarch", "parse_cache"]
