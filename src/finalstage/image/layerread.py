"""Read whole tar members of one layer, with every header field, while its digests are checked.

The listing pass (``layers``) reads headers only; writing a new image from an old one needs the
members themselves: their bytes and all their metadata, PAX extended attributes included
(``SCHILY.xattr.security.capability`` is how a file capability travels in a layer). Python's
``tarfile`` reads them from the same verified ``LayerStream`` (decompression, limits, both
digests), streaming: a member's bytes are handed to ``visit`` while the layer is read, never
extracted to disk.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from typing import Any

from finalstage.errors import CorruptImageError
from finalstage.image.blobstream import LayerStream
from finalstage.image.core import LayerHandle
from finalstage.image.layers import digest_check, open_layer
from finalstage.limits import DEFAULT_LIMITS, Limits

Visit = Callable[[tarfile.TarInfo, tarfile.TarFile], None]


class _Reader(io.RawIOBase):
    """``LayerStream`` as a file object (it may hand out more bytes than asked: kept here)."""

    def __init__(self, stream: LayerStream) -> None:
        self.stream = stream
        self.rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.rest:
            self.rest = self.stream.read(len(buffer))
            if not self.rest:
                return 0
        n = min(len(buffer), len(self.rest))
        buffer[:n] = self.rest[:n]
        self.rest = self.rest[n:]
        return n


def read_layer(handle: LayerHandle, index: int, visit: Visit, *,
               limits: Limits = DEFAULT_LIMITS, verify: bool = True) -> None:
    """Call ``visit(member, tar)`` for every member of the layer, in archive order (the
    member's bytes are ``tar.extractfile(member)`` during the call), then read the layer to
    its end and check its digests. Errors name the layer."""
    raw, context = open_layer(handle, index)
    stream = LayerStream(raw, context=context, limits=limits, blob_digest=handle.digest,
                         diff_id=handle.diff_id, verify=verify)
    finish, abandon = digest_check(stream, raw, handle)
    try:
        with tarfile.open(fileobj=io.BufferedReader(_Reader(stream), 1 << 20), mode="r|",
                          errorlevel=2) as tar:
            for member in tar:
                visit(member, tar)
        stream.drain()
    except (tarfile.TarError, EOFError) as err:
        abandon()
        raw.close()
        raise CorruptImageError(f"{context}: {err}") from err
    except BaseException:
        abandon()
        raw.close()
        raise
    if stream.side is None:
        raw.close()
    finish()


__all__ = ["read_layer"]
