"""Which compression a stored blob uses, and the decompressors for each.

Compression is detected from the magic bytes, not trusted from the media type (docker-archive
has none, and registries mislabel). gzip goes through ISA-L (``isal.igzip_lib``), zstd through
``zstandard``, xz through ``lzma``, bzip2 through ``bz2``. ``zstandard``'s stream reader ends
silently on a truncated frame, so ``ZstdFrames`` walks the frame and block headers of the raw
bytes to tell whether the stream really ended on a frame boundary.
"""

from __future__ import annotations

import bz2
import lzma
from typing import Any, BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_XZ = b"\xfd7zXZ\x00"
_BZIP2 = b"BZh"


def sniff(head: bytes) -> str:
    """``gzip`` / ``zstd`` / ``xz`` / ``bzip2`` / ``tar`` from the first bytes of a blob."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(_ZSTD):
        return "zstd"
    if head.startswith(_XZ):
        return "xz"
    if head.startswith(_BZIP2) and len(head) > 3 and head[3:4].isdigit():
        return "bzip2"
    return "tar"


def gzip_decompressor() -> Any:
    """A bz2-style decompressor (``decompress(data, max_length)``, ``needs_input``, ``eof``,
    ``unused_data``) for one gzip member."""
    # heavy optional dependency: imported on first use (a C extension only gzip layers need; a
    # run that reads no gzip layer, such as a layer-cache hit, never loads it)
    from isal import igzip_lib

    return igzip_lib.IgzipDecompressor(flag=igzip_lib.DECOMP_GZIP)


def zstd_reader(source: BinaryIO) -> BinaryIO:
    """A stream of the zstd frames read from ``source``, across frame boundaries."""
    # heavy optional dependency: imported on first use (a C extension only zstd layers need)
    import zstandard

    reader = zstandard.ZstdDecompressor(max_window_size=1 << 31).stream_reader(
        source, read_across_frames=True, closefd=False
    )
    return reader


def decompressor(kind: str) -> Any:
    """The bz2-style decompressor for ``gzip``, ``xz`` or ``bzip2``; None for other kinds."""
    if kind == "gzip":
        return gzip_decompressor()
    if kind == "xz":
        return lzma.LZMADecompressor()
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    return None


class ZstdFrames:
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
        self._steps = {
            "magic": self._magic,
            "skippable": self._skippable,
            "header": self._header,
            "block": self._block,
            "checksum": self._checksum_field,
        }

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
            # Each step returns the new position, None when it needs more bytes, or -1 when
            # the stream is bad or the payload runs past ``buf`` (its state is then set).
            step = self._steps[self._state](buf, pos)
            if step is None:
                break
            if step < 0:
                return
            pos = step
        self._buf = buf[pos:]

    def _magic(self, buf: bytes, pos: int) -> int | None:
        if len(buf) - pos < 4:
            return None
        magic = int.from_bytes(buf[pos : pos + 4], "little")
        if magic == self._MAGIC:
            self._state = "header"
        elif magic & 0xFFFFFFF0 == 0x184D2A50:
            self._state = "skippable"
        else:
            self.bad = "invalid zstd frame magic"
            return -1
        return pos + 4

    def _skippable(self, buf: bytes, pos: int) -> int | None:
        if len(buf) - pos < 4:
            return None
        size = int.from_bytes(buf[pos : pos + 4], "little")
        self._state = "magic"
        return self._advance(buf, pos + 4, size)

    def _header(self, buf: bytes, pos: int) -> int | None:
        if len(buf) - pos < 1:
            return None
        fhd = buf[pos]
        single = (fhd >> 5) & 1
        fcs = {0: 1 if single else 0, 1: 2, 2: 4, 3: 8}[fhd >> 6]
        size = 1 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] + fcs
        if len(buf) - pos < size:
            return None
        self._checksum = bool(fhd & 4)
        self._state = "block"
        return pos + size

    def _block(self, buf: bytes, pos: int) -> int | None:
        if len(buf) - pos < 3:
            return None
        head = int.from_bytes(buf[pos : pos + 3], "little")
        kind = (head >> 1) & 3
        size = 1 if kind == 1 else head >> 3
        if kind == 3:
            self.bad = "reserved zstd block type"
            return -1
        if head & 1:
            self._state = "checksum" if self._checksum else "magic"
        return self._advance(buf, pos + 3, size)

    def _checksum_field(self, buf: bytes, pos: int) -> int | None:
        if len(buf) - pos < 4:
            return None
        self._state = "magic"
        return pos + 4

    def _advance(self, buf: bytes, pos: int, size: int) -> int:
        """Skip ``size`` payload bytes; -1 (the rest skipped on the next feed) when they run
        past the current buffer."""
        if pos + size <= len(buf):
            return pos + size
        self._skip = pos + size - len(buf)
        self._buf = b""
        return -1

    def is_complete(self) -> bool:
        return self.bad is None and self._state == "magic" and not self._buf and not self._skip
