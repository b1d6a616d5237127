"""A core read from a private copy on disk, which it deletes when closed.

The Docker Engine API and containers-storage both hand finalstage an image it can only read in
order (a `docker save` stream) or through another tool (skopeo): the source copies it once into a
temporary directory and reads it with the archive or layout reader. This wrapper keeps the
reference the user typed and owns the temporary directory. ``manifest``, when given, is the
manifest the origin keeps (containers-storage's), whose digest is the image's: the copy's own
manifest may name its layers differently (uncompressed) and is not returned.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence

from finalstage.image.core import ImageCore, LayerHandle


class SpooledCore:
    """An ImageCore over ``inner``, described as ``description``, owning ``tmp``."""

    def __init__(
        self,
        description: str,
        inner: ImageCore,
        tmp: tempfile.TemporaryDirectory[str],
        *,
        manifest: bytes | None = None,
    ) -> None:
        self._description = description
        self._inner = inner
        self._tmp = tmp
        self._manifest = manifest

    def raw_config(self) -> bytes:
        return self._inner.raw_config()

    def raw_manifest(self) -> bytes | None:
        return self._manifest if self._manifest is not None else self._inner.raw_manifest()

    def layers(self) -> Sequence[LayerHandle]:
        return self._inner.layers()

    def describe(self) -> str:
        return self._description

    @property
    def spool_dir(self) -> str:
        """Where the private copy lives until ``close``."""
        return self._tmp.name

    def close(self) -> None:
        """Delete the private copy."""
        self._tmp.cleanup()


_: type[ImageCore] = SpooledCore
