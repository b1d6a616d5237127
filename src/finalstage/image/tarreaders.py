"""Where the tar reader takes its bytes from: a buffered stream, or ``pread`` on a local file.

``iter_tar`` needs two things of a reader: ``take(n)`` (the next n bytes) and ``skip(n)`` (move
past file data), plus the ``buf``/``pos`` pair its loop reads headers from directly. A
``BufferedReader`` wraps any :class:`ByteSource` (decompressed, hashed and counted by its
implementation) and reads in large chunks; a ``PreadReader`` reads the headers of a tar that sits
in a local file with ``pread``, through a window, and skips file data by arithmetic.
"""

from __future__ import annotations

import os
from typing import Protocol

from finalstage.errors import CorruptImageError


class ByteSource(Protocol):
    """Where tar bytes come from: decompressed, hashed and counted by the implementation."""

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; fewer only at end of stream."""
        ...

    def skip(self, n: int) -> int:
        """Advance ``n`` bytes without returning them; return how many were really skipped."""
        ...


class BufferedReader:
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
    """Headers of a tar that sits in a local file, read with ``pread`` through a window that
    adapts to the files: after a big file's data is skipped (arithmetic: no read, no seek) the
    next read is one small window; while headers follow each other closely (runs of small
    files) the window grows 4x per read up to ``MOST``, so most headers are sliced out of the
    window by ``iter_tar``'s own loop, with no call and no system call (fat-node's 67k entries:
    ~10% off the listing against one ``pread`` per header). Same face as ``BufferedReader``."""

    __slots__ = ("buf", "context", "end", "fd", "next", "off", "pos", "start")

    FIRST, MOST = 4096, 64 << 10

    def __init__(self, fd: int, start: int, length: int, context: str) -> None:
        self.fd, self.start, self.end, self.off = fd, start, start + length, start
        self.context = context
        self.buf = b""  # the window: file bytes from offset ``off``
        self.pos = 0  # the reader's position in the window
        self.next = self.FIRST

    def tell(self) -> int:
        return self.off + self.pos - self.start

    def take(self, n: int) -> bytes:
        pos, buf = self.pos, self.buf
        if pos + n <= len(buf):
            self.pos = pos + n
            return buf[pos : pos + n]
        off, size = self.off + pos, self.next
        self.next = min(size * 4, self.MOST)
        try:
            data = os.pread(self.fd, max(0, min(max(n, size), self.end - off)), off)
        except OSError as err:
            raise CorruptImageError(f"{self.context}: {str(err.strerror or err).lower()}") from err
        self.buf, self.off = data, off
        self.pos = min(n, len(data))
        return data[:n]

    def skip(self, n: int) -> int:
        pos = self.pos + n
        if pos <= len(self.buf):
            self.pos = pos
            return n
        off = self.off + self.pos
        k = max(0, min(n, self.end - off))
        self.off, self.buf, self.pos, self.next = off + k, b"", 0, self.FIRST
        return k


TarReader = BufferedReader | PreadReader
