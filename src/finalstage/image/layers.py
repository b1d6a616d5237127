"""Read one layer in a single streaming pass: list its entries and verify its digests.

The stream is always read to its end, so a layer whose bytes do not match is never listed
without error (go-containerregistry's ``mutate.Extract`` lesson); the bytes come through a
``LayerStream`` (decompression, hashing, limits). An uncompressed layer in a local file is read
twice at once instead: a ``SideHash`` thread hashes the file while ``iter_tar`` reads only the
headers through a ``pread`` window (``localfile``); ``start_scan`` hands the listing out at once and
the digest check (``PendingScan.result``) waits for that thread. With ``verify=False`` only the
header pass runs.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from finalstage.errors import CorruptImageError, DigestMismatchError, UnsafeArchiveError
from finalstage.image import digest as dg
from finalstage.image.blobstream import CHUNK, LayerStream
from finalstage.image.budget import ImageBudget
from finalstage.image.core import LayerHandle
from finalstage.image.localfile import file_region
from finalstage.image.tarheader import RawEntry
from finalstage.image.tarreaders import PreadReader
from finalstage.image.tarstream import KeepHook, WantHook, iter_tar
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint


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
    cancel: threading.Event | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> PendingScan:
    """List one layer's entries now; its digests are checked by ``result()`` (the hashing of a
    local uncompressed layer goes on meanwhile, so callers can merge while it runs).

    ``cancel`` set stops the read at its next chunk (``ReadCancelled``); ``on_bytes(n)`` hears
    of the stored bytes as they are read (progress)."""
    raw, context = open_layer(handle, index)
    stream: LayerStream | None = None
    captured: dict[str, Any] = {}
    try:
        stream = LayerStream(raw, context=context, limits=limits, blob_digest=handle.digest,
                             diff_id=handle.diff_id, verify=verify, budget=budget,
                             cancel=cancel, on_bytes=on_bytes)
        entries = _list_entries(stream, want=want, keep=keep, limits=limits, captured=captured)
        _check_read(stream, handle, verify, budget)
        stream.report_rest()
    except BaseException:
        if stream is not None and stream.side is not None:
            stream.side.close()
        raw.close()
        raise
    if stream.side is None:
        raw.close()
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
    return PendingScan(scan, *_digest_check(stream, raw, handle))


def open_layer(handle: LayerHandle, index: int) -> tuple[BinaryIO, str]:
    """The layer's stored bytes, opened, and the context its errors name."""
    ident = handle.digest or handle.diff_id
    context = f"reading layer {index} ({dg.short(ident)})" if ident else f"reading layer {index}"
    try:
        return handle.open(), context
    except OSError as err:
        raise CorruptImageError(f"{context}: {str(err.strerror or err).lower()}") from err


def _list_entries(
    stream: LayerStream,
    *,
    want: WantHook | None,
    keep: KeepHook | None,
    limits: Limits,
    captured: dict[str, Any],
) -> list[RawEntry]:
    """Every entry of the layer, read to the end of the stream (so the digests cover every
    byte). Headers come straight from the file when the stream may seek past data; the side
    thread (if any) hashes every byte meanwhile."""
    src: Any = stream
    if stream.can_seek and stream.region is not None:
        fd, start, length = stream.region
        if length > limits.max_decompressed:
            raise UnsafeArchiveError(
                f"{stream.context}: layer of {length} bytes exceeds limit"
                f" {limits.max_decompressed} ({limit_hint('max_decompressed')})"
            )
        src = PreadReader(fd, start, length, stream.context)
    # Seeking past data: small reads (most headers sit next to small files); else 1 MiB.
    chunk = 64 << 10 if stream.can_seek else CHUNK
    entries = list(iter_tar(src, context=stream.context, want=want, limits=limits,
                            captured=captured, keep=keep, chunk=chunk, adaptive=stream.can_seek))
    if src is stream:
        stream.drain()
    else:
        stream.in_bytes = stream.out_bytes = stream.region[2]  # type: ignore[index]
    return entries


def _check_read(
    stream: LayerStream, handle: LayerHandle, verify: bool, budget: ImageBudget | None
) -> None:
    """What can be checked once the stream is read: the image budget, the stored size, and
    whether a zstd stream really ended (``zstandard``'s reader ends silently when truncated)."""
    if budget is not None:  # bytes seeked past (or read by pread) were not counted yet
        budget.add_bytes(stream.out_bytes - stream.budget_counted)
    if handle.size is not None and stream.in_bytes != handle.size and verify:
        raise CorruptImageError(
            f"{stream.context}: size mismatch: expected {handle.size} bytes,"
            f" got {stream.in_bytes}"
        )
    if stream.frames is not None and not stream.frames.is_complete():
        why = stream.frames.bad or "unexpected end of zstd stream"
        raise CorruptImageError(f"{stream.context}: {why}")


def _digest_check(
    stream: LayerStream, raw: BinaryIO, handle: LayerHandle
) -> tuple[Callable[[], None], Callable[[], None]]:
    """``finish`` (wait for the hashes and compare the digests) and ``abandon`` (stop the side
    thread, release the file). Only what they need outlives the parse: not the stream and its
    buffers (a pending image of 100 layers would otherwise hold 100 read-ahead chunks)."""
    side, blob_h, diff_h = stream.side, stream.blob_h, stream.diff_h
    blob_is_diff, context = stream.blob_is_diff, stream.context

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

    return finish, abandon


digest_check = _digest_check  # for readers of whole layers (``layerread``)


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
    (a registry or daemon stream): then only the digest identifies the layer. A remote layer is
    never opened for this (that would download it): its digests are its identity."""
    if handle.is_remote:
        return None
    try:
        raw = handle.open()
    except OSError:
        return None
    with raw:
        region = file_region(raw)
        if region is None:
            return None
        fd, start, _ = region
        try:
            st = os.fstat(fd)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{start}"
