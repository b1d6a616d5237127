"""A hand-written streaming tar reader (ustar, GNU and PAX), built for speed and safety.

Python's ``tarfile`` builds a ``TarInfo`` per member, re-reads PAX records through several layers
and cannot skip data on a non-seekable stream without copying it; it also has no limits against
archive bombs. ``iter_tar`` parses the 512-byte headers directly out of large buffers and hands
back one small tuple per entry, so listing a layer costs little more than the header floor.

What it understands: ustar ``prefix``; GNU ``././@LongLink`` long names and link names (``L``/``K``);
PAX extended headers (``x``, and ``g`` which is accepted and otherwise ignored) with ``path``,
``linkpath``, ``size``, ``uid``, ``gid``, ``mtime`` and the GNU sparse keys; GNU old-style sparse
files (``S``) reported with their real size; base-256 numeric fields; devices, fifos, hardlinks,
symlinks. Names that are not UTF-8 are kept as ``surrogateescape`` strings so they round-trip.

This module is the loop and the capture of file data; the header fields are in ``tarheader``,
the rare extension members in ``tarext``, the byte readers in ``tarreaders``. File data is
skipped (a seek on a plain seekable file, a discard from a decompressed stream, arithmetic for a
``PreadReader``) unless the caller's ``want(path, size, mode)`` hook asks to capture the first N
bytes of that file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from finalstage.errors import CorruptImageError, UnsafeArchiveError
from finalstage.image.tarext import Extension, read_meta, resolve
from finalstage.image.tarheader import (
    BLOCK,
    BLOCKDEV,
    CHAR,
    DIR,
    HARDLINK,
    KIND,
    META_FLAGS,
    REG,
    SPARSE_FLAG,
    SYMLINK,
    RawEntry,
    check_path,
    checksum_ok,
    device,
    link_name,
    normalise,
    numbers,
    other_kind,
    ustar_name,
)
from finalstage.image.tarreaders import BufferedReader, ByteSource, PreadReader, TarReader
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint

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

_NUL_TO_SPACE = bytes.maketrans(b"\0", b" ")


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
    ``adaptive``: ``src.skip`` seeks, so reads after a skip start small (see ``BufferedReader``).
    A ``PreadReader`` as ``src`` reads the headers of a local file directly.
    The stream is NOT read past the end-of-archive marker here; the caller drains it.
    """
    r = src if isinstance(src, PreadReader) else BufferedReader(src, chunk, adaptive)
    return _members(r, context, want, keep, captured, offsets, limits)


def _members(
    r: TarReader, context: str, want: WantHook | None, keep: KeepHook | None,
    captured: dict[str, Any] | None, offsets: list[int] | None, limits: Limits,
) -> Iterator[RawEntry]:
    """The loop of ``iter_tar``: the per-entry fast path inline, rare cases in helpers."""
    count = 0
    ext: Extension | None = None  # what metadata members said of the next real member
    max_entries, path_check = limits.max_entries, _always_short(limits)
    want_match, want_modes = getattr(want, "match", None), getattr(want, "modes", 0)
    # tuple.__new__: RawEntry(...) would run namedtuple's Python-level __new__ per entry.
    kinds, nul_to_space, make, header_ok = KIND, _NUL_TO_SPACE, tuple.__new__, checksum_ok
    while True:
        pos = r.pos
        if pos + BLOCK <= len(r.buf):  # the common case, without a method call
            hdr = r.buf[pos : pos + BLOCK]
            r.pos = pos + BLOCK
        else:
            hdr = r.take(BLOCK)
            if len(hdr) < BLOCK:
                return _short_stream(hdr, count, context)  # ends an empty stream, else raises
        if (count := count + 1) > max_entries or not header_ok(hdr):
            if hdr.count(0) == BLOCK:  # a zero block (whose checksum fails): end of archive
                return  # (the second zero block is not required)
            raise _bad_header(hdr, count, max_entries, context)
        flag, nums = hdr[156], hdr[100:148].translate(nul_to_space)  # int() skips the spaces
        try:  # mode uid gid size mtime; base-256 or empty fields take the careful path
            mode, uid, gid = int(nums[0:8], 8) & 0o7777, int(nums[8:16], 8), int(nums[16:24], 8)
            stored, mtime = int(nums[24:36], 8), int(nums[36:48], 8)
        except ValueError:
            mode, uid, gid, stored, mtime = numbers(hdr, context)
        if flag in META_FLAGS or stored < 0:  # metadata members, and negative sizes (errors)
            ext = read_meta(r, flag, stored, ext, limits.max_header_bytes, context)
            continue
        kind = kinds.get(flag) or other_kind(flag)
        name, size, padded = ustar_name(hdr), stored if kind == REG else 0, (stored + 511) & ~511
        link = link_name(hdr) if kind == SYMLINK or kind == HARDLINK else None
        if ext is not None or flag == SPARSE_FLAG:  # PAX, GNU long names, sparse: the rare case
            name, size, link, stored, padded, uid, gid, mtime = resolve(
                hdr, r, ext, kind, stored, (uid, gid, mtime), context)
            ext = None
        if kind == REG and stored == 0 and name.endswith("/"):
            kind, size = DIR, 0  # pre-POSIX tars mark directories by a trailing slash
        if kind == HARDLINK:
            link = normalise(link or "", context)
        devmajor, devminor = device(hdr, context) if kind == CHAR or kind == BLOCKDEV else (0, 0)
        path = (normalise(name, context) if "/." in name or "//" in name
                or name[:1] in _ODD_START or name[1:2] == ":" else name.strip("/"))
        if len(path) > path_check:
            check_path(path, limits.max_path_length, limits.max_path_depth, context)
        if offsets is not None:
            offsets.append(r.tell())
        if want is not None and kind == REG and stored and (
                want_match is None or mode & want_modes or want_match(path)) and (
                grab := min(want(path, size, mode), stored)) > 0:
            padded = _capture(r, path, grab, stored, padded, captured, keep, context)
        if padded and (end := r.pos + padded) <= len(r.buf):
            r.pos = end  # data already in the buffer (small files)
        elif padded and r.skip(padded) < padded:
            raise _truncated(path, context)
        yield make(RawEntry, (path, kind, mode, uid, gid, size, mtime, link, devmajor, devminor))


_ODD_START = (".", "\\")  # first characters of names that need ``normalise`` (not clean)


def _always_short(limits: Limits) -> int:
    """A name of at most this many characters is neither too long (UTF-8 has at most 4 bytes
    per character) nor too deep (each component takes a character and a slash): so one
    ``len()`` per entry stands for ``check_path``."""
    return min(limits.max_path_length // 4, 2 * limits.max_path_depth)


def _short_stream(hdr: bytes, count: int, context: str) -> None:
    """A stream that ends inside a header: fine when it is empty (a degenerate empty layer)."""
    if hdr or count:
        raise _short_header(hdr, count, context)


def _capture(
    r: TarReader, path: str, grab: int, stored: int, padded: int,
    captured: dict[str, Any] | None, keep: KeepHook | None, context: str,
) -> int:
    """Read the first ``grab`` bytes of a file (and the further parts ``keep`` asks for with
    ``More``), store what ``keep`` makes of them, and move past the rest of its data.
    Returns what is left of ``padded`` to skip: nothing."""
    data = r.take(grab)
    if len(data) < grab:
        raise _truncated(path, context)
    pos = grab
    if captured is not None:
        value = data if keep is None else keep(path, data)
        hops = 0
        while type(value) is More:  # keep reads further into this file, forward only
            hops += 1
            start = min(max(value.offset, pos), stored)
            count = min(max(value.length, 0), stored - start)
            if r.skip(start - pos) < start - pos:
                raise _truncated(path, context)
            data = r.take(count)
            if len(data) < count:
                raise _truncated(path, context)
            pos = start + count
            value = value.then(data) if hops <= MAX_MORE else None
        if value is not None:
            captured[path] = value
    rest = padded - pos
    if r.skip(rest) < rest:
        raise _truncated(path, context)
    return 0


def _truncated(path: str, context: str) -> CorruptImageError:
    return CorruptImageError(f"{context}: unexpected end of tar stream in {path!r}")


def _short_header(hdr: bytes, count: int, context: str) -> CorruptImageError:
    if count == 0:
        return CorruptImageError(f"{context}: not a tar stream ({len(hdr)} bytes)")
    return CorruptImageError(f"{context}: unexpected end of tar stream")


def _bad_header(hdr: bytes, count: int, max_entries: int, context: str) -> Exception:
    """The error for header number ``count``: a bad checksum, or one entry too many."""
    if not checksum_ok(hdr):
        if count == 1:
            return CorruptImageError(f"{context}: not a tar stream (invalid first header)")
        return CorruptImageError(f"{context}: invalid tar header checksum (entry {count})")
    return UnsafeArchiveError(
        f"{context}: more than {max_entries} entries in layer ({limit_hint('max_entries')})"
    )
