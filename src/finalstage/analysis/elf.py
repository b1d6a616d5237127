"""ELF facts from a file's bytes: class, machine, interpreter, stripped or not, debug bytes.

A small hand-written reader of the ELF header, program headers and section headers (struct only;
``tests/analysis`` cross-checks it against pyelftools on real binaries). "Unstripped" means the
file still has a ``.symtab`` or ``.debug_*`` sections, as ``file(1)`` says "not stripped";
``debug_bytes`` is what ``strip`` would remove (.debug_*, .zdebug_*, .symtab, .strtab).
Go binaries also get their embedded build info decoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from finalstage.analysis.packages import golang
from finalstage.analysis.packages.golang import GoBuildInfo

MAGIC = b"\x7fELF"
_SHT_NOBITS = 8
_PT_INTERP = 3
_MAX_SECTIONS = 1 << 16
_MAX_SEGMENTS = 1 << 12
_STRIPPABLE = (".symtab", ".strtab")
_MACHINES = {3: "386", 40: "arm", 62: "amd64", 183: "arm64", 243: "riscv64", 8: "mips",
             20: "ppc", 21: "ppc64", 22: "s390x"}


class ElfError(ValueError):
    """Bytes that start like ELF but do not hold together."""


@dataclass(frozen=True)
class ElfInfo:
    """What analysis keeps of one ELF file once its bytes are gone."""

    bits: int                    # 32 or 64
    machine: str                 # "amd64", "arm64", or "machine-<n>"
    elf_type: str                # "exec", "dyn", "rel", "core", "other"
    interpreter: str | None      # PT_INTERP (dynamic loader), None for static binaries
    is_stripped: bool
    debug_bytes: int
    has_debuglink: bool          # .gnu_debuglink: debug info shipped separately
    go: GoBuildInfo | None = None
    go_error: str | None = None  # why a Go binary's build info could not be read


def is_elf(data: bytes) -> bool:
    """True when ``data`` starts with the ELF magic."""
    return data[:4] == MAGIC


def parse(data: bytes) -> ElfInfo:
    """Facts of a whole ELF file in ``data``; ElfError for truncated or inconsistent files."""
    if len(data) < 52 or not is_elf(data):
        raise ElfError("not an elf file or shorter than an elf header")
    klass, endian = data[4], data[5]
    if klass not in (1, 2) or endian not in (1, 2):
        raise ElfError(f"bad elf class {klass} or data encoding {endian}")
    e = "<" if endian == 1 else ">"
    if klass == 2:
        if len(data) < 64:
            raise ElfError("truncated elf64 header")
        (etype, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
         shstrndx) = struct.unpack_from(e + "HHIQQQIHHHHHH", data, 16)
    else:
        (etype, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
         shstrndx) = struct.unpack_from(e + "HHIIIIIHHHHHH", data, 16)
    interpreter = _interpreter(data, e, klass, phoff, phentsize, phnum)
    sections = _sections(data, e, klass, shoff, shentsize, shnum, shstrndx)
    names = {name for name, *_ in sections}
    debug = sum(size for name, stype, _, size in sections
                if stype != _SHT_NOBITS and (name.startswith((".debug_", ".zdebug_"))
                                             or name in _STRIPPABLE))
    unstripped = ".symtab" in names or any(n.startswith((".debug_", ".zdebug_")) for n in names)
    go_info, go_error = _go(data, sections, names)
    return ElfInfo(
        bits=32 if klass == 1 else 64, machine=_MACHINES.get(machine, f"machine-{machine}"),
        elf_type={1: "rel", 2: "exec", 3: "dyn", 4: "core"}.get(etype, "other"),
        interpreter=interpreter, is_stripped=not unstripped, debug_bytes=debug,
        has_debuglink=".gnu_debuglink" in names, go=go_info, go_error=go_error,
    )


def _interpreter(data: bytes, e: str, klass: int, phoff: int, phentsize: int,
                 phnum: int) -> str | None:
    if not phoff or phnum > _MAX_SEGMENTS:
        return None
    for i in range(phnum):
        base = phoff + i * phentsize
        if klass == 2:
            if base + 56 > len(data):
                raise ElfError("program headers run past the end of the file")
            ptype, _, offset, _, _, filesz = struct.unpack_from(e + "IIQQQQ", data, base)
        else:
            if base + 32 > len(data):
                raise ElfError("program headers run past the end of the file")
            ptype, offset, _, _, filesz = struct.unpack_from(e + "IIIII", data, base)
        if ptype == _PT_INTERP:
            raw = data[offset:offset + filesz]
            return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")
    return None


def _sections(data: bytes, e: str, klass: int, shoff: int, shentsize: int, shnum: int,
              shstrndx: int) -> list[tuple[str, int, int, int]]:
    """(name, type, offset, size) of every section; [] when there is no section table."""
    if not shoff or not shnum:
        return []
    if shnum > _MAX_SECTIONS or shoff + shnum * shentsize > len(data):
        raise ElfError("section headers run past the end of the file")
    raw = []
    for i in range(shnum):
        base = shoff + i * shentsize
        if klass == 2:
            name, stype, _, _, offset, size = struct.unpack_from(e + "IIQQQQ", data, base)
        else:
            name, stype, _, _, offset, size = struct.unpack_from(e + "IIIIII", data, base)
        raw.append((name, stype, offset, size))
    strtab = b""
    if 0 <= shstrndx < len(raw):
        _, _, str_off, str_size = raw[shstrndx]
        strtab = data[str_off:str_off + str_size]
    out = []
    for name_off, stype, offset, size in raw:
        end = strtab.find(b"\0", name_off)
        name = strtab[name_off:end if end >= 0 else None].decode("ascii", errors="replace")
        out.append((name, stype, offset, size))
    return out


def _go(data: bytes, sections: list[tuple[str, int, int, int]],
        names: set[str]) -> tuple[GoBuildInfo | None, str | None]:
    offset = -1
    for name, _, sec_offset, _ in sections:
        if name == ".go.buildinfo":
            offset = golang.find(data, sec_offset)
            break
    if offset < 0 and (".note.go.buildid" in names or ".gopclntab" in names or not sections):
        offset = golang.find(data)  # stripped section table, or buildinfo not in its section
    if offset < 0:
        return None, None
    try:
        return golang.parse(data, offset), None
    except golang.BuildInfoError as err:
        return None, str(err)
