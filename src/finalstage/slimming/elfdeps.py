"""What the dynamic loader needs to know about one ELF file.

``PT_INTERP`` (the loader itself), ``DT_NEEDED``, ``DT_RPATH``, ``DT_RUNPATH`` and ``DT_SONAME``
from the dynamic segment, the class and machine (the loader skips a library of the wrong
class), and markers that decide what ``dlopen`` may load later: ``iconv_open`` in the dynamic
string table (gconv modules), and for Go binaries whether they embed tzdata, read zoneinfo or
use TLS (which decides the CA bundle).

Two readers give the same answer: a ``struct`` reader of the program headers and the dynamic
array (what the loader itself reads; about 20 µs per file), used for every ELF file the scan
passes, and pyelftools (about 10 ms per file: 12 s for the 1,000 ELF files of a fat Python
image), used when the fast reader meets a file it does not understand. The tests hold the two
equal on every ELF file of real images.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

MAGIC = b"\x7fELF"
_GO_BUILDINFO = b"\xff Go buildinf:"
_GO_NOTE = b"Go\x00\x00"
_GO_SEARCH = 4 << 20
# Go binaries: package and function names (in the pclntab, kept by ``-s -w``) → flags
_GO_MARKERS = {
    b"time/tzdata": "go-tzdata",
    b"time.LoadLocation": "go-zoneinfo",
    b"crypto/tls": "go-tls",
}
# Data files a program names by absolute path (Debian's node loads its builtin acorn, undici…
# from /usr/share/nodejs; libc reads /etc/gai.conf): scripts, JSON, data and config files.
_FILE_PATH = re.compile(rb"/(?:usr|etc|opt|lib)/[A-Za-z0-9_./+@-]{1,200}"
                        rb"\.(?:js|mjs|cjs|json|dat|cnf|conf)(?=\0)")
MAX_FILES = 64
_MACHINES = {3: "EM_386", 40: "EM_ARM", 62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV",
             8: "EM_MIPS", 21: "EM_PPC64", 22: "EM_S390"}
_PT_LOAD, _PT_DYNAMIC, _PT_INTERP, _PT_NOTE = 1, 2, 3, 4
_DT = {1: "needed", 5: "strtab", 10: "strsz", 14: "soname", 15: "rpath", 29: "runpath"}
_MAX_PHDRS = 1 << 12
_MAX_DYN = 1 << 16


class _Bad(ValueError):
    """A file the fast reader does not understand (pyelftools decides)."""


@dataclass(frozen=True)
class ElfDeps:
    """The loader's view of one ELF file. ``error`` says why it could not be read (then the
    other fields are empty)."""

    bits: int
    machine: str
    interpreter: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    soname: str | None
    flags: tuple[str, ...] = ()   # "go", "iconv", "go-tzdata", "go-zoneinfo", "go-tls"
    error: str | None = None
    files: tuple[str, ...] = ()   # absolute paths of data files named in the binary

    @property
    def is_go(self) -> bool:
        return "go" in self.flags


def is_elf(data: bytes) -> bool:
    return data[:4] == MAGIC


def _split(value: str) -> tuple[str, ...]:
    return tuple(p for p in value.split(":") if p)


def _cstr(data: bytes, offset: int) -> str:
    if not 0 <= offset < len(data):
        raise _Bad("string offset out of the file")
    end = data.find(b"\0", offset)
    return data[offset:end if end >= 0 else None].decode("utf-8", "surrogateescape")


def read_elf(data: bytes) -> ElfDeps:
    """The loader facts of the whole ELF file in ``data``; never raises (see ``error``)."""
    try:
        return _fast(data)
    except (_Bad, struct.error, IndexError, ValueError):
        return _with_pyelftools(data)


def _fast(data: bytes) -> ElfDeps:
    if len(data) < 52 or data[:4] != MAGIC or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise _Bad("not an elf header")
    is64, end = data[4] == 2, "<" if data[5] == 1 else ">"
    if is64:
        machine, phoff, phentsize, phnum = (struct.unpack_from(end + "H", data, 18)[0],
                                            *struct.unpack_from(end + "Q", data, 32),
                                            *struct.unpack_from(end + "HH", data, 54))
        phdr, dyn = struct.Struct(end + "IIQQQQQQ"), struct.Struct(end + "qQ")
    else:
        machine, phoff, phentsize, phnum = (struct.unpack_from(end + "H", data, 18)[0],
                                            *struct.unpack_from(end + "I", data, 28),
                                            *struct.unpack_from(end + "HH", data, 42))
        phdr, dyn = struct.Struct(end + "IIIIIIII"), struct.Struct(end + "iI")
    if phnum > _MAX_PHDRS or (phnum and phentsize < phdr.size):
        raise _Bad("program header table")
    segments = [_segment(phdr, data, phoff + i * phentsize, is64) for i in range(phnum)]
    interp = next((_cstr(data, o) for t, o, _, _, _ in segments if t == _PT_INTERP), None)
    tags = _dynamic(data, dyn, segments)
    strings = _strtab(data, segments, tags)
    needed = tuple(_cstr(strings, v) for k, v in tags if k == "needed")
    one = {k: _cstr(strings, v) for k, v in tags if k in ("soname", "rpath", "runpath")}
    flags = _flags(data, segments, strings, one.get("soname"))
    files = tuple(dict.fromkeys(m.decode("utf-8", "replace")
                                for m in _FILE_PATH.findall(data)[:MAX_FILES]))
    return ElfDeps(64 if is64 else 32, _MACHINES.get(machine, f"machine-{machine}"), interp,
                   needed, _split(one.get("rpath", "")), _split(one.get("runpath", "")),
                   one.get("soname"), flags, None, files)


def _segment(phdr: struct.Struct, data: bytes, at: int,
             is64: bool) -> tuple[int, int, int, int, int]:
    """(type, offset, vaddr, filesz, flags) of one program header."""
    if is64:
        ptype, flags, offset, vaddr, _, filesz, _, _ = phdr.unpack_from(data, at)
    else:
        ptype, offset, vaddr, _, filesz, _, flags, _ = phdr.unpack_from(data, at)
    return ptype, offset, vaddr, filesz, flags


def _dynamic(data: bytes, dyn: struct.Struct,
             segments: list[tuple[int, int, int, int, int]]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for ptype, offset, _, filesz, _ in segments:
        if ptype != _PT_DYNAMIC:
            continue
        count = min(filesz // dyn.size, _MAX_DYN)
        if offset + count * dyn.size > len(data):
            raise _Bad("dynamic segment past the end of the file")
        for i in range(count):
            tag, value = dyn.unpack_from(data, offset + i * dyn.size)
            if tag == 0:
                break
            name = _DT.get(tag)
            if name is not None:
                out.append((name, value))
        break
    return out


def _strtab(data: bytes, segments: list[tuple[int, int, int, int, int]],
            tags: list[tuple[str, int]]) -> bytes:
    """The dynamic string table, found the loader's way: DT_STRTAB is an address."""
    values = dict(tags)
    address, size = values.get("strtab"), values.get("strsz", 0)
    if address is None:
        if any(k in ("needed", "soname", "rpath", "runpath") for k, _ in tags):
            raise _Bad("dynamic strings without DT_STRTAB")
        return b""
    for ptype, offset, vaddr, filesz, _ in segments:
        if ptype == _PT_LOAD and vaddr <= address < vaddr + filesz:
            start = offset + address - vaddr
            return data[start:start + size]
    raise _Bad("DT_STRTAB outside every PT_LOAD segment")


def _flags(data: bytes, segments: list[tuple[int, int, int, int, int]], strings: bytes,
           soname: str | None) -> tuple[str, ...]:
    """"go" (and Go's markers) for Go binaries; "iconv" for a user of ``iconv_open``."""
    flags: list[str] = []
    is_go = any(t == _PT_NOTE and _GO_NOTE in data[o:o + min(s, 1 << 16)]
                for t, o, _, s, _ in segments)
    if not is_go:
        writable = [(o, s) for t, o, _, s, f in segments if t == _PT_LOAD and f & 2]
        is_go = any(_GO_BUILDINFO in data[o:o + min(s, _GO_SEARCH)] for o, s in writable)
    if is_go:
        flags.append("go")
        flags.extend(flag for marker, flag in _GO_MARKERS.items() if marker in data)
    # libc defines iconv_open; libstdc++ only uses it in an extension (encoding_state)
    if b"iconv_open\0" in strings and not (soname or "").startswith(("libc.", "libstdc++")):
        flags.append("iconv")
    return tuple(flags)


def _with_pyelftools(data: bytes) -> ElfDeps:
    """The same facts read by pyelftools (files the fast reader gave up on)."""
    # pyelftools loads only for the rare file the fast reader does not understand (it costs
    # ~10 ms per file and ~60 ms to import): heavy optional dependency
    from elftools.common.exceptions import ELFError
    from elftools.elf import dynamic, elffile  # heavy optional dependency (see above)

    try:
        elf = elffile.ELFFile(io.BytesIO(data))
        interp, needed, found = None, [], {"rpath": "", "runpath": "", "soname": None}
        for segment in elf.iter_segments():
            if segment["p_type"] == "PT_INTERP":
                interp = segment.get_interp_name()  # type: ignore[attr-defined]
            elif isinstance(segment, dynamic.DynamicSegment):
                for tag in segment.iter_tags():
                    kind = tag.entry.d_tag
                    if kind == "DT_NEEDED":
                        needed.append(tag.needed)  # type: ignore[attr-defined]
                    elif kind in ("DT_RPATH", "DT_RUNPATH", "DT_SONAME"):
                        key = kind[3:].lower()
                        found[key] = getattr(tag, key)
        return ElfDeps(elf.elfclass, str(elf["e_machine"]), interp, tuple(needed),
                       _split(found["rpath"] or ""), _split(found["runpath"] or ""),
                       found["soname"])
    except (ELFError, ValueError, KeyError, IndexError, OSError, AssertionError, TypeError,
            AttributeError, struct.error) as err:
        return ElfDeps(0, "", None, (), (), (), None, (), f"malformed elf: {err}")


__all__ = ["ElfDeps", "is_elf", "read_elf"]
