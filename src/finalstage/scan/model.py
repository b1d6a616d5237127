"""The values of a fleet scan: what each layer and image holds, and the ranked fleet report.

Fleet-level state is made of these small values only — a ``LayerSummary`` per unique layer, an
``ImageMeta`` and an ``ImageVerdict`` per image — never of file trees. Every value converts to
and from plain JSON (``to_json``/``from_json``), which is how the store keeps them and how
workers (a process pool or Ray) hand them back. Sizes are int bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What a fix removes, in report order: the content rules' categories, then waste.
KINDS = ("compiler", "build-tool", "dev-dependency", "cache", "docs", "tests", "waste")
KIND_LABELS = {
    "compiler": "compilers and toolchains", "build-tool": "build tools",
    "dev-dependency": "development dependencies", "cache": "caches",
    "docs": "documentation", "tests": "tests", "waste": "waste (deleted or overwritten later)",
}
KIND_HINTS = {
    "compiler": "build in a separate stage; run on a runtime base (distroless, -slim, a JRE)",
    "build-tool": "run the build in an earlier stage and copy only its output",
    "dev-dependency": "install production dependencies only (npm ci --omit=dev, no dev "
                      "requirements)",
    "cache": "clean the cache in the RUN that fills it, or use a cache mount",
    "docs": "drop docs, man pages and locales in the RUN that installs packages",
    "tests": "copy only what runs; list tests in .dockerignore",
    "waste": "delete temporary files in the RUN that creates them",
}


@dataclass(frozen=True)
class KindBytes:
    """Removable bytes of one kind in one layer (or one waste item), with its largest paths."""

    kind: str
    bytes: int
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerSummary:
    """One layer, read once: its sizes and what the content rules would remove from it."""

    key: str                       # diff_id, or the blob digest when no diff_id is known
    size: int                      # uncompressed tar bytes
    compressed_size: int
    files: int
    kinds: tuple[KindBytes, ...] = ()

    @property
    def removable(self) -> int:
        return sum(k.bytes for k in self.kinds)


@dataclass(frozen=True)
class LayerRef:
    """A layer as one image's manifest and config describe it."""

    key: str
    digest: str | None
    diff_id: str | None
    size: int | None               # stored (compressed) size from the manifest
    created_by: str | None


@dataclass(frozen=True)
class ImageMeta:
    """An image as its manifest and config describe it: all a warm rerun reads."""

    ref: str
    config_digest: str
    layers: tuple[LayerRef, ...]
    created: str | None = None

    @property
    def chain(self) -> tuple[str, ...]:
        """The layer keys, oldest first (images that share a prefix share those layers)."""
        return tuple(layer.key for layer in self.layers)

    @property
    def blobs(self) -> tuple[str, ...]:
        """The layers as stored (key and blob digest): the same content stored compressed and
        uncompressed (an OCI layout and a docker-archive) has one chain but two blob lists."""
        return tuple(f"{layer.key} {layer.digest}" for layer in self.layers)


@dataclass(frozen=True)
class WasteItem:
    """Bytes layer ``layer`` adds that layer ``hidden_by`` (later) deletes or overwrites."""

    layer: int
    hidden_by: int
    bytes: int
    files: int
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageVerdict:
    """One image judged whole: the ``check`` verdict under the policy, and its waste."""

    size: int
    compressed_size: int
    findings: int
    verdict: str                   # "pass" | "warn" | "fail"
    waste: tuple[WasteItem, ...] = ()


@dataclass(frozen=True)
class Fix:
    """One fix: a layer to slim (or a waste to avoid), the images it reaches, what it saves.

    ``bytes`` is removed once from the registry; ``saving`` is what every image that uses the
    layer stops shipping (``bytes`` × images): the rank."""

    layer: str                     # layer key (diff_id)
    kind: str                      # "content" (the layer's own removable bytes) or "waste"
    bytes: int
    saving: int
    images: tuple[str, ...]
    kinds: tuple[KindBytes, ...]
    created_by: str | None         # the Dockerfile line, as history recorded it
    position: int                  # the layer's index in its images (0 = base)
    hidden_by: str | None = None   # waste: the later layer's created_by


@dataclass(frozen=True)
class ImageRow:
    """One line of the per-image table."""

    ref: str
    size: int | None = None
    compressed_size: int | None = None
    layers: int = 0
    removable: int | None = None
    findings: int | None = None
    verdict: str | None = None     # pass | warn | fail; None when the image failed to scan
    error: str | None = None


@dataclass(frozen=True)
class ScanError:
    """An image that could not be scanned (auth, not found, corrupt blob): listed, not fatal."""

    ref: str
    message: str


@dataclass(frozen=True)
class Totals:
    """The fleet's size: unique bytes (shared layers once) versus bytes without sharing."""

    images: int
    unique_layers: int
    layer_uses: int
    unique_bytes: int
    unshared_bytes: int
    unique_compressed: int
    unshared_compressed: int
    removable: int                 # all kinds, shared layers once


@dataclass(frozen=True)
class ScanStats:
    """How the work went: what was read and what came from the store."""

    layers_read: int = 0
    layers_cached: int = 0
    bytes_read: int = 0
    images_judged: int = 0
    images_cached: int = 0


@dataclass(frozen=True)
class FleetReport:
    """The ``scan`` command's payload (``Report.detail``)."""

    source: str
    totals: Totals
    removable: tuple[KindBytes, ...]          # per kind, shared layers once
    fixes: tuple[Fix, ...]                    # ranked, at most ``top``
    images: tuple[ImageRow, ...]
    errors: tuple[ScanError, ...] = ()
    stats: ScanStats = field(default_factory=ScanStats)
    policy: str | None = None
    backend: str = "process"
    is_failed: bool = False                   # --fail-on-error and an image failed to scan


# -- JSON for the store and the workers ----------------------------------------------------------

def kinds_json(kinds: tuple[KindBytes, ...]) -> list[dict[str, Any]]:
    return [{"kind": k.kind, "bytes": k.bytes, "paths": list(k.paths)} for k in kinds]


def kinds_from(doc: list[dict[str, Any]]) -> tuple[KindBytes, ...]:
    return tuple(KindBytes(d["kind"], int(d["bytes"]), tuple(d["paths"])) for d in doc)


def summary_json(s: LayerSummary) -> dict[str, Any]:
    return {"key": s.key, "size": s.size, "compressed_size": s.compressed_size,
            "files": s.files, "kinds": kinds_json(s.kinds)}


def summary_from(doc: dict[str, Any]) -> LayerSummary:
    return LayerSummary(doc["key"], int(doc["size"]), int(doc["compressed_size"]),
                        int(doc["files"]), kinds_from(doc["kinds"]))


def verdict_json(v: ImageVerdict) -> dict[str, Any]:
    return {"size": v.size, "compressed_size": v.compressed_size, "findings": v.findings,
            "verdict": v.verdict,
            "waste": [{"layer": w.layer, "hidden_by": w.hidden_by, "bytes": w.bytes,
                       "files": w.files, "paths": list(w.paths)} for w in v.waste]}


def verdict_from(doc: dict[str, Any]) -> ImageVerdict:
    return ImageVerdict(
        int(doc["size"]), int(doc["compressed_size"]), int(doc["findings"]), str(doc["verdict"]),
        tuple(WasteItem(int(w["layer"]), int(w["hidden_by"]), int(w["bytes"]), int(w["files"]),
                        tuple(w["paths"])) for w in doc["waste"]))


def meta_json(m: ImageMeta) -> dict[str, Any]:
    return {"ref": m.ref, "config_digest": m.config_digest, "created": m.created,
            "layers": [{"key": x.key, "digest": x.digest, "diff_id": x.diff_id, "size": x.size,
                        "created_by": x.created_by} for x in m.layers]}


def meta_from(doc: dict[str, Any]) -> ImageMeta:
    return ImageMeta(doc["ref"], doc["config_digest"],
                     tuple(LayerRef(x["key"], x["digest"], x["diff_id"], x["size"],
                                    x["created_by"]) for x in doc["layers"]),
                     doc.get("created"))


__all__ = [
    "KINDS", "KIND_HINTS", "KIND_LABELS", "Fix", "FleetReport", "ImageMeta", "ImageRow",
    "ImageVerdict", "KindBytes", "LayerRef", "LayerSummary", "ScanError", "ScanStats", "Totals",
    "WasteItem",
]
