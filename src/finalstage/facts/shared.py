"""Layers two images share are read once: the second image is served the first one's verified
listing of every layer it has with the same ``diff_id``, and never opens those layers.

The ``diff_id`` is the digest of the uncompressed layer tar, so two layers with the same one
list the same entries and hold the same bytes wherever they sit: what was verified for image A
is what image B's layer contains (the content addressing registries and engines rely on to
store a layer once). Nothing of B's own copy is read, hashed or shown. ``SharedLayers`` is the
``ScanCache`` (``image.scancache``) that ``Image.scan`` of B consults; every other layer misses
and is read (or comes from ``inner``, the persistent layer cache).
"""

from __future__ import annotations

from collections.abc import Sequence

from finalstage.image.core import LayerHandle
from finalstage.image.layers import LayerScan
from finalstage.image.scancache import CachedScan, ScanCache

_OWN = "shared|"     # keys of layers served from image A's scans
_INNER = "inner|"    # keys handed to the persistent cache
_WITNESS = "witness:"


class SharedLayers:
    """A ``ScanCache`` serving image B the scans of the layers it shares with image A.

    ``scans_a``: A's verified scans made with the capture ``tag`` B will ask for; ``handles_b``:
    B's layers. ``served`` counts the layers handed out (each one a layer B did not read).
    """

    def __init__(self, scans_a: Sequence[LayerScan], handles_b: Sequence[LayerHandle],
                 tag: str, inner: ScanCache | None = None) -> None:
        by_diff_id = {s.diff_id: s for s in scans_a if s.diff_id}
        self.tag = tag
        self.inner = inner
        self.served = 0
        self._scans: dict[str, CachedScan] = {}
        for handle in handles_b:
            scan = by_diff_id.get(handle.diff_id) if handle.diff_id else None
            if scan is not None:
                self._scans[self._key(handle.diff_id, handle.digest)] = _as_cached(scan, handle)

    @property
    def shared(self) -> int:
        """How many distinct layers of B are among A's (by ``diff_id``)."""
        return len(self._scans)

    @staticmethod
    def _key(diff_id: str | None, digest: str | None) -> str:
        return f"{_OWN}{diff_id}|{digest}"

    def key(self, diff_id: str | None, digest: str | None, tag: str = "") -> str | None:
        own = self._key(diff_id, digest)
        if tag == self.tag and own in self._scans:
            return own
        if tag.startswith(_WITNESS + _OWN):
            return tag  # the witness of a shared layer: B's file is never read, nothing to witness
        if self.inner is None:
            return None
        inner = self.inner.key(diff_id, digest, tag)
        return None if inner is None else _INNER + inner

    def vouches(self, key: str) -> bool:
        """A shared layer's key: served whatever B's own file holds (B's copy is never read,
        so no verified-once record of it is needed)."""
        return key in self._scans

    def get(self, key: str) -> CachedScan | None:
        scan = self._scans.get(key)
        if scan is not None:
            self.served += 1
            return scan
        if key.startswith(_INNER) and self.inner is not None:
            return self.inner.get(key[len(_INNER):])
        return None

    def put(self, key: str, scan: CachedScan) -> None:
        if key.startswith(_INNER) and self.inner is not None:
            self.inner.put(key[len(_INNER):], scan)

    def get_blob(self, key: str) -> bytes | None:
        if key.startswith(_WITNESS + _OWN):
            return b""
        if key.startswith(_INNER) and self.inner is not None:
            return self.inner.get_blob(key[len(_INNER):])
        return None

    def put_blob(self, key: str, payload: bytes) -> None:
        if key.startswith(_INNER) and self.inner is not None:
            self.inner.put_blob(key[len(_INNER):], payload)


def _as_cached(scan: LayerScan, handle: LayerHandle) -> CachedScan:
    """A's scan as B's layer: same entries and captures; B's stored size and compression when
    B stores the layer differently (the listing is of the uncompressed tar either way)."""
    same_blob = handle.digest is not None and handle.digest == scan.digest
    size = handle.size if handle.size is not None else scan.compressed_size
    compression = scan.compression if same_blob or size == scan.compressed_size \
        else _compression(handle.media_type)
    return CachedScan(compression, size, scan.uncompressed_size, scan.entries, scan.captured)


def _compression(media_type: str | None) -> str:
    text = media_type or ""
    if "zstd" in text:
        return "zstd"
    if "gzip" in text:
        return "gzip"
    return "tar"


__all__ = ["SharedLayers"]
