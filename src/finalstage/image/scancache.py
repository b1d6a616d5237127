"""What ``Image.scan`` needs of a layer index cache: a small protocol and the record it stores.

The cache itself (files on disk, their format, eviction) is ``finalstage.fs.cache.LayerCache``;
``Image`` only knows this face of it, so the image package imports nothing from ``fs``.
Entries are keyed by a layer's digests and a tag naming what was captured; ``*_blob`` stores
raw payloads (``Image`` keeps its file witnesses there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from finalstage.image.tarheader import RawEntry


@dataclass(frozen=True)
class CachedScan:
    """What the cache gives back for one layer: the scan minus the index in the image."""

    compression: str
    compressed_size: int
    uncompressed_size: int
    entries: list[RawEntry]
    captured: dict[str, Any]


class ScanCache(Protocol):
    """A store of verified layer scans (``LayerCache``); every failure is a miss, never an error."""

    def key(self, diff_id: str | None, digest: str | None, tag: str = "") -> str | None:
        """The entry name for a layer, or None when the layer has no digest to key on."""
        ...

    def get(self, key: str) -> CachedScan | None: ...

    def put(self, key: str, scan: CachedScan) -> None: ...

    def get_blob(self, key: str) -> bytes | None: ...

    def put_blob(self, key: str, payload: bytes) -> None: ...
