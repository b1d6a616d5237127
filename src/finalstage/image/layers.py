"""Read one layer in a single streaming pass: sniff compression, decompress, verify, list entries.

Compression is detected from the magic bytes, not trusted from the media type (docker-archive
has none, and registries mislabel). gzip goes through ISA-L (``isal.igzip_lib``), zstd through
``zstandard``, xz through ``lzma``. While the bytes flow, the blob digest (of the stored bytes)
and the diff_id (of the tar) are computed; the stream is always read to its end so a layer whose
bytes do not match is never listed without error (go-containerregistry's ``mutate.Extract``
lesson). Decompression is bounded (``Limits``) so bombs stop early with ``UnsafeArchiveError``.

An uncompressed layer in a local file (an OCI blob, a member of a docker-archive) is read twice
at once instead: a second thread hashes the file's bytes with ``preadv`` into one reused buffer
(hashlib releases the GIL, so this runs on another core), while the parser reads only the headers
and seeks past file data, as ``tar -t`` does. The file's identity (size, mtime, ctime) is checked
before and after, so a file rewritten during the read is an error, not a mixed verdict. With
``verify=False`` only the header pass runs.
"""

from __future__ import annotations

import io
import lzma
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, cast

from finalstage.errors import CorruptImageError, DigestMismatchError, UnsafeArchiveError
from finalstage.fs.tarstream import (
    DEFAULT_LIMITS,
    KeepHook,
    Limits,
    PreadReader,
    RawEntry,
    WantHook,
    iter_tar,
    limit_hint,
)
from finalstage.image import digest as dg
from finalstage.image.core import LayerHandle

CHUNK = 1 << 20
_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_XZ = b"\xfd7zXZ\x00"
_BZIP2 = b"BZh"


def sniff(head: bytes) -> str:
    """``gzip`` / ``zstd`` / ``xz`` / ``bzip2`` / ``tar`` from the first bytes of a blob."""
    if head.startswith(_GZIP):
        return "gzip"
    if head.startswith(_ZSTD):
        return "zstd"
    if head.startswith(_XZ):
        return "xz"
    if head.startswith(_BZIP2) and len(head) > 3 and head[3:4].isdigit():
        return "bzip2"
    return "tar"


@dataclass
class LayerScan:
    """What one pass over a layer found. ``entries`` are in archive order."""

    index: int
    digest: str | None
    diff_id: str | None
    compression: str
    compressed_size: int
    uncompressed_size: int
    entries: list[RawEntry]
    captured: dict[str, Any] = field(default_factory=dict)


class ImageBudget:
    """The per-image limits over all layers. Bytes are counted live, as layers decompress
    (several at once, hence the lock; a call per chunk, not per entry), so a bomb spread over
    many layers stops as soon as the sum passes the limit; entries are counted as each layer's
    listing completes (each layer is already bounded by ``max_entries``)."""

    def __init__(self, limits: Limits, reference: str) -> None:
        from finalstage.escape import one_line

        self.limits = limits
        self.context = one_line(f"reading image {reference}")
        self.entries = 0
        self.size = 0
        self._lock = threading.Lock()

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.size += n
            size = self.size
        limit = self.limits.max_image_decompressed
        if size > limit:
            raise UnsafeArchiveError(
                f"{self.context}: layers decompress past {limit} bytes in all"
                f" ({limit_hint('max_image_decompressed')})"
            )

    def add_entries(self, n: int) -> None:
        self.entries += n  # called from one thread: the one collecting results in order
        limit = self.limits.max_image_entries
        if self.entries > limit:
            raise UnsafeArchiveError(
                f"{self.context}: more than {limit} entries in all layers"
                f" ({limit_hint('max_image_entries')})"
            )


class _Stream:
    """A ByteSource over a stored blob: decompresses, hashes both digests, enforces limits.

    Every byte is hashed and counted exactly once, when it is first read from the file (raw
    side) or first produced by the decompressor (tar side); surpluses are kept in buffers
    that are already accounted for.
    """

    def __init__(
        self,
        raw: BinaryIO,
        *,
        context: str,
        limits: Limits,
        blob_digest: str | None,
        diff_id: str | None,
        verify: bool,
        budget: ImageBudget | None = None,
    ) -> None:
        self.raw = raw
        self.budget = budget
        self.budget_counted = 0  # bytes already reported to the budget
        self.context = context
        self.limits = limits
        self.in_bytes = 0
        self.out_bytes = 0
        self.blob_h: Any = None
        self.diff_h: Any = None
        self.blob_is_diff = False
        self._raw_buf = b""  # raw bytes read and hashed, not yet consumed
        self._out = b""  # tar bytes produced and hashed, not yet consumed
        self._eof = False
        self._decomp: Any = None
        self._zreader: BinaryIO | None = None
        self.frames: _ZstdFrames | None = None
        head = self._read_file()  # not hashed: the hashers are chosen once the kind is known
        self._raw_buf = head
        self.kind = sniff(head)
        blob_h = dg.hasher(blob_digest, context) if (verify and blob_digest) else None
        diff_h = dg.hasher(diff_id, context) if (verify and diff_id) else None
        if (
            self.kind == "tar"
            and blob_h is not None
            and diff_h is not None
            and blob_digest is not None
            and diff_id is not None
            and blob_digest.split(":")[0] == diff_id.split(":")[0]
        ):
            # An uncompressed blob IS the tar: hash it once and check both digests against it.
            blob_h = None
            self.blob_is_diff = True
        self.region = _file_region(raw) if self.kind == "tar" else None
        region = self.region if (blob_h or diff_h) else None
        self.side: _SideHash | None = None
        if region is not None:
            self.side = _SideHash(*region, [h for h in (blob_h, diff_h) if h is not None], context)
            self.blob_h = self.side.view(0) if blob_h is not None else None
            self.diff_h = self.side.view(1 if blob_h is not None else 0) if diff_h else None
        else:
            self.blob_h = blob_h
            self.diff_h = diff_h
            if self.blob_h is not None:
                self.blob_h.update(head)
        if self.kind == "gzip":
            self._decomp = self._new_gzip()
        elif self.kind == "xz":
            self._decomp = lzma.LZMADecompressor()
        elif self.kind == "bzip2":
            import bz2

            self._decomp = bz2.BZ2Decompressor()
        elif self.kind == "zstd":
            import zstandard

            self.frames = _ZstdFrames()
            self._zreader = zstandard.ZstdDecompressor(max_window_size=1 << 31).stream_reader(
                cast(BinaryIO, _RawTap(self)), read_across_frames=True, closefd=False
            )
        # Seeking past data is only honest when no byte needs hashing on this thread.
        self._can_seek = self.kind == "tar" and _seekable(raw) and (
            self.side is not None or (self.blob_h is None and self.diff_h is None)
        )

    @staticmethod
    def _new_gzip() -> Any:
        from isal import igzip_lib

        return igzip_lib.IgzipDecompressor(flag=igzip_lib.DECOMP_GZIP)

    # -- raw (stored) side -------------------------------------------------------------
    def _read_file(self) -> bytes:
        try:
            data = self.raw.read(CHUNK)
        except OSError as err:
            raise CorruptImageError(f"{self.context}: {str(err.strerror or err).lower()}") from err
        if data:
            self.in_bytes += len(data)
            if self.blob_h is not None:
                self.blob_h.update(data)
        return data

    def raw_chunk(self) -> bytes:
        if self._raw_buf:
            data, self._raw_buf = self._raw_buf, b""
            return data
        return self._read_file()

    # -- decompressed side -------------------------------------------------------------
    def _count(self, data: bytes) -> bytes:
        n = len(data)
        if n:
            self.out_bytes += n
            if self.budget is not None:
                self.budget_counted += n
                self.budget.add_bytes(n)
            if self.diff_h is not None:
                self.diff_h.update(data)
            lim = self.limits
            if self.out_bytes > lim.max_decompressed:
                raise UnsafeArchiveError(
                    f"{self.context}: layer decompresses past {lim.max_decompressed} bytes"
                    f" ({limit_hint('max_decompressed')})"
                )
            if (
                self.kind != "tar"
                and self.out_bytes > lim.ratio_after
                and self.out_bytes > lim.max_ratio * max(self.in_bytes, 1)
            ):
                raise UnsafeArchiveError(
                    f"{self.context}: decompression ratio above {lim.max_ratio}:1"
                    f" ({self.out_bytes} bytes from {self.in_bytes}): likely a compression bomb"
                    f" ({limit_hint('max_ratio')})"
                )
        return data

    def _produce(self, n: int) -> bytes:
        """The next tar bytes (at most ~n), hashed and counted; b"" at the end."""
        if self.kind == "tar":
            if self._can_seek and not self._raw_buf:
                # Header-only mode: read just what the parser asks for, seek past the rest.
                try:
                    data = self.raw.read(n)
                except OSError as err:
                    raise CorruptImageError(
                        f"{self.context}: {str(err.strerror or err).lower()}"
                    ) from err
                self.in_bytes += len(data)
                return self._count(data)
            return self._count(self.raw_chunk())
        if self.kind == "zstd":
            assert self._zreader is not None
            try:
                data = self._zreader.read(min(n, CHUNK * 4))
            except CorruptImageError:
                raise
            except Exception as err:  # zstandard.ZstdError has no stable import path
                raise CorruptImageError(f"{self.context}: invalid zstd stream: {err}") from err
            if not data and self.raw_chunk():
                raise CorruptImageError(f"{self.context}: trailing data after zstd stream")
            return self._count(data)
        return self._count(self._decompress(min(n, CHUNK * 4)))

    def _decompress(self, n: int) -> bytes:
        """gzip/xz/bzip2 via a bz2-style decompressor with bounded output per call."""
        d = self._decomp
        while not self._eof:
            try:
                if d.needs_input:
                    raw = self.raw_chunk()
                    if not raw:
                        raise CorruptImageError(
                            f"{self.context}: unexpected end of {self.kind} stream"
                        )
                    out = d.decompress(raw, n)
                else:
                    out = d.decompress(b"", n)
            except CorruptImageError:
                raise
            except Exception as err:  # zlib/isal/lzma/bz2 errors: a corrupt stream
                raise CorruptImageError(
                    f"{self.context}: invalid {self.kind} stream: {err}"
                ) from err
            if d.eof:
                rest = d.unused_data + self._raw_buf
                self._raw_buf = b""
                if not rest:
                    rest = self._read_file()
                if self.kind == "gzip" and rest.startswith(_GZIP):
                    # Concatenated gzip members are one stream (pigz, some builders).
                    self._decomp = d = self._new_gzip()
                    self._raw_buf = rest
                else:
                    # The end: drain (and hash) whatever follows, tolerating zero padding only.
                    tail = rest
                    while tail:
                        if tail.lstrip(b"\0"):
                            raise CorruptImageError(
                                f"{self.context}: trailing data after {self.kind} stream"
                            )
                        tail = self._read_file()
                    self._eof = True
            if out:
                return out
        return b""

    def read(self, n: int) -> bytes:
        if self._out:
            data, self._out = self._out, b""
            return data
        return self._produce(n)

    def skip(self, n: int) -> int:
        done = 0
        if self._out:
            take = min(n, len(self._out))
            self._out = self._out[take:]
            done = take
        if done < n and self._can_seek:
            if self._raw_buf:
                take = min(n - done, len(self._raw_buf))
                self._raw_buf = self._raw_buf[take:]
                done += take
                self.out_bytes += take
            if done < n:
                try:
                    pos = self.raw.tell()
                    end = self.raw.seek(0, io.SEEK_END)
                    target = min(pos + (n - done), end)
                    self.raw.seek(target)
                except OSError as err:
                    raise CorruptImageError(
                        f"{self.context}: {str(err.strerror or err).lower()}"
                    ) from err
                moved = target - pos
                self.in_bytes += moved
                self.out_bytes += moved
                done += moved
            return done
        while done < n:
            data = self._produce(n - done)
            if not data:
                break
            if len(data) > n - done:
                self._out = data[n - done :]
                data = data[: n - done]
            done += len(data)
        return done

    def drain(self) -> None:
        """Read to the end so the digests cover every byte (and trailing garbage is seen)."""
        self._out = b""
        if self._can_seek:
            try:
                pos = self.raw.tell()
                end = self.raw.seek(0, io.SEEK_END)
            except OSError as err:
                raise CorruptImageError(
                    f"{self.context}: {str(err.strerror or err).lower()}"
                ) from err
            self.in_bytes += end - pos
            self.out_bytes += end - pos + len(self._raw_buf)
            self._raw_buf = b""
            return
        while self._produce(CHUNK * 4):
            pass


def _file_region(raw: BinaryIO) -> tuple[int, int, int] | None:
    """``(fd, start, length)`` when ``raw`` is a window of a regular local file, else None."""
    fd = getattr(raw, "_fd", None)  # tarindex._Slice: a window of an outer archive
    if fd is not None:
        return fd, raw._start, raw._size  # type: ignore[attr-defined]
    try:
        fd = raw.fileno()
        st = os.fstat(fd)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return (fd, 0, st.st_size) if stat.S_ISREG(st.st_mode) else None


def _identity(fd: int) -> tuple[int, int, int, int]:
    st = os.fstat(fd)
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


_HASH_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


class _SideHash:
    """Hashes ``length`` bytes of ``fd`` from ``start`` on its own thread (see the module doc).

    ``wait()`` (while the file is still open) joins the thread and raises ``CorruptImageError``
    when the file was shorter than the window or changed meanwhile; ``view(i)`` is what the
    stream holds in place of the i-th hash object.
    """

    BUFFER = 1 << 20  # fits in L2: the copy and the hash both run from cache (measured best)

    def __init__(
        self, fd: int, start: int, length: int, hashers: list[Any], context: str
    ) -> None:
        self.fd, self.start, self.length = fd, start, length
        self.hashers = hashers
        self.context = context
        self.hashed = 0
        self.error: str | None = None
        self._stop = False
        self._digests: list[str] | None = None
        self._before = _identity(fd)
        self._thread = threading.Thread(target=self._run, name="layer-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        updates = [h.update for h in self.hashers]
        pos, end = self.start, self.start + self.length
        # One hashing thread per core at a time: an image of 100 small layers would otherwise
        # hold 100 buffers at once (measured +100 MiB on 100k entries in 100 layers).
        with _HASH_SLOTS:
            buf = memoryview(bytearray(min(self.BUFFER, max(self.length, 1))))
            try:
                while pos < end and not self._stop:
                    n = os.preadv(self.fd, [buf[: min(len(buf), end - pos)]], pos)
                    if n <= 0:
                        break
                    chunk = buf[:n]
                    for update in updates:
                        update(chunk)
                    pos += n
            except OSError as err:
                self.error = str(err.strerror or err).lower()
            del buf  # freed before the slot is: at most one buffer per slot
        self.hashed = pos - self.start

    def close(self) -> None:
        """Stop early (the parse failed) and wait for the thread."""
        self._stop = True
        self._thread.join()

    def wait(self) -> None:
        if self._digests is not None:
            return
        self._thread.join()
        if self.error is not None:
            raise CorruptImageError(f"{self.context}: {self.error}")
        if self.hashed != self.length:
            raise CorruptImageError(f"{self.context}: unexpected end of file while hashing")
        try:
            changed = _identity(self.fd) != self._before
        except OSError:
            changed = True
        if changed:
            raise CorruptImageError(f"{self.context}: file changed while it was read")
        self._digests = [h.hexdigest() for h in self.hashers]

    def view(self, i: int) -> _SideView:
        return _SideView(self, i)


class _SideView:
    """The i-th digest of a ``_SideHash``, in the shape of a hash object (the parse thread never
    feeds it: ``update`` is a no-op)."""

    def __init__(self, side: _SideHash, i: int) -> None:
        self.side, self.i = side, i

    def update(self, data: bytes) -> None:
        pass

    def hexdigest(self) -> str:
        self.side.wait()
        assert self.side._digests is not None
        return self.side._digests[self.i]


class _ZstdFrames:
    """Walks zstd frame and block headers of the raw stream to tell whether it ends on a frame
    boundary: ``zstandard``'s stream reader ends silently on a truncated frame. Costs one
    3-byte header per 128 KiB block; no decompression."""

    _MAGIC = 0xFD2FB528

    def __init__(self) -> None:
        self._buf = b""
        self._skip = 0  # payload bytes still to skip
        self._state = "magic"  # magic | header | block | checksum | skippable
        self._checksum = False
        self.bad: str | None = None

    def feed(self, data: bytes) -> None:
        if self.bad:
            return
        if self._skip >= len(data):
            self._skip -= len(data)
            return
        buf = self._buf + data[self._skip :]
        self._skip = 0
        pos = 0
        while True:
            if self._state == "magic":
                if len(buf) - pos < 4:
                    break
                magic = int.from_bytes(buf[pos : pos + 4], "little")
                pos += 4
                if magic == self._MAGIC:
                    self._state = "header"
                elif magic & 0xFFFFFFF0 == 0x184D2A50:
                    self._state = "skippable"
                else:
                    self.bad = "invalid zstd frame magic"
                    return
            elif self._state == "skippable":
                if len(buf) - pos < 4:
                    break
                size = int.from_bytes(buf[pos : pos + 4], "little")
                pos += 4
                self._state = "magic"
                if not self._advance(buf, pos, size):
                    return
                pos = min(pos + size, len(buf))
            elif self._state == "header":
                if len(buf) - pos < 1:
                    break
                fhd = buf[pos]
                single = (fhd >> 5) & 1
                fcs = {0: 1 if single else 0, 1: 2, 2: 4, 3: 8}[fhd >> 6]
                size = 1 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] + fcs
                if len(buf) - pos < size:
                    break
                self._checksum = bool(fhd & 4)
                pos += size
                self._state = "block"
            elif self._state == "block":
                if len(buf) - pos < 3:
                    break
                head = int.from_bytes(buf[pos : pos + 3], "little")
                pos += 3
                kind = (head >> 1) & 3
                size = 1 if kind == 1 else head >> 3
                if kind == 3:
                    self.bad = "reserved zstd block type"
                    return
                if head & 1:
                    self._state = "checksum" if self._checksum else "magic"
                if not self._advance(buf, pos, size):
                    return
                pos = min(pos + size, len(buf))
            else:  # checksum
                if len(buf) - pos < 4:
                    break
                pos += 4
                self._state = "magic"
        self._buf = buf[pos:]

    def _advance(self, buf: bytes, pos: int, size: int) -> bool:
        """Skip ``size`` payload bytes; False when they run past the current buffer."""
        if pos + size <= len(buf):
            return True
        self._skip = pos + size - len(buf)
        self._buf = b""
        return False

    def is_complete(self) -> bool:
        return self.bad is None and self._state == "magic" and not self._buf and not self._skip


class _RawTap(io.RawIOBase):
    """Feeds zstandard's stream_reader from the hashing raw side of a _Stream."""

    def __init__(self, stream: _Stream) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.stream.raw_chunk()
        if self.stream.frames is not None:
            self.stream.frames.feed(data)
        return data


def _seekable(raw: BinaryIO) -> bool:
    try:
        return bool(raw.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def scan_layer(
    handle: LayerHandle,
    index: int,
    *,
    want: WantHook | None = None,
    keep: KeepHook | None = None,
    limits: Limits = DEFAULT_LIMITS,
    verify: bool = True,
) -> LayerScan:
    """Stream one layer once: list its entries and check its digests. Errors name the layer."""
    return start_scan(handle, index, want=want, keep=keep, limits=limits, verify=verify).result()


class PendingScan:
    """A layer whose entries are listed but whose digests may still be being hashed on the
    side thread. ``result()`` waits, checks the digests and hands the scan out; nothing may be
    reported from ``unverified`` before that returns."""

    def __init__(
        self, scan: LayerScan, finish: Callable[[], None], abandon: Callable[[], None]
    ) -> None:
        self.unverified = scan
        self._finish: Callable[[], None] | None = finish
        self._abandon = abandon

    def abandon(self) -> None:
        """Stop hashing and release the file (an earlier or later layer failed)."""
        if self._finish is not None:
            self._finish = None
            self._abandon()

    def result(self) -> LayerScan:
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()
        return self.unverified


def start_scan(
    handle: LayerHandle,
    index: int,
    *,
    want: WantHook | None = None,
    keep: KeepHook | None = None,
    limits: Limits = DEFAULT_LIMITS,
    verify: bool = True,
    budget: ImageBudget | None = None,
) -> PendingScan:
    """List one layer's entries now; its digests are checked by ``result()`` (the hashing of a
    local uncompressed layer goes on meanwhile, so callers can merge while it runs)."""
    ident = handle.digest or handle.diff_id
    context = f"reading layer {index} ({dg.short(ident)})" if ident else f"reading layer {index}"
    try:
        raw = handle.open()
    except OSError as err:
        raise CorruptImageError(f"{context}: {str(err.strerror or err).lower()}") from err
    stream: _Stream | None = None
    try:
        stream = _Stream(
            raw,
            context=context,
            limits=limits,
            blob_digest=handle.digest,
            diff_id=handle.diff_id,
            verify=verify,
            budget=budget,
        )
        captured: dict[str, Any] = {}
        src: Any = stream
        if stream._can_seek and stream.region is not None:
            # Headers straight from the file; the side thread (if any) hashes every byte.
            fd, start, length = stream.region
            if length > limits.max_decompressed:
                raise UnsafeArchiveError(
                    f"{context}: layer of {length} bytes exceeds limit {limits.max_decompressed}"
                    f" ({limit_hint('max_decompressed')})"
                )
            src = PreadReader(fd, start, length, context)
        # Seeking past data: small reads (most headers sit next to small files); else 1 MiB.
        chunk = 64 << 10 if stream._can_seek else CHUNK
        entries = list(
            iter_tar(
                src,
                context=context,
                want=want,
                limits=limits,
                captured=captured,
                keep=keep,
                chunk=chunk,
                adaptive=stream._can_seek,
            )
        )
        if src is stream:
            stream.drain()
        else:
            stream.in_bytes = stream.out_bytes = stream.region[2]  # type: ignore[index]
        if budget is not None:  # bytes seeked past (or read by pread) were not counted yet
            budget.add_bytes(stream.out_bytes - stream.budget_counted)
        if handle.size is not None and stream.in_bytes != handle.size and verify:
            raise CorruptImageError(
                f"{context}: size mismatch: expected {handle.size} bytes, got {stream.in_bytes}"
            )
        if stream.frames is not None and not stream.frames.is_complete():
            # zstandard's stream reader ends silently on a truncated frame.
            why = stream.frames.bad or "unexpected end of zstd stream"
            raise CorruptImageError(f"{context}: {why}")
    except BaseException:
        if stream is not None and stream.side is not None:
            stream.side.close()
        raw.close()
        raise
    if stream.side is None:
        raw.close()
    # Only what the digest check needs outlives the parse: not the stream and its buffers
    # (a pending image of 100 layers would otherwise hold 100 read-ahead chunks).
    side, blob_h, diff_h = stream.side, stream.blob_h, stream.diff_h
    blob_is_diff = stream.blob_is_diff

    def abandon() -> None:
        if side is not None:
            side.close()
            raw.close()

    def finish() -> None:
        try:
            if side is not None:
                side.wait()  # while the file is open: its identity is checked again
        finally:
            if side is not None:
                side.close()
                raw.close()
        diff_value = _value(diff_h, handle.diff_id, context)
        blob_value = diff_value if blob_is_diff else _value(blob_h, handle.digest, context)
        _compare(blob_value, handle.digest, context, "blob")
        _compare(diff_value, handle.diff_id, context, "diff_id")

    scan = LayerScan(
        index=index,
        digest=handle.digest,
        diff_id=handle.diff_id,
        compression=stream.kind,
        compressed_size=stream.in_bytes,
        uncompressed_size=stream.out_bytes,
        entries=entries,
        captured=captured,
    )
    return PendingScan(scan, finish, abandon)


def _value(h: Any, expected: str | None, context: str) -> str | None:
    if h is None or expected is None:
        return None
    algo, _ = dg.parse(expected, context)
    return f"{algo}:{h.hexdigest()}"


def _compare(actual: str | None, expected: str | None, context: str, what: str) -> None:
    if actual is not None and expected is not None and actual != expected:
        raise DigestMismatchError(f"{context}: {what}", expected, actual)


def fingerprint(handle: LayerHandle) -> str | None:
    """Identity of the stored bytes of a local layer: device, inode, size, mtime and ctime of
    the file holding it, and the layer's offset in it. Any write to the file changes ctime, so
    an unchanged fingerprint means unchanged bytes. None when the bytes are not in a local file
    (a registry or daemon stream): then only the digest identifies the layer."""
    try:
        raw = handle.open()
    except OSError:
        return None
    with raw:
        fd = getattr(raw, "_fd", None)  # tarindex._Slice: a window of an outer archive
        start = getattr(raw, "_start", 0)
        if fd is None:
            try:
                fd = raw.fileno()
            except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
                return None
        try:
            st = os.fstat(fd)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{start}"
