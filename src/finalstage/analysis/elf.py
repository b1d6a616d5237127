"""ELF facts from a file's bytes: class, machine, interpreter, stripped or not, debug bytes.

A small hand-written reader of the ELF header, program headers and section headers (struct only;
``tests/analysis`` cross-checks it against pyelftools on real binaries). "Unstripped" means the
file still has a ``.symtab`` or ``.debug_*`` sections, as ``file(1)`` says "not stripped";
``debug_bytes`` is what ``strip`` would remove (.debug_*, .zdebug_*, .symtab, .strtab).
Go binaries also get their embedded build info decoded.

The reader works on a ``View``: the whole file, or the few ranges a single forward pass over a
layer captured (header and program headers, the start of a Go binary's data segment, the section
table and its names near the end). A range that was not captured raises ``NeedBytes``, which
``capture`` turns into a request for it while the reader is still before it; ranges already
passed degrade to "unknown" (no build info, names by section type) instead of failing.
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


class NeedBytes(Exception):
    """The bytes at ``offset`` (``length`` of them) are not in the view; ``start`` ≤ ``offset`` is
    where a request should begin to also catch what usually precedes them."""

    def __init__(self, offset: int, length: int, start: int | None = None) -> None:
        super().__init__(offset, length)
        self.offset = offset
        self.length = length
        self.start = offset if start is None else start


class View:
    """Some ranges of one file: ``parts`` are (offset, bytes), sorted, non-overlapping.

    ``complete`` means the parts are the whole file; ``eof`` that the file ends at ``end`` (a
    forward read came back short). Otherwise a read outside the parts raises ``NeedBytes``.
    """

    __slots__ = ("complete", "end", "eof", "parts")

    def __init__(self, parts: list[tuple[int, bytes]], complete: bool = False) -> None:
        self.parts = parts
        self.complete = complete
        self.eof = complete  # nothing exists past ``end``
        self.end = parts[-1][0] + len(parts[-1][1]) if parts else 0

    def add(self, offset: int, data: bytes) -> None:
        """Append a later range (joined to the previous one when contiguous)."""
        if self.parts and self.parts[-1][0] + len(self.parts[-1][1]) == offset:
            last_off, last = self.parts[-1]
            self.parts[-1] = (last_off, last + data)
        elif data:
            self.parts.append((offset, data))
        self.end = max(self.end, offset + len(data))

    def get(self, offset: int, length: int, start: int | None = None) -> bytes:
        """``length`` bytes at ``offset`` (fewer only past the end of the file)."""
        for base, data in self.parts:
            if base <= offset < base + len(data):
                chunk = data[offset - base:offset - base + length]
                if len(chunk) == length or self.complete:
                    return chunk
                part_end = base + len(data)
                if self.eof and part_end >= self.end:
                    return chunk
                # The rest follows this part: ask for it from the first missing byte.
                raise NeedBytes(part_end, length - len(chunk))
        if self.complete or length <= 0 or (self.eof and offset >= self.end):
            return b""
        raise NeedBytes(offset, length, start)

    def unpack(self, fmt: struct.Struct, offset: int, start: int | None = None) -> tuple:
        """``fmt.unpack`` of the bytes at ``offset``; ElfError when the file ends before."""
        raw = self.get(offset, fmt.size, start)
        if len(raw) < fmt.size:
            raise ElfError("headers run past the end of the file")
        return fmt.unpack(raw)


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
    return parse_view(View([(0, data)], complete=True))


_IDENT = struct.Struct("4sBB")
_HDR = {(2, "<"): struct.Struct("<HHIQQQIHHHHHH"), (2, ">"): struct.Struct(">HHIQQQIHHHHHH"),
        (1, "<"): struct.Struct("<HHIIIIIHHHHHH"), (1, ">"): struct.Struct(">HHIIIIIHHHHHH")}
_PHDR = {(2, "<"): struct.Struct("<IIQQQQ"), (2, ">"): struct.Struct(">IIQQQQ"),
         (1, "<"): struct.Struct("<IIIII"), (1, ">"): struct.Struct(">IIIII")}
_SHDR = {(2, "<"): struct.Struct("<IIQQQQ"), (2, ">"): struct.Struct(">IIQQQQ"),
         (1, "<"): struct.Struct("<IIIIII"), (1, ">"): struct.Struct(">IIIIII")}
_PT_LOAD, _PT_NOTE, _PF_W = 1, 4, 2
_SHT_SYMTAB = 2
GO_SEARCH = 64 << 10   # Go's debug/buildinfo searches this much of the data segment
GO_MAX = 4 << 20      # ... and we at most this much (cgo binaries: .data comes first)
TABLE_SLACK = 4 << 10  # read this much before a section table: .shstrtab sits right before it


def parse_view(v: View) -> ElfInfo:
    """Facts of an ELF file from the ranges in ``v``, reading them in file order.

    Raises ``NeedBytes`` for a range not in ``v`` that lies at or after ``v.end`` (still
    readable in a forward pass); ranges before ``v.end`` that were skipped make that fact
    unknown instead. ElfError for files that do not hold together.
    """
    magic, klass, endian = _IDENT.unpack(v.get(0, 6).ljust(6, b"\0"))
    if magic != MAGIC or klass not in (1, 2) or endian not in (1, 2):
        raise ElfError(f"bad elf class {klass} or data encoding {endian}")
    key = (klass, "<" if endian == 1 else ">")
    (etype, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
     shstrndx) = v.unpack(_HDR[key], 16)
    segments = _segments(v, key, phoff, phentsize, phnum)
    interpreter = None
    for ptype, offset, filesz in segments:
        if ptype == _PT_INTERP:
            raw = v.get(offset, filesz)
            interpreter = raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")
            break
    # Read in file order (a forward pass cannot go back): the section table first when it
    # precedes the data segment (Go's own linker), else the data segment's build info first.
    data_start = min((o for t, o, _ in segments if t == _PT_LOAD | (_PF_W << 32)), default=0)
    if shoff and shoff < data_start:
        sections = _optional(v, lambda: _sections(v, key, shoff, shentsize, shnum, shstrndx),
                             None) or []
        go_info, go_error, go_done = _go_from_segments(v, segments)
    else:
        go_info, go_error, go_done = _go_from_segments(v, segments)
        sections = _optional(v, lambda: _sections(v, key, shoff, shentsize, shnum, shstrndx),
                             None) or []
    names = {name for name, *_ in sections}
    strippable = [(name, stype, size) for name, stype, _, size in sections
                  if stype != _SHT_NOBITS and (name.startswith((".debug_", ".zdebug_"))
                                               or name in _STRIPPABLE)]
    unstripped = ".symtab" in names or any(n.startswith((".debug_", ".zdebug_")) for n in names)
    if not go_done:
        go_info, go_error = _go_from_sections(v, sections, names)
    return ElfInfo(
        bits=32 if klass == 1 else 64, machine=_MACHINES.get(machine, f"machine-{machine}"),
        elf_type={1: "rel", 2: "exec", 3: "dyn", 4: "core"}.get(etype, "other"),
        interpreter=interpreter, is_stripped=not unstripped,
        debug_bytes=sum(size for _, _, size in strippable),
        has_debuglink=".gnu_debuglink" in names, go=go_info, go_error=go_error,
    )


def _optional(v: View, read, fallback):  # type: ignore[no-untyped-def]
    """``read()``, or ``fallback`` when it needs bytes a forward pass has already skipped."""
    try:
        return read()
    except NeedBytes as need:
        if need.offset >= v.end:
            raise
        return fallback


def _segments(v: View, key: tuple[int, str], phoff: int, phentsize: int,
              phnum: int) -> list[tuple[int, int, int]]:
    """(type, file offset, file size) of every program header; [] when there are none."""
    if not phoff or phnum > _MAX_SEGMENTS:
        return []
    fmt = _PHDR[key]
    if phentsize < fmt.size:
        raise ElfError(f"program header entry size {phentsize} too small")
    table = v.get(phoff, phnum * phentsize)
    if len(table) < phnum * phentsize:
        raise ElfError("program headers run past the end of the file")
    out = []
    for i in range(phnum):
        base = i * phentsize
        if key[0] == 2:
            ptype, flags, offset, _, _, filesz = fmt.unpack_from(table, base)
        else:
            ptype, offset, _, _, filesz = fmt.unpack_from(table, base)
            flags = 0
            if ptype == _PT_LOAD:  # 32-bit: p_flags is the 7th word
                flags = _U32[key[1]].unpack_from(table, base + 24)[0]
        out.append((ptype | (_PF_W << 32 if ptype == _PT_LOAD and flags & _PF_W else 0),
                    offset, filesz))
    return out


_U32 = {"<": struct.Struct("<I"), ">": struct.Struct(">I")}


def _go_from_segments(v: View, segments: list[tuple[int, int, int]]
                      ) -> tuple[GoBuildInfo | None, str | None, bool]:
    """Build info found the way Go's own reader does: a Go note, then the magic in the first
    64 KiB of the writable data segment. ``done`` is False when sections must decide."""
    is_go = False
    for ptype, offset, filesz in segments:
        if ptype == _PT_NOTE and 0 < filesz <= 1 << 16:
            note = _optional(v, lambda o=offset, n=filesz: v.get(o, n), b"")
            if b"Go\0\0" in note:  # the .note.go.buildid owner name
                is_go = True
    if not is_go:
        return None, None, False
    for ptype, offset, filesz in segments:
        if ptype == _PT_LOAD | (_PF_W << 32):
            # Go's linker puts the build info first in the data segment; an external (cgo)
            # link puts .data before it, so the window doubles until the magic shows up.
            size = GO_SEARCH
            while True:
                length = min(filesz, size)
                window = _optional(v, lambda o=offset, n=length: v.get(o, n), None)
                if window is None:
                    return None, None, False  # skipped already: let the sections say
                at = golang.find(window)
                if at >= 0:
                    return (*_go_blob(v, offset + at), True)
                if len(window) < size or size >= GO_MAX:
                    return None, None, False
                size *= 2
    return None, None, False


def _go_from_sections(v: View, sections: list[tuple[str, int, int, int]],
                      names: set[str]) -> tuple[GoBuildInfo | None, str | None]:
    for name, _, sec_offset, sec_size in sections:
        if name == ".go.buildinfo":
            length = min(sec_size, GO_SEARCH)
            head = _optional(v, lambda o=sec_offset, n=length: v.get(o, n), None)
            if head is None:
                return None, None
            at = golang.find(head)
            if at < 0:
                return None, None
            return _go_blob(v, sec_offset + at)
    if v.complete and (".note.go.buildid" in names or ".gopclntab" in names or not sections):
        data = v.parts[0][1] if v.parts else b""
        offset = golang.find(data)  # stripped section table, or buildinfo not in its section
        if offset >= 0:
            return _go_blob(v, offset)
    return None, None


def _go_blob(v: View, offset: int) -> tuple[GoBuildInfo | None, str | None]:
    """Decode the build info at ``offset``, asking for its strings' bytes as needed."""
    try:
        header = v.get(offset, golang.HEADER_SIZE)
        end = offset + golang.HEADER_SIZE
        if len(header) == golang.HEADER_SIZE and header[15] & golang.FLAG_INLINE:
            for _ in range(2):  # version, then module info: varint length + bytes each
                length, used = golang.varint_at(v.get(end, 10))
                end += used + length
        return golang.parse(v.get(offset, end - offset), 0), None
    except golang.BuildInfoError as err:
        return None, str(err)


def _sections(v: View, key: tuple[int, str], shoff: int, shentsize: int, shnum: int,
              shstrndx: int) -> list[tuple[str, int, int, int]]:
    """(name, type, offset, size) of every section; [] when there is no section table."""
    if not shoff or not shnum:
        return []
    fmt = _SHDR[key]
    if shnum > _MAX_SECTIONS or shentsize < fmt.size:
        raise ElfError("section headers run past the end of the file")
    table = v.get(shoff, shnum * shentsize, max(0, shoff - TABLE_SLACK))
    if len(table) < shnum * shentsize:
        raise ElfError("section headers run past the end of the file")
    raw = []
    for i in range(shnum):
        if key[0] == 2:
            name, stype, _, _, offset, size = fmt.unpack_from(table, i * shentsize)
        else:
            name, stype, _, _, offset, size = fmt.unpack_from(table, i * shentsize)
        raw.append((name, stype, offset, size))
    strtab: bytes | None = b""
    if 0 <= shstrndx < len(raw):
        _, _, str_off, str_size = raw[shstrndx]
        strtab = _optional(v, lambda: v.get(str_off, str_size), None)
    if strtab is None:
        # The names were skipped: say what the section types say (a symbol table means
        # "not stripped"; its string table is the next section by convention).
        return [(".symtab" if stype == _SHT_SYMTAB else "", stype, offset, size)
                for _, stype, offset, size in raw]
    out = []
    for name_off, stype, offset, size in raw:
        end = strtab.find(b"\0", name_off)
        name = strtab[name_off:end if end >= 0 else None].decode("ascii", errors="replace")
        out.append((name, stype, offset, size))
    return out
