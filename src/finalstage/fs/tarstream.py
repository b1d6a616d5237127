"""A hand-written streaming tar header reader (ustar, GNU and PAX), built for speed and safety.

Python's ``tarfile`` builds a ``TarInfo`` per member, re-reads PAX records through several layers
and cannot skip data on a non-seekable stream without copying it; it also has no limits against
archive bombs. This reader parses the 512-byte headers directly out of large buffers and hands
back one small tuple per entry, so listing a layer costs little more than the header floor.

What it understands: ustar ``prefix``; GNU ``././@LongLink`` long names and link names (``L``/``K``);
PAX extended headers (``x``, and ``g`` which is accepted and otherwise ignored) with ``path``,
``linkpath``, ``size``, ``uid``, ``gid``, ``mtime`` and the GNU sparse keys; GNU old-style sparse
files (``S``) reported with their real size; base-256 numeric fields; devices, fifos, hardlinks,
symlinks. Names that are not UTF-8 are kept as ``surrogateescape`` strings so they round-trip.

The reader pulls bytes from a :class:`ByteSource` (``read``/``skip``); file data is skipped with
``skip`` (a seek on a plain seekable file, a discard from the decompressed stream otherwise),
unless the caller's ``want(path, size, mode)`` hook asks to capture the first N bytes of that
file. A tar inside a local file is read by :class:`PreadReader` instead: one ``pread`` per header.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol
from zlib import adler32

from finalstage.errors import CorruptImageError, UnsafeArchiveError

# The limits live in ``finalstage.limits`` (one place for every bound); re-exported here so
# ``from finalstage.fs.tarstream import Limits, parse_limits`` keeps working.
from finalstage.limits import (  # noqa: F401 - re-exported
    DEFAULT_LIMITS,
    LIMIT_KEYS,
    Limits,
    is_lowered,
    limit_hint,
    parse_limits,
)

BLOCK = 512

# Entry kinds, one character each so millions of entries stay small.
REG, HARDLINK, SYMLINK, CHAR, BLOCKDEV, DIR, FIFO = "f", "h", "l", "c", "b", "d", "p"
_KIND = {
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


class ByteSource(Protocol):
    """Where tar bytes come from: decompressed, hashed and counted by the implementation."""

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; fewer only at end of stream."""
        ...

    def skip(self, n: int) -> int:
        """Advance ``n`` bytes without returning them; return how many were really skipped."""
        ...


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


WantHook = Callable[[str, int, int], int]
"""``want(path, size, mode) -> n``: capture the first ``n`` bytes of a regular file (0: none).
``mode`` is the permission bits, so executables outside the usual directories can be sniffed.

Optional pre-filter, read once per stream from the hook's attributes: ``want.match`` (a C-level
callable such as a compiled regex's ``match``) and ``want.modes`` (permission bits). When the
hook has ``match``, it is called only for files with ``mode & want.modes`` or a truthy
``want.match(path)``; every other file is skipped without a Python call (fat-node's 53k
files: ~20 ms instead of ~60 ms)."""

KeepHook = Callable[[str, bytes], object]
"""``keep(path, data) -> value``: what to store of captured bytes (None: nothing). Runs at
capture time, so a big binary shrinks to its few facts before the next entry is read. It may
return a ``More`` to read a later part of the same file first (ELF section tables sit at the
end of a binary: a few KiB instead of the whole file)."""


class More(NamedTuple):
    """A ``keep`` hook's request for ``length`` more bytes at ``offset`` of the same file.

    Offsets count from the start of the file's data and only go forward: an offset already
    passed is read from the current position. The reader clamps the range to the file, reads
    it and stores ``then(data)``, which may itself be another ``More`` (at most ``MAX_MORE``).
    """

    offset: int
    length: int
    then: Callable[[bytes], object]


MAX_MORE = 16


def _num(field: bytes, what: str, context: str) -> int:
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


_NUL_TO_SPACE = bytes.maketrans(b"\0", b" ")


def _name(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _ustar_name(hdr: bytes) -> str:
    """The member name of a plain header: ``name``, behind the POSIX ``prefix`` when there is
    one (GNU's ``"ustar  "`` magic has no prefix field there)."""
    name = _name(hdr[0:100])
    if hdr[257:263] == b"ustar\x00" and hdr[345] != 0:
        return _name(hdr[345:500]) + "/" + name
    return name


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


def _check_path(path: str, max_path: int, max_depth: int, context: str) -> None:
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


def _parse_pax(data: bytes, context: str) -> dict[str, str]:
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


def _byte_sum(data: bytes) -> int:
    """Sum of the bytes of a 512-byte block in C: adler32's low half IS the byte sum as long as
    that stays below its modulus 65521, which 256 bytes of at most 255 always do."""
    return (adler32(data[:256], 0) & 0xFFFF) + (adler32(data[256:], 0) & 0xFFFF)


def _checksum_ok(hdr: bytes) -> bool:
    stored_field = hdr[148:156].split(b"\0", 1)[0].strip(b" ")
    try:
        stored = int(stored_field, 8)
    except ValueError:
        return False
    unsigned = _byte_sum(hdr) - sum(hdr[148:156]) + 8 * 32
    if stored == unsigned:
        return True
    # Some old tars computed it over signed chars.
    signed = (
        unsigned
        - 256 * sum(1 for b in hdr if b > 127)
        + 256 * sum(1 for b in hdr[148:156] if b > 127)
    )
    return stored == signed


def _sparse_real_size(hdr: bytes, src: _Reader | PreadReader, context: str) -> int:
    """GNU old-style sparse: real size at 483; skip the extension blocks that follow the header."""
    real = _num(hdr[483:495], "realsize", context)
    extended = hdr[482]
    while extended:
        ext = src.take(BLOCK)
        if len(ext) < BLOCK:
            raise CorruptImageError(f"{context}: unexpected end of tar stream in sparse header")
        extended = ext[504]
    return real


_META_FLAGS = frozenset((0x78, 0x67, 0x4C, 0x4B))


def _extended(
    hdr: bytes,
    r: _Reader | PreadReader,
    pax: dict[str, str],
    long_name: str | None,
    long_link: str | None,
    kind: str,
    flag: int,
    stored: int,
    uid: int,
    gid: int,
    mtime: int,
    context: str,
) -> tuple[str, int, str | None, int, int, int, int, int]:
    """Name, size, link and ids of a member with PAX records, GNU long names or old-style sparse
    data: the rare case, kept out of the loop. Returns the (possibly PAX-overridden) stored size
    and its padded length too."""
    if "path" in pax:
        name = pax["path"]
    elif long_name is not None:
        name = long_name
    else:
        name = _ustar_name(hdr)
    if "GNU.sparse.name" in pax:
        name = pax["GNU.sparse.name"]
    if "size" in pax:
        try:
            stored = int(pax["size"])
        except ValueError:
            raise CorruptImageError(f"{context}: invalid pax size {pax['size']!r}") from None
        if stored < 0:
            raise CorruptImageError(f"{context}: negative size in pax header")
    padded = (stored + 511) & ~511
    size = stored
    if flag == 0x53:
        size = _sparse_real_size(hdr, r, context)
    for key in ("GNU.sparse.realsize", "GNU.sparse.size"):
        if key in pax:
            try:
                size = int(pax[key])
            except ValueError:
                raise CorruptImageError(f"{context}: invalid {key} {pax[key]!r}") from None
            break
    if pax:
        try:
            if "uid" in pax:
                uid = int(pax["uid"])
            if "gid" in pax:
                gid = int(pax["gid"])
            if "mtime" in pax:
                mtime = int(float(pax["mtime"]))
        except (ValueError, OverflowError):
            raise CorruptImageError(f"{context}: invalid numeric value in pax header") from None
    link: str | None = None
    if kind in (SYMLINK, HARDLINK):
        if "linkpath" in pax:
            link = pax["linkpath"]
        elif long_link is not None:
            link = long_link
        else:
            link = _name(hdr[157:257])
    return name, size, link, uid, gid, mtime, stored, padded


class _Reader:
    """Buffered view over a ByteSource: ``take`` whole chunks, ``skip`` cheaply."""

    __slots__ = ("adaptive", "base", "buf", "chunk", "next", "pos", "src")

    # ``adaptive`` (a source that seeks past data): after a seek the next read starts small
    # and grows 4x per refill up to ``chunk``: a big file's header is followed by a seek (a
    # 64 KiB read would be mostly wasted), a run of small files by headers packed closely
    # (large reads amortise the calls). A streaming source always reads whole chunks.
    FIRST = 4096

    def __init__(self, src: ByteSource, chunk: int, adaptive: bool = False) -> None:
        self.adaptive = adaptive
        self.src = src
        self.buf = b""
        self.pos = 0
        self.chunk = chunk
        self.next = chunk
        self.base = 0  # stream offset of buf[0]

    def tell(self) -> int:
        return self.base + self.pos

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end <= len(self.buf):
            out = self.buf[self.pos : end]
            self.pos = end
            return out
        self.base += self.pos
        parts = [self.buf[self.pos :]]
        have = len(parts[0])
        while have < n:
            size = self.next
            if size < self.chunk:
                self.next = min(size * 4, self.chunk)
            data = self.src.read(max(size, n - have))
            if not data:
                break
            parts.append(data)
            have += len(data)
        joined = b"".join(parts)
        self.buf = joined
        self.pos = min(n, len(joined))
        return joined[:n]

    def skip(self, n: int) -> int:
        avail = len(self.buf) - self.pos
        if n <= avail:
            self.pos += n
            return n
        self.base += len(self.buf)
        self.buf = b""
        self.pos = 0
        done = self.src.skip(n - avail)
        self.base += done
        if self.adaptive:
            self.next = min(self.FIRST, self.chunk)
        return avail + done


class PreadReader:
    """Header-only reading of a tar that sits in a local file: one ``pread`` per header, file
    data skipped by arithmetic (no read, no seek, no copy). Same face as ``_Reader``; its
    buffer stays empty, so ``iter_tar`` always asks ``take``."""

    __slots__ = ("buf", "context", "end", "fd", "off", "pos", "start")

    def __init__(self, fd: int, start: int, length: int, context: str) -> None:
        self.fd, self.start, self.end, self.off = fd, start, start + length, start
        self.context = context
        self.buf = b""
        self.pos = 0

    def tell(self) -> int:
        return self.off - self.start

    def take(self, n: int) -> bytes:
        try:
            data = os.pread(self.fd, min(n, self.end - self.off), self.off)
        except OSError as err:
            raise CorruptImageError(f"{self.context}: {str(err.strerror or err).lower()}") from err
        self.off += len(data)
        return data

    def skip(self, n: int) -> int:
        k = min(n, self.end - self.off)
        self.off += k
        return k


def iter_tar(
    src: ByteSource | PreadReader,
    *,
    context: str,
    want: WantHook | None = None,
    limits: Limits = DEFAULT_LIMITS,
    chunk: int = 1 << 20,
    captured: dict[str, Any] | None = None,
    keep: KeepHook | None = None,
    offsets: list[int] | None = None,
    adaptive: bool = False,
) -> Iterator[RawEntry]:
    """Yield every member of the tar stream in ``src``, skipping file data.

    ``context`` prefixes every error (``reading layer sha256:…``). With ``want``, the first bytes
    of selected regular files are stored in ``captured[path]`` (or what ``keep`` makes of them).
    With ``offsets``, the stream offset of each yielded entry's data is appended (the outer
    archive index uses it).
    ``adaptive``: ``src.skip`` seeks, so reads after a skip start small (see ``_Reader``).
    A ``PreadReader`` as ``src`` reads the headers of a local file directly.
    The stream is NOT read past the end-of-archive marker here; the caller drains it.
    """
    r = src if isinstance(src, PreadReader) else _Reader(src, chunk, adaptive)
    count = 0
    pax: dict[str, str] = {}
    long_name: str | None = None
    long_link: str | None = None
    max_hdr = limits.max_header_bytes
    max_entries = limits.max_entries
    max_path = limits.max_path_length
    max_depth = limits.max_path_depth
    # Below this many characters a name can be neither too long (UTF-8 has at most 4 bytes per
    # character) nor too deep (each component takes a character and a slash): one len() per entry.
    path_check = min(max_path // 4, 2 * max_depth)
    checksum_ok = _checksum_ok
    num = _num
    # The want hook's optional C-level pre-filter (see WantHook): most files never reach Python.
    want_match = getattr(want, "match", None)
    want_modes = getattr(want, "modes", 0)
    kinds = _KIND
    make = tuple.__new__  # RawEntry(...) would run namedtuple's Python-level __new__
    while True:
        pos = r.pos
        if pos + BLOCK <= len(r.buf):  # the common case, without a method call
            hdr = r.buf[pos : pos + BLOCK]
            r.pos = pos + BLOCK
        else:
            hdr = r.take(BLOCK)
        if len(hdr) < BLOCK:
            if not hdr and count == 0 and not pax:
                return  # an empty stream: a (degenerate) empty layer
            if count == 0:
                raise CorruptImageError(f"{context}: not a tar stream ({len(hdr)} bytes)")
            raise CorruptImageError(f"{context}: unexpected end of tar stream")
        if hdr[0] == 0 and hdr.count(0) == BLOCK:
            return  # end-of-archive marker (the second zero block is not required)
        if not checksum_ok(hdr):
            if count == 0:
                raise CorruptImageError(f"{context}: not a tar stream (invalid first header)")
            raise CorruptImageError(f"{context}: invalid tar header checksum (entry {count + 1})")
        count += 1
        if count > max_entries:
            raise UnsafeArchiveError(
                f"{context}: more than {max_entries} entries in layer"
                f" ({limit_hint('max_entries')})"
            )
        flag = hdr[156]
        # mode uid gid size mtime at once: NUL padding turned into spaces, which int() skips;
        # anything else (base-256, empty fields) takes the careful path.
        nums = hdr[100:148].translate(_NUL_TO_SPACE)
        try:
            mode = int(nums[0:8], 8) & 0o7777
            uid = int(nums[8:16], 8)
            gid = int(nums[16:24], 8)
            stored = int(nums[24:36], 8)
            mtime = int(nums[36:48], 8)
        except ValueError:
            mode = num(hdr[100:108], "mode", context) & 0o7777
            uid = num(hdr[108:116], "uid", context)
            gid = num(hdr[116:124], "gid", context)
            stored = num(hdr[124:136], "size", context)
            mtime = num(hdr[136:148], "mtime", context)
        if stored < 0:
            raise CorruptImageError(f"{context}: negative size in tar header")
        padded = (stored + 511) & ~511
        if flag in _META_FLAGS:  # x g L K: metadata members
            if stored > max_hdr:
                raise UnsafeArchiveError(
                    f"{context}: tar metadata header of {stored} bytes exceeds limit {max_hdr}"
                    f" ({limit_hint('max_header_bytes')})"
                )
            data = r.take(padded)
            if len(data) < padded:
                raise CorruptImageError(f"{context}: unexpected end of tar stream in header")
            data = data[:stored]
            if flag == 0x78:
                pax.update(_parse_pax(data, context))
            elif flag == 0x67:
                _parse_pax(data, context)  # validated, but global defaults are not applied
            elif flag == 0x4C:
                long_name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            else:
                long_link = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            continue

        # A real member. Name: PAX > GNU long name > ustar prefix/name.
        kind = kinds.get(flag)
        if kind is None:
            if flag in (0x56, 0x4D, 0x4E, 0x44):  # V M N D: GNU volume/multivolume/dumpdir
                kind = DIR if flag == 0x44 else REG
            else:
                kind = REG  # POSIX: unknown types are read as regular files
        size = stored
        link: str | None = None
        if pax or long_name is not None or long_link is not None or flag == 0x53:
            name, size, link, uid, gid, mtime, stored, padded = _extended(
                hdr, r, pax, long_name, long_link, kind, flag, stored, uid, gid, mtime, context
            )
            pax = {}
            long_name = long_link = None
        else:
            name = _ustar_name(hdr)
            if kind == SYMLINK or kind == HARDLINK:
                link = _name(hdr[157:257])
        if kind != REG:
            size = 0
        elif name.endswith("/") and stored == 0:
            kind = DIR  # pre-POSIX tars mark directories by a trailing slash
            size = 0
        if kind == HARDLINK:
            link = normalise(link or "", context)
        devmajor = devminor = 0
        if kind == CHAR or kind == BLOCKDEV:
            devmajor = num(hdr[329:337], "devmajor", context)
            devminor = num(hdr[337:345], "devminor", context)
        if "/." not in name and "//" not in name and name[:1] != "." and name[:1] != "\\" and (
            name[1:2] != ":"
        ):
            path = name.strip("/")  # already clean: the common case
        else:
            path = normalise(name, context)
        if len(path) > path_check:
            _check_path(path, max_path, max_depth, context)

        if offsets is not None:
            offsets.append(r.tell())
        grab = 0
        if want is not None and kind == REG and stored and (
                want_match is None or mode & want_modes or want_match(path)):
            grab = min(want(path, size, mode), stored)
        if grab > 0:
            data = r.take(grab)
            if len(data) < grab:
                raise CorruptImageError(f"{context}: unexpected end of tar stream in {path!r}")
            pos = grab
            if captured is not None:
                value = data if keep is None else keep(path, data)
                hops = 0
                while type(value) is More:  # keep reads further into this file, forward only
                    hops += 1
                    start = min(max(value.offset, pos), stored)
                    count_more = min(max(value.length, 0), stored - start)
                    if r.skip(start - pos) < start - pos:
                        raise CorruptImageError(
                            f"{context}: unexpected end of tar stream in {path!r}")
                    data = r.take(count_more)
                    if len(data) < count_more:
                        raise CorruptImageError(
                            f"{context}: unexpected end of tar stream in {path!r}")
                    pos = start + count_more
                    value = value.then(data) if hops <= MAX_MORE else None
                if value is not None:
                    captured[path] = value
            rest = padded - pos
            if r.skip(rest) < rest:
                raise CorruptImageError(f"{context}: unexpected end of tar stream in {path!r}")
        elif padded:
            end = r.pos + padded
            if end <= len(r.buf):  # data already in the buffer (small files)
                r.pos = end
            elif r.skip(padded) < padded:
                raise CorruptImageError(f"{context}: unexpected end of tar stream in {path!r}")
        yield make(RawEntry, (path, kind, mode, uid, gid, size, mtime, link, devmajor, devminor))
