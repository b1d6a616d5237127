"""A stored blob as a stream of tar bytes: decompressed, hashed, counted and bounded.

``LayerStream`` is the ``ByteSource`` the tar reader pulls from. While the bytes flow, the blob
digest (of the stored bytes) and the diff_id (of the tar) are computed, each byte exactly once;
decompression is bounded by ``Limits`` (per layer, by ratio, and per image through an
``ImageBudget``) so bombs stop early with ``UnsafeArchiveError``. An uncompressed layer in a
local file may be skipped through by seeking while a ``SideHash`` hashes it (``localfile``).

Stored bytes are read as they arrive (``read1``: one read of the source, not a full buffer), so a
slow download reports progress (``on_bytes``) and notices ``cancel`` at every network chunk.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any, BinaryIO, cast

from finalstage.errors import CorruptImageError, FinalstageError, UnsafeArchiveError
from finalstage.image import digest as dg
from finalstage.image.budget import ImageBudget
from finalstage.image.compression import (
    GZIP_MAGIC,
    ZstdFrames,
    decompressor,
    gzip_decompressor,
    sniff,
    zstd_reader,
)
from finalstage.image.localfile import SideHash, file_region
from finalstage.limits import Limits, limit_hint

CHUNK = 1 << 20
HEAD = 8  # bytes enough to tell the compression (xz's magic is the longest, 6)


class ReadCancelled(Exception):
    """The owner of a scan stopped it (``cancel`` was set): raised in a worker whose result
    nobody will take, so it is never shown."""


class LayerStream:
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
        cancel: threading.Event | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        self.raw = raw
        self._read1 = getattr(raw, "read1", raw.read)
        self.cancel = cancel
        self.on_bytes = on_bytes
        self.bytes_reported = 0  # stored bytes passed to ``on_bytes`` so far
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
        self._zreader: BinaryIO | None = None
        self.frames: ZstdFrames | None = None
        head = self._read_head()  # not hashed: the hashers are chosen once the kind is known
        self._raw_buf = head
        self.kind = sniff(head)
        self.region = file_region(raw) if self.kind == "tar" else None
        self.side: SideHash | None = None
        self._choose_hashers(head, blob_digest, diff_id, verify)
        self._decomp = decompressor(self.kind)
        if self.kind == "zstd":
            self.frames = ZstdFrames()
            self._zreader = zstd_reader(cast(BinaryIO, _RawTap(self)))
        # Seeking past data is only honest when no byte needs hashing on this thread.
        self.can_seek = self.kind == "tar" and _seekable(raw) and (
            self.side is not None or (self.blob_h is None and self.diff_h is None)
        )

    def _choose_hashers(
        self, head: bytes, blob_digest: str | None, diff_id: str | None, verify: bool
    ) -> None:
        """Who hashes what: this thread as bytes flow, or a ``SideHash`` over the local file of
        an uncompressed layer; an uncompressed blob IS the tar, so one hash checks both."""
        context = self.context
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
            blob_h = None
            self.blob_is_diff = True
        region = self.region if (blob_h or diff_h) else None
        if region is not None:
            self.side = SideHash(*region, [h for h in (blob_h, diff_h) if h is not None], context)
            self.blob_h = self.side.view(0) if blob_h is not None else None
            self.diff_h = self.side.view(1 if blob_h is not None else 0) if diff_h else None
        else:
            self.blob_h = blob_h
            self.diff_h = diff_h
            if self.blob_h is not None:
                self.blob_h.update(head)

    # -- raw (stored) side -------------------------------------------------------------
    def _read_head(self) -> bytes:
        head = self._read_file()
        while 0 < len(head) < HEAD and (more := self._read_file()):
            head += more
        return head

    def _read_file(self) -> bytes:
        if self.cancel is not None and self.cancel.is_set():
            raise ReadCancelled(self.context)
        try:
            data = self._read1(CHUNK)
        except OSError as err:
            raise CorruptImageError(f"{self.context}: {str(err.strerror or err).lower()}") from err
        if data:
            self.in_bytes += len(data)
            if self.blob_h is not None:
                self.blob_h.update(data)
            if self.on_bytes is not None:
                self.bytes_reported += len(data)
                self.on_bytes(len(data))
        return data

    def report_rest(self) -> None:
        """Pass on the stored bytes read without ``_read_file`` (seeks, preads) to ``on_bytes``."""
        rest = self.in_bytes - self.bytes_reported
        if self.on_bytes is not None and rest > 0:
            self.bytes_reported = self.in_bytes
            self.on_bytes(rest)

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
            if self.can_seek and not self._raw_buf:
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
            except (FinalstageError, ReadCancelled):  # the source's own errors, as they are
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
            except (FinalstageError, ReadCancelled):  # the source's own errors (a lost
                raise  # connection is a network error, not an invalid stream)
            except Exception as err:  # zlib/isal/lzma/bz2 errors: a corrupt stream
                raise CorruptImageError(
                    f"{self.context}: invalid {self.kind} stream: {err}"
                ) from err
            if d.eof:
                rest = d.unused_data + self._raw_buf
                self._raw_buf = b""
                if not rest:
                    rest = self._read_file()
                if self.kind == "gzip" and rest.startswith(GZIP_MAGIC):
                    # Concatenated gzip members are one stream (pigz, some builders).
                    self._decomp = d = gzip_decompressor()
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
        if done < n and self.can_seek:
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
        if self.can_seek:
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


class _RawTap(io.RawIOBase):
    """Feeds zstandard's stream_reader from the hashing raw side of a LayerStream."""

    def __init__(self, stream: LayerStream) -> None:
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
