"""The one small interface every image source implements (go-containerregistry's ``partial``).

A source (archive, OCI layout, registry, daemon, containers-storage) only has to say what it
already knows: the raw config, the raw manifest if it has one, and an ordered list of layer
handles that open as byte streams. ``finalstage.image.image.Image`` derives everything else once,
for every source: decompression sniffing, digest and diff_id verification, sizes, the layer
listings (and from those ``finalstage.fs.merge.merged_tree`` the merged tree).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable


@dataclass(frozen=True)
class LayerHandle:
    """What a source knows about one layer, plus a thunk that (re)opens its bytes.

    ``digest`` is the blob digest (of the bytes ``open`` returns) when the source knows it;
    ``diff_id`` the digest of the uncompressed tar. Either may be None; what is known is verified.
    ``open`` returns the stored bytes (possibly compressed); it may be called more than once.
    ``is_remote`` says that opening costs a download (a registry blob): nothing but the scan
    itself opens such a layer, and only its digests identify it (never a file fingerprint).
    """

    media_type: str | None
    digest: str | None
    diff_id: str | None
    size: int | None
    open: Callable[[], BinaryIO]
    is_remote: bool = False


@runtime_checkable
class ImageCore(Protocol):
    """The minimal core of an image source. Layers are oldest (base) first."""

    def raw_config(self) -> bytes: ...

    def raw_manifest(self) -> bytes | None: ...

    def layers(self) -> Sequence[LayerHandle]: ...

    def describe(self) -> str:
        """The reference, as the user should see it (``oci:/tmp/x:latest``)."""
        ...
