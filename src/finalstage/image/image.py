"""``Image(core)``: everything derived from a source core, computed once (ggcr's extenders).

Analysis only ever sees ``Image``; it never knows which source the bytes came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from finalstage.errors import CorruptImageError
from finalstage.fs.tarstream import DEFAULT_LIMITS, Limits, WantHook
from finalstage.image import digest as dg
from finalstage.image.config import HistoryEntry, ImageConfig, parse_config
from finalstage.image.core import ImageCore, LayerHandle
from finalstage.image.layers import LayerScan, scan_layer

if TYPE_CHECKING:
    from finalstage.fs.merge import MergedTree

Progress = Callable[[int, int, LayerHandle], None]
"""``progress(done_layers, total_layers, layer)``, called before each layer is read."""


@dataclass(frozen=True)
class LayerInfo:
    """One layer as the manifest/config describe it (before reading it)."""

    index: int
    digest: str | None
    diff_id: str | None
    media_type: str | None
    size: int | None  # stored (compressed) size when the source knows it
    history: HistoryEntry | None

    @property
    def created_by(self) -> str | None:
        return self.history.created_by if self.history else None


class Image:
    """An image, source-independent. Properties are cached; ``scan()`` streams each layer once."""

    def __init__(
        self, core: ImageCore, *, limits: Limits = DEFAULT_LIMITS, verify: bool = True
    ) -> None:
        self.core = core
        self.limits = limits
        self.verify = verify
        self._scans: list[LayerScan] | None = None

    @property
    def reference(self) -> str:
        return self.core.describe()

    @cached_property
    def raw_config(self) -> bytes:
        return self.core.raw_config()

    @cached_property
    def config(self) -> ImageConfig:
        return parse_config(self.raw_config)

    @cached_property
    def config_digest(self) -> str:
        return dg.of_bytes(self.raw_config)

    @cached_property
    def raw_manifest(self) -> bytes | None:
        return self.core.raw_manifest()

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The manifest; built from config and layers when the source has none (docker-archive)."""
        raw = self.raw_manifest
        if raw is not None:
            try:
                doc = json.loads(raw)
            except (ValueError, RecursionError) as err:
                raise CorruptImageError(f"reading {self.reference}: manifest: {err}") from err
            if not isinstance(doc, dict):
                raise CorruptImageError(f"reading {self.reference}: manifest is not an object")
            return doc
        return {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": self.config_digest,
                "size": len(self.raw_config),
            },
            "layers": [
                {
                    "mediaType": h.media_type or "application/vnd.docker.image.rootfs.diff.tar",
                    "digest": h.digest or h.diff_id,
                    "size": h.size,
                }
                for h in self.core.layers()
            ],
        }

    @cached_property
    def digest(self) -> str | None:
        """The manifest digest when the source has a real manifest; None otherwise."""
        raw = self.raw_manifest
        return dg.of_bytes(raw) if raw is not None else None

    @property
    def id(self) -> str:
        """The image ID (config digest), what ``docker images`` shows."""
        return self.config_digest

    @cached_property
    def platform(self) -> str | None:
        c = self.config
        if not c.os and not c.architecture:
            return None
        return "/".join(p for p in (c.os, c.architecture, c.variant) if p)

    @property
    def created(self) -> str | None:
        return self.config.created

    @cached_property
    def layers(self) -> tuple[LayerInfo, ...]:
        handles = self.core.layers()
        hist = self.history_by_layer(len(handles))
        return tuple(
            LayerInfo(i, h.digest, h.diff_id, h.media_type, h.size, hist[i])
            for i, h in enumerate(handles)
        )

    def history_by_layer(self, n: int) -> list[HistoryEntry | None]:
        """History entries that created each of ``n`` layers; None where unknowable."""
        non_empty = self.config.layer_history()
        if len(non_empty) == n:
            return list(non_empty)
        if len(non_empty) > n:  # extra entries at the start (squashed bases): align the ends
            return list(non_empty[len(non_empty) - n :])
        return [None] * (n - len(non_empty)) + list(non_empty)

    def history_for(self, layer: int) -> HistoryEntry | None:
        return self.layers[layer].history

    def scan(
        self, *, want: WantHook | None = None, progress: Progress | None = None
    ) -> Sequence[LayerScan]:
        """Read every layer once (verifying digests). Cached when no ``want`` hook is given."""
        if want is None and self._scans is not None:
            return self._scans
        handles = self.core.layers()
        out: list[LayerScan] = []
        for i, h in enumerate(handles):
            if progress is not None:
                progress(i, len(handles), h)
            out.append(scan_layer(h, i, want=want, limits=self.limits, verify=self.verify))
        if progress is not None and handles:
            progress(len(handles), len(handles), handles[-1])
        self._scans = out
        return out

    def tree(self, *, progress: Progress | None = None) -> MergedTree:
        """The merged filesystem (whiteouts and opaque dirs applied)."""
        if self._tree is None:
            from finalstage.fs.merge import merge

            self._tree = merge(self.scan(progress=progress))
        return self._tree

    _tree: MergedTree | None = None
