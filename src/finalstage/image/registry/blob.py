"""A blob as a streaming, read-only binary file over an HTTP response (never all in memory).

When the connection drops mid-blob, the stream asks for the rest (``Range: bytes=N-``) and goes
on. A link that keeps dropping is followed as long as it delivers: the resume budget is
``MAX_STALLS`` drops in a row without a new byte, and it starts afresh whenever bytes arrive;
between resumes the stream waits the transport's backoff (``base * 2**n``, at most ``cap``).
Out of budget, a lost connection is a network error (``RegistryError``, temporary), never a
corrupt image.

A 206 must start where it was asked to (``Content-Range``); one that does not, and a server that
ignores Range (200), get the blob from its start again, and the bytes already handed out are
skipped. A body that ends cleanly before the manifest's size (the server's blob is shorter) or
runs past it is a ``CorruptImageError``. The run's ``download_deadline`` is checked at every
chunk. The digest itself is verified by ``Image`` while it streams.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx

from finalstage.errors import CorruptImageError, RegistryError
from finalstage.image.registry.responses import content_range_start
from finalstage.image.registry.transport import RegistryTransport
from finalstage.limits import limit_hint

MAX_STALLS = 5  # drops in a row with no new byte before the blob is given up
CHUNK = 256 * 1024


class BlobStream(io.RawIOBase):
    """``read(n)`` over ``GET /v2/REPO/blobs/DIGEST``; resumable with Range."""

    def __init__(self, transport: RegistryTransport, digest: str, size: int | None) -> None:
        super().__init__()
        self._transport = transport
        self._digest = digest
        self._size = size
        self._what = f"reading blob {digest} from {transport.host}/{transport.repository}"
        self._pos = 0  # bytes handed out
        self._stalls = 0  # drops in a row since the last new byte
        self._skip = 0  # bytes of the current response to drop (already handed out)
        self._buffer = b""
        self._response: httpx.Response | None = None
        self._chunks: Iterator[bytes] | None = None
        self._open_at(0)

    def _open_at(self, offset: int, *, use_range: bool = True) -> None:
        """Ask for the blob from ``offset`` (with Range), or whole (skipping ``offset`` bytes)."""
        # identity: a transfer-compressed body would make Range offsets meaningless.
        headers = {"Accept-Encoding": "identity"}
        if offset and use_range:
            headers["Range"] = f"bytes={offset}-"
        response = self._transport.send(
            "GET",
            f"/v2/{self._transport.repository}/blobs/{self._digest}",
            what=self._what,
            headers=headers,
        )
        if response.status_code not in (200, 206):
            try:
                body = self._transport.read_error_body(response, self._what)
            finally:
                response.close()
            raise self._transport.status_error(
                response,
                body,
                self._what,
                not_found=f"blob unknown: {self._transport.host}/{self._transport.repository}"
                f"@{self._digest}",
            )
        is_ranged = "Range" in headers and response.status_code == 206
        if is_ranged and content_range_start(response) != offset:
            response.close()  # not the rest we asked for: the whole blob again, then skip
            self._open_at(offset, use_range=False)
            return
        self._response = response
        self._skip = 0 if is_ranged else offset  # a whole blob: drop what was handed out
        # No chunk size: hand on bytes as they arrive, so a drop loses nothing already received.
        self._chunks = response.iter_bytes()

    def _next_chunk(self) -> bytes:
        """The next new bytes of the blob; b"" at its end. Drops are resumed here."""
        while True:
            self._transport.check_deadline(self._what)
            assert self._chunks is not None
            try:
                chunk = next(self._chunks, b"")
            except httpx.HTTPError as err:
                if self._size is not None and self._pos >= self._size and not self._skip:
                    return b""  # every byte is here: a drop after the last one loses nothing
                self._resume(err)
                continue
            if not chunk:
                if self._skip or (self._size is not None and self._pos < self._size):
                    self._resume(None)  # a clean end before the promised size
                    continue
                return b""
            if self._skip:
                drop = min(self._skip, len(chunk))
                self._skip -= drop
                chunk = chunk[drop:]
                if not chunk:
                    continue
            self._stalls = 0  # bytes arrived: the budget starts afresh
            return chunk

    def _resume(self, err: httpx.HTTPError | None) -> None:
        """After a drop (``err``) or a clean end short of the size (None): wait, then ask for
        the rest; or, out of budget, raise."""
        self._drop_response()
        self._stalls += 1
        if self._size is None or self._stalls > MAX_STALLS:
            where = f"at byte {self._pos}" + (f" of {self._size}" if self._size else "")
            if err is None:
                raise CorruptImageError(f"{self._what}: body ended {where}")
            why = "connection lost"
            if isinstance(err, httpx.TimeoutException):
                why = f"timed out after {self._transport.timeout:g} s ({limit_hint('timeout')})"
            tries = f" ({self._stalls - 1} resumes without progress)" if self._size else ""
            raise RegistryError(f"{self._what}: {why} {where}{tries}",
                                is_temporary=True) from err
        self._transport.backoff(self._stalls)
        self._open_at(self._pos)

    def _drop_response(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.closed:
            raise ValueError("read of closed blob stream")
        if not self._buffer:
            self._buffer = self._next_chunk()
            if not self._buffer:
                return 0
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        self._pos += n
        if self._size is not None and self._pos > self._size:
            raise CorruptImageError(f"{self._what}: body longer than {self._size} bytes")
        return n

    def close(self) -> None:
        self._drop_response()
        super().close()


def open_blob(transport: RegistryTransport, digest: str, size: int | None) -> io.BufferedReader:
    """A buffered, streaming file object for one blob."""
    return io.BufferedReader(BlobStream(transport, digest, size), buffer_size=CHUNK)
