"""A blob as a streaming, read-only binary file over an HTTP response (never all in memory).

When the connection drops mid-blob, the stream re-requests the rest with ``Range: bytes=N-``
(at most ``MAX_RESUMES`` times); a server that ignores Range and answers 200 is skipped forward.
A body shorter or longer than the manifest's size is an error, not a silent short read. The
digest itself is verified by ``Image`` while it streams.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx

from finalstage.errors import CorruptImageError, RegistryError
from finalstage.image.registry.transport import RegistryTransport
from finalstage.limits import limit_hint

MAX_RESUMES = 3
CHUNK = 256 * 1024


class BlobStream(io.RawIOBase):
    """``read(n)`` over ``GET /v2/REPO/blobs/DIGEST``; resumable with Range."""

    def __init__(self, transport: RegistryTransport, digest: str, size: int | None) -> None:
        super().__init__()
        self._transport = transport
        self._digest = digest
        self._size = size
        self._what = f"reading blob {digest} from {transport.host}/{transport.repository}"
        self._pos = 0
        self._resumes = 0
        self._buffer = b""
        self._response: httpx.Response | None = None
        self._chunks: Iterator[bytes] | None = None
        self._open_at(0)

    def _open_at(self, offset: int) -> None:
        # identity: a transfer-compressed body would make Range offsets meaningless.
        headers = {"Accept-Encoding": "identity"}
        if offset:
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
        self._response = response
        # No chunk size: hand on bytes as they arrive, so a drop loses nothing already received.
        self._chunks = response.iter_bytes()
        if offset and response.status_code == 200:
            self._skip(offset)

    def _skip(self, count: int) -> None:
        # The server ignored Range: drop the bytes we already handed out.
        while count > 0:
            chunk = self._next_chunk_raw()
            if not chunk:
                raise CorruptImageError(f"{self._what}: body ended while resuming")
            if len(chunk) > count:
                self._buffer = chunk[count:]
            count -= len(chunk)

    def _next_chunk_raw(self) -> bytes:
        assert self._chunks is not None
        return next(self._chunks, b"")

    def _next_chunk(self) -> bytes:
        while True:
            if self._buffer:  # left over from skipping after a Range-less resume
                chunk, self._buffer = self._buffer, b""
                return chunk
            try:
                chunk = self._next_chunk_raw()
            except httpx.HTTPError as err:
                self._drop_response()
                if self._resumes >= MAX_RESUMES or self._size is None:
                    why = "connection lost"
                    if isinstance(err, httpx.TimeoutException):
                        why = (f"timed out after {self._transport.timeout:g} s"
                               f" ({limit_hint('timeout')})")
                    raise RegistryError(
                        f"{self._what}: {why} at byte {self._pos}", is_temporary=True
                    ) from err
                self._resumes += 1
                self._open_at(self._pos)
                continue
            if not chunk and self._size is not None and self._pos < self._size:
                # A clean EOF before the promised size: treat as a dropped connection.
                self._drop_response()
                if self._resumes >= MAX_RESUMES:
                    raise CorruptImageError(
                        f"{self._what}: body ended at byte {self._pos} of {self._size}"
                    )
                self._resumes += 1
                self._open_at(self._pos)
                continue
            return chunk

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
