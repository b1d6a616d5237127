"""The verified-once record: a local layer file whose digests were checked is not hashed again.

Verifying a layer means hashing every byte of it, which on a few-layer image costs more than
listing it. So once a layer stored in a local file (a docker-archive member, an OCI blob) has
been hashed and matched its digests, a record says so, keyed on the file's identity: device,
inode, size, mtime and ctime (``layers.fingerprint``), the layer's offset in the file and the
digests it was checked against. The next read of that very file lists the layer without hashing
it, as ``--no-verify`` does, and is still a verified read. Any write to the file changes its
mtime or ctime, and a file swapped for another has another inode: either way the record no
longer matches, and the layer is hashed again. ``reverify`` (``--reverify``) ignores the
records and hashes every layer, then records again.

A remote layer (a registry blob) has no file identity: its digests identify it, and the layer
index cache, keyed by them, is what spares its download and hashing.

The records are small entries of a blob store (``ScanCache.get_blob``/``put_blob``, the layer
cache directory); a store that fails is a missing record, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from finalstage.image.core import LayerHandle
from finalstage.image.layers import fingerprint


class BlobStore(Protocol):
    """Where the records live (``fs.cache.LayerCache`` is one)."""

    def key(self, diff_id: str | None, digest: str | None, tag: str = "") -> str | None: ...

    def get_blob(self, key: str) -> bytes | None: ...

    def put_blob(self, key: str, payload: bytes) -> None: ...


class ReadOnly:
    """The records of ``store``, read but never written: ``--no-cache`` writes nothing."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    def key(self, diff_id: str | None, digest: str | None, tag: str = "") -> str | None:
        return self.store.key(diff_id, digest, tag)

    def get_blob(self, key: str) -> bytes | None:
        return self.store.get_blob(key)

    def put_blob(self, key: str, payload: bytes) -> None:
        pass


def record_keys(store: BlobStore | None, handles: Sequence[LayerHandle]) -> list[str | None]:
    """Each layer's record key: None for a layer not in a local file, with no digest, or when
    there is no store."""
    keys: list[str | None] = [None] * len(handles)
    if store is None:
        return keys
    for i, h in enumerate(handles):
        fp = fingerprint(h)
        if fp is not None:
            keys[i] = store.key(h.diff_id, h.digest, f"verified:{fp}")
    return keys


def held(store: BlobStore | None, keys: Sequence[str | None], *, trust: bool) -> list[bool]:
    """Which layers have a record (all False when ``trust`` is off: ``--reverify``)."""
    if store is None or not trust:
        return [False] * len(keys)
    return [key is not None and store.get_blob(key) is not None for key in keys]


def record(store: BlobStore | None, key: str | None) -> None:
    """Record that the file behind ``key`` matched its digests (called once they were checked)."""
    if store is not None and key is not None:
        store.put_blob(key, b"")
