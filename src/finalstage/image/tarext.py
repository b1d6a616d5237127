"""The rare tar members: PAX records, GNU long names and GNU old-style sparse files.

A metadata member (``x``/``g`` PAX, ``L``/``K`` GNU long name and link) describes the member
that follows it; ``read_meta`` collects what it says into an ``Extension``, and ``resolve``
applies that to the next real member (PAX > GNU long name > ustar prefix/name). The loop in
``tarstream`` only calls in here when a member has such records, so their cost stays off the
per-entry fast path.
"""

from __future__ import annotations

from collections.abc import Callable

from finalstage.errors import CorruptImageError, UnsafeArchiveError
from finalstage.image.tarheader import (
    BLOCK,
    HARDLINK,
    REG,
    SPARSE_FLAG,
    SYMLINK,
    field_name,
    link_name,
    parse_number,
    ustar_name,
)
from finalstage.image.tarreaders import TarReader
from finalstage.limits import limit_hint

_PAX, _GLOBAL_PAX, _LONG_NAME = 0x78, 0x67, 0x4C


class Extension:
    """What the metadata members before a real member said about it."""

    __slots__ = ("long_link", "long_name", "pax")

    def __init__(self) -> None:
        self.pax: dict[str, str] = {}
        self.long_name: str | None = None
        self.long_link: str | None = None


def parse_pax(data: bytes, context: str) -> dict[str, str]:
    """PAX records ``"%d %s=%s\\n"``; values decoded as UTF-8 with surrogateescape."""
    out: dict[str, str] = {}
    pos = 0
    end = len(data)
    while pos < end:
        if data[pos] == 0:  # padding NULs after the last record
            break
        sp = data.find(b" ", pos, pos + 20)
        if sp < 0:
            raise CorruptImageError(f"{context}: malformed pax header record")
        try:
            length = int(data[pos:sp])
        except ValueError:
            raise CorruptImageError(f"{context}: malformed pax header record length") from None
        if length <= sp - pos or pos + length > end:
            raise CorruptImageError(f"{context}: malformed pax header record length {length}")
        record = data[sp + 1 : pos + length]
        if not record.endswith(b"\n") or b"=" not in record:
            raise CorruptImageError(f"{context}: malformed pax header record")
        key, _, value = record[:-1].partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def read_meta(
    r: TarReader, flag: int, stored: int, ext: Extension | None, max_hdr: int, context: str
) -> Extension | None:
    """Read the data of a metadata member and fold it into ``ext`` (a new one when None).

    Global PAX headers (``g``) are validated but not applied, as Docker does. Any member with
    a negative size comes here too, to be refused."""
    if stored < 0:
        raise CorruptImageError(f"{context}: negative size in tar header")
    if stored > max_hdr:
        raise UnsafeArchiveError(
            f"{context}: tar metadata header of {stored} bytes exceeds limit {max_hdr}"
            f" ({limit_hint('max_header_bytes')})"
        )
    padded = (stored + 511) & ~511
    data = r.take(padded)
    if len(data) < padded:
        raise CorruptImageError(f"{context}: unexpected end of tar stream in header")
    data = data[:stored]
    if flag == _GLOBAL_PAX:
        parse_pax(data, context)
        return ext
    if ext is None:
        ext = Extension()
    if flag == _PAX:
        ext.pax.update(parse_pax(data, context))
    elif flag == _LONG_NAME:
        ext.long_name = field_name(data)
    else:
        ext.long_link = field_name(data)
    return ext


def resolve(
    hdr: bytes,
    r: TarReader,
    ext: Extension | None,
    kind: str,
    stored: int,
    ids: tuple[int, int, int],
    context: str,
) -> tuple[str, int, str | None, int, int, int, int, int]:
    """Name, size, link, stored size, padded length, uid, gid and mtime of a member with
    extension records or old-style sparse data (``ids``: the header's uid, gid and mtime).
    The size is the real one of a regular file (sparse: larger than the stored data), else 0."""
    pax = ext.pax if ext is not None else {}
    name = _named(pax, "path", ext.long_name if ext else None, hdr, ustar_name)
    name = pax.get("GNU.sparse.name", name)
    stored = _pax_int(pax, "size", stored, context)
    size = sparse_real_size(hdr, r, context) if hdr[156] == SPARSE_FLAG else stored
    for key in ("GNU.sparse.realsize", "GNU.sparse.size"):
        if key in pax:
            size = _pax_int(pax, key, size, context)
            break
    uid, gid, mtime = _pax_ids(pax, ids, context) if pax else ids
    link: str | None = None
    if kind == SYMLINK or kind == HARDLINK:
        link = _named(pax, "linkpath", ext.long_link if ext else None, hdr, link_name)
    return (name, size if kind == REG else 0, link, stored, (stored + 511) & ~511,
            uid, gid, mtime)


def _named(
    pax: dict[str, str], key: str, long: str | None, hdr: bytes, plain: Callable[[bytes], str]
) -> str:
    """A name from a PAX record, else a GNU long name, else the header's own field."""
    if key in pax:
        return pax[key]
    return long if long is not None else plain(hdr)


def _pax_int(pax: dict[str, str], key: str, default: int, context: str) -> int:
    """A size record of ``pax`` (``default`` when absent); never negative."""
    if key not in pax:
        return default
    what = "pax size" if key == "size" else key
    try:
        value = int(pax[key])
    except ValueError:
        raise CorruptImageError(f"{context}: invalid {what} {pax[key]!r}") from None
    if value < 0 and key == "size":
        raise CorruptImageError(f"{context}: negative size in pax header")
    return value


def _pax_ids(
    pax: dict[str, str], ids: tuple[int, int, int], context: str
) -> tuple[int, int, int]:
    """uid, gid and mtime, each from ``pax`` when it has the record."""
    uid, gid, mtime = ids
    try:
        if "uid" in pax:
            uid = int(pax["uid"])
        if "gid" in pax:
            gid = int(pax["gid"])
        if "mtime" in pax:
            mtime = int(float(pax["mtime"]))
    except (ValueError, OverflowError):
        raise CorruptImageError(f"{context}: invalid numeric value in pax header") from None
    return uid, gid, mtime


def sparse_real_size(hdr: bytes, r: TarReader, context: str) -> int:
    """GNU old-style sparse: real size at 483; skip the extension blocks that follow the header."""
    real = parse_number(hdr[483:495], "realsize", context)
    extended = hdr[482]
    while extended:
        ext = r.take(BLOCK)
        if len(ext) < BLOCK:
            raise CorruptImageError(f"{context}: unexpected end of tar stream in sparse header")
        extended = ext[504]
    return real
