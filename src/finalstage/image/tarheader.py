"""The fields of one 512-byte tar header: kinds, numbers, names, checksum, path bounds.

Kept apart from the loop that walks a tar (``tarstream``) so the loop reads as the per-entry
fast path, and from the extension records (``tarext``: PAX, GNU long names, old sparse files)
that only some members carry. Everything here is pure: bytes in, values or errors out.
"""

from __future__ import annotations

from typing import NamedTuple
from zlib import adler32

from finalstage.errors import CorruptImageError, UnsafeArchiveError
from finalstage.limits import limit_hint

BLOCK = 512

# Entry kinds, one character each so millions of entries stay small.
REG, HARDLINK, SYMLINK, CHAR, BLOCKDEV, DIR, FIFO = "f", "h", "l", "c", "b", "d", "p"
KIND = {
    b"0"[0]: REG,
    0: REG,
    b"7"[0]: REG,  # contiguous file: a regular file everywhere that matters
    b"1"[0]: HARDLINK,
    b"2"[0]: SYMLINK,
    b"3"[0]: CHAR,
    b"4"[0]: BLOCKDEV,
    b"5"[0]: DIR,
    b"6"[0]: FIFO,
    b"S"[0]: REG,  # GNU sparse: a regular file whose stored data is smaller than its size
}
SPARSE_FLAG = 0x53  # "S": GNU old-style sparse file
META_FLAGS = frozenset((0x78, 0x67, 0x4C, 0x4B))  # x g L K: members that describe the next one


class RawEntry(NamedTuple):
    """One tar member as read, before any merging. ``path`` is normalised (no leading ``./``)."""

    path: str
    kind: str
    mode: int
    uid: int
    gid: int
    size: int  # real size (sparse files: the apparent size); 0 for non-regular entries
    mtime: int
    link: str | None  # symlink target or hardlink target (normalised for hardlinks)
    devmajor: int
    devminor: int


def other_kind(flag: int) -> str:
    """The kind of a type flag missing from ``KIND``: GNU volume/multivolume/dumpdir entries,
    and (as POSIX says) anything unknown, which reads as a regular file."""
    return DIR if flag == 0x44 else REG


def parse_number(field: bytes, what: str, context: str) -> int:
    """A numeric header field: octal text, or GNU base-256 when the top bit is set."""
    try:  # fast path: "0000644\0" / "   644 \0"
        return int(field.rstrip(b"\0 ") or b"0", 8)
    except ValueError:
        pass
    if field and field[0] & 0x80:
        value = int.from_bytes(field, "big") & ~(0x80 << (8 * (len(field) - 1)))
        if field[0] == 0xFF:  # negative base-256 (only sane for mtime)
            value = int.from_bytes(field, "big", signed=True)
        return value
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise CorruptImageError(
            f"{context}: invalid {what} field {text[:16]!r} in tar header"
        ) from None


def numbers(hdr: bytes, context: str) -> tuple[int, int, int, int, int]:
    """``mode uid gid size mtime`` field by field: the careful path for base-256 or empty
    fields (the reader's loop parses plain octal ones in one go)."""
    return (
        parse_number(hdr[100:108], "mode", context) & 0o7777,
        parse_number(hdr[108:116], "uid", context),
        parse_number(hdr[116:124], "gid", context),
        parse_number(hdr[124:136], "size", context),
        parse_number(hdr[136:148], "mtime", context),
    )


def device(hdr: bytes, context: str) -> tuple[int, int]:
    """``devmajor, devminor`` of a character or block device."""
    return (
        parse_number(hdr[329:337], "devmajor", context),
        parse_number(hdr[337:345], "devminor", context),
    )


def field_name(raw: bytes) -> str:
    """A NUL-terminated name field; bytes that are not UTF-8 kept as surrogate escapes."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def ustar_name(hdr: bytes) -> str:
    """The member name of a plain header: ``name``, behind the POSIX ``prefix`` when there is
    one (GNU's ``"ustar  "`` magic has no prefix field there)."""
    name = field_name(hdr[0:100])
    if hdr[257:263] == b"ustar\x00" and hdr[345] != 0:
        return field_name(hdr[345:500]) + "/" + name
    return name


def link_name(hdr: bytes) -> str:
    return field_name(hdr[157:257])


def normalise(name: str, context: str) -> str:
    """Clean a member name like ``path.Clean``; reject names that escape the root.

    Leading ``/`` and ``./`` are dropped (Docker does the same when applying a layer); ``..``
    that climbs above the root, a leading backslash or a drive letter raise UnsafeArchiveError.
    Returns ``""`` for the root itself.
    """
    if name.startswith("\\") or (len(name) >= 2 and name[1] == ":" and name[0].isalpha()):
        raise UnsafeArchiveError(f"{context}: unsafe path {name!r} in layer")
    if "/." not in name and not name.startswith(".") and "//" not in name:
        # Fast path: already clean (the common case), only trailing/leading slashes to drop.
        return name.strip("/")
    out: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                raise UnsafeArchiveError(f"{context}: path traversal {name!r} in layer")
            out.pop()
        else:
            out.append(part)
    return "/".join(out)


def check_path(path: str, max_path: int, max_depth: int, context: str) -> None:
    """Reject a member name longer than ``max_path`` bytes or deeper than ``max_depth``."""
    size = len(path.encode("utf-8", "surrogateescape"))
    if size > max_path:
        raise UnsafeArchiveError(
            f"{context}: path of {size} bytes exceeds limit {max_path}"
            f" ({limit_hint('max_path_length')})"
        )
    depth = path.count("/") + 1
    if depth > max_depth:
        raise UnsafeArchiveError(
            f"{context}: path of {depth} components exceeds limit {max_depth}"
            f" ({limit_hint('max_path_depth')})"
        )


def checksum_ok(hdr: bytes) -> bool:
    """Whether the header's checksum field matches its bytes (the field counted as spaces).

    The byte sum runs in C: adler32's low half IS the byte sum as long as that stays below its
    modulus 65521, which 256 bytes of at most 255 always do. Once per entry, so no helper call.
    """
    field = hdr[148:156]
    unsigned = ((adler32(hdr[:256], 0) & 0xFFFF) + (adler32(hdr[256:], 0) & 0xFFFF)
                - sum(field) + 8 * 32)
    try:  # int() skips the spaces around the digits itself
        stored = int(field.split(b"\0", 1)[0], 8)
    except ValueError:
        return False
    if stored == unsigned:
        return True
    # Some old tars computed it over signed chars.
    signed = (
        unsigned
        - 256 * sum(1 for b in hdr if b > 127)
        + 256 * sum(1 for b in hdr[148:156] if b > 127)
    )
    return stored == signed
