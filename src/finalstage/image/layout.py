"""OCI image layout sources: ``oci:DIR[:REF]`` and ``oci-archive:PATH[:REF]`` (same code).

The layout is read through a small blob store (a directory, or the one-time index of a tar),
so the oci-archive source is this module over ``TarIndex``. Resolution follows the spec:
``index.json`` → (``:REF`` via the ``org.opencontainers.image.ref.name`` annotation) →
nested indexes / Docker manifest lists (``--platform``, default linux/amd64) → manifest →
config + layers. Manifest and config blobs are verified when read; layers while streamed.
Artifacts that are not images (Helm charts, signatures, referrers, SBOMs) are refused with
``UnsupportedMediaTypeError`` instead of being mistaken for an empty image.

Bounds come from the run's ``Limits``: ``index.json`` and nested indexes by ``max_index_bytes``,
manifests by ``max_manifest_bytes``, configs by ``max_config_bytes``, and at most
``max_index_depth`` indexes are followed below ``index.json`` (loops are refused at once).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from finalstage.errors import (
    CorruptImageError,
    DigestMismatchError,
    ImageNotFoundError,
    InvalidReferenceError,
    UnsupportedMediaTypeError,
)
from finalstage.escape import names
from finalstage.image import digest as dg
from finalstage.image import mediatypes as mt
from finalstage.image.config import parse_config
from finalstage.image.core import ImageCore, LayerHandle
from finalstage.image.layoutstore import (
    BlobStore,
    DirStore,
    DirTransportStore,
    TarStore,
    store_limits,
)
from finalstage.image.platform import select_manifest
from finalstage.image.tarindex import TarIndex
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint

REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"


def _json(store: BlobStore, data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as err:
        raise CorruptImageError(f"reading {store.where}: {what}: invalid json: {err}") from err


def _too_big(store: BlobStore, what: str, d: str, fields: tuple[str, ...]) -> CorruptImageError:
    limit = max(getattr(store_limits(store), f) for f in fields)
    return CorruptImageError(
        f"reading {store.where}: {what} {dg.short(d)} is larger than {limit} bytes"
        f" ({limit_hint(*fields)})"
    )


def _read_blob(
    store: BlobStore, desc: Mapping[str, Any], what: str, fields: tuple[str, ...]
) -> bytes:
    """A small JSON blob, verified; at most the largest of the ``fields`` limits (a blob whose
    kind is not known yet may be either of two kinds)."""
    d = desc.get("digest")
    if not isinstance(d, str):
        raise CorruptImageError(f"reading {store.where}: {what} descriptor has no digest")
    limit = max(getattr(store_limits(store), f) for f in fields)
    size = desc.get("size")
    if isinstance(size, int) and size > limit:
        raise _too_big(store, what, d, fields)
    with store.open_blob(d) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise _too_big(store, what, d, fields)
    algo, _ = dg.parse(d, f"reading {store.where}")
    actual = dg.of_bytes(data, algo)
    if actual != d:
        raise DigestMismatchError(f"reading {store.where}: {what}", d, actual)
    if isinstance(size, int) and size != len(data):
        raise CorruptImageError(
            f"reading {store.where}: {what} {dg.short(d)}: size {len(data)}, descriptor says {size}"
        )
    return data


def _descriptors(store: BlobStore, doc: Any, what: str) -> list[Mapping[str, Any]]:
    if not isinstance(doc, dict):
        raise CorruptImageError(f"reading {store.where}: {what} is not a json object")
    manifests = doc.get("manifests")
    if manifests is None:
        return []
    if not isinstance(manifests, list) or not all(isinstance(m, dict) for m in manifests):
        raise CorruptImageError(f"reading {store.where}: {what} manifests is not a list")
    return manifests


def _ref_of(desc: Mapping[str, Any]) -> str | None:
    ann = desc.get("annotations")
    if isinstance(ann, dict):
        ref = ann.get(REF_NAME)
        return str(ref) if ref is not None else None
    return None


def _pick_top(
    store: BlobStore, descs: list[Mapping[str, Any]], ref: str | None, platform: str | None
) -> Mapping[str, Any]:
    if not descs:
        raise ImageNotFoundError(f"reading {store.where}: index.json lists no images")
    refs = [r for r in (_ref_of(d) for d in descs) if r]
    if ref is not None:
        hits = [
            d
            for d in descs
            if _ref_of(d) == ref
            or (
                isinstance(d.get("annotations"), dict)
                and d["annotations"].get(CONTAINERD_NAME) == ref
            )
        ]
        if not hits:
            have = names(sorted(set(refs))) or "none"
            raise ImageNotFoundError(
                f"reading {store.where}: no image named {ref!r}; available: {have}"
            )
        if len({str(h.get("digest")) for h in hits}) > 1:
            raise InvalidReferenceError(
                f"reading {store.where}: {len(hits)} different images are named {ref!r}"
            )
        return hits[0]
    if len({str(d.get("digest")) for d in descs}) == 1:
        return descs[0]
    # Several entries and no name: a flat multi-platform index selects by platform (this is
    # how `skopeo copy --all` and containerd exports look); otherwise the user must choose.
    if all(isinstance(d.get("platform"), dict) for d in descs) and not refs:
        return select_manifest(descs, platform, f"reading {store.where}")
    have = names(sorted(set(refs))) or f"{len(descs)} unnamed entries"
    raise InvalidReferenceError(
        f"reading {store.where}: index.json lists {len(descs)} images; pick one with"
        f" oci:PATH:REF (available: {have})"
    )


def _media_type(desc: Mapping[str, Any], doc: Any | None = None) -> str | None:
    mt_ = desc.get("mediaType")
    if not mt_ and isinstance(doc, dict):
        mt_ = doc.get("mediaType")
    return str(mt_) if mt_ else None


class LayoutCore:
    """ImageCore over one image manifest of an OCI layout."""

    def __init__(
        self,
        store: BlobStore,
        manifest_desc: Mapping[str, Any],
        raw_manifest: bytes,
        manifest: dict[str, Any],
        label: str,
    ) -> None:
        self.store = store
        self.label = label
        self.manifest_desc = manifest_desc
        self._raw_manifest = raw_manifest
        where = f"reading {store.where}"
        cfg = manifest.get("config")
        if not isinstance(cfg, dict):
            raise CorruptImageError(f"{where}: manifest has no config descriptor")
        cfg_type = cfg.get("mediaType")
        artifact = manifest.get("artifactType")
        if not mt.is_image_config(cfg_type):
            what = artifact or cfg_type or "unknown"
            name = f"image {label.rsplit(':', 1)[-1]!r}" if label != store.where else "the image"
            raise UnsupportedMediaTypeError(
                f"{where}: {name} is an artifact ({what}), not a container image"
            )
        self._raw_config = _read_blob(store, cfg, "config", ("max_config_bytes",))
        layers = manifest.get("layers") or []
        if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
            raise CorruptImageError(f"{where}: manifest layers is not a list")
        diff_ids = parse_config(self._raw_config).diff_ids
        if diff_ids is not None and len(diff_ids) != len(layers):
            raise CorruptImageError(
                f"{where}: manifest lists {len(layers)} layers but the config has"
                f" {len(diff_ids)} diff_ids"
            )
        handles = []
        for i, layer in enumerate(layers):
            ltype = layer.get("mediaType")
            if not mt.is_layer(ltype):
                raise UnsupportedMediaTypeError(
                    f"{where}: layer {i} has unsupported media type {ltype!r}"
                )
            d = layer.get("digest")
            if not isinstance(d, str):
                raise CorruptImageError(f"{where}: layer {i} descriptor has no digest")
            dg.parse(d, where)
            if store.blob_size(d) is None:
                raise CorruptImageError(f"{where}: missing blob {d} (layer {i})")
            size = layer.get("size")
            handles.append(
                LayerHandle(
                    media_type=ltype,
                    digest=d,
                    diff_id=diff_ids[i] if diff_ids is not None else None,
                    size=size if isinstance(size, int) else None,
                    open=functools.partial(store.open_blob, d),
                )
            )
        self._layers = tuple(handles)

    def raw_config(self) -> bytes:
        return self._raw_config

    def raw_manifest(self) -> bytes | None:
        return self._raw_manifest

    def layers(self) -> Sequence[LayerHandle]:
        return self._layers

    def describe(self) -> str:
        return self.label


def open_core(
    store: BlobStore, ref: str | None = None, *, platform: str | None = None
) -> LayoutCore:
    """Resolve ``ref`` (or the only image) in ``store``'s index to one image manifest."""
    where = f"reading {store.where}"
    max_depth = store_limits(store).max_index_depth
    raw_index = store.read_file("index.json")
    if raw_index is None:
        raise ImageNotFoundError(f"{where}: no index.json (not an OCI layout)")
    index = _json(store, raw_index, "index.json")
    descs = _descriptors(store, index, "index.json")
    desc = _pick_top(store, descs, ref, platform)
    label = f"{store.where}:{ref}" if ref else store.where
    seen: set[str] = set()
    for _depth in range(max_depth + 1):  # up to max_depth indexes, then the manifest
        media = _media_type(desc)
        if media is not None and not (mt.is_index(media) or mt.is_manifest(media)):
            raise UnsupportedMediaTypeError(f"{where}: unsupported manifest media type {media!r}")
        d = str(desc.get("digest"))
        if d in seen:
            raise CorruptImageError(f"{where}: index loop at {dg.short(d)}")
        seen.add(d)
        if media is None:  # an index or a manifest: the kind is known once it is parsed
            fields: tuple[str, ...] = ("max_manifest_bytes", "max_index_bytes")
        else:
            fields = ("max_index_bytes",) if mt.is_index(media) else ("max_manifest_bytes",)
        raw = _read_blob(store, desc, "manifest", fields)
        doc = _json(store, raw, f"manifest {dg.short(d)}")
        if not isinstance(doc, dict):
            raise CorruptImageError(f"{where}: manifest {dg.short(d)} is not a json object")
        media = media or _media_type(desc, doc)
        is_index = mt.is_index(media) or (media is None and "manifests" in doc)
        field = "max_index_bytes" if is_index else "max_manifest_bytes"
        if len(raw) > getattr(store_limits(store), field):
            raise _too_big(store, "index" if is_index else "manifest", d, (field,))
        if is_index:
            children = _descriptors(store, doc, f"index {dg.short(d)}")
            if not children:
                raise ImageNotFoundError(f"{where}: index {dg.short(d)} lists no images")
            desc = select_manifest(children, platform, where)
            continue
        if mt.is_manifest(media) or (media is None and "config" in doc):
            return LayoutCore(store, desc, raw, doc, label)
        raise UnsupportedMediaTypeError(f"{where}: unsupported manifest media type {media!r}")
    raise CorruptImageError(
        f"{where}: indexes nested deeper than {max_depth} ({limit_hint('max_index_depth')})"
    )


def open_dir_core(
    path: str,
    ref: str | None = None,
    *,
    platform: str | None = None,
    shared_blobs: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> LayoutCore:
    """Open an OCI layout directory (``oci:DIR[:REF]``)."""
    if not os.path.isdir(path):
        raise ImageNotFoundError(f"reading oci:{path}: no such directory")
    return open_core(DirStore(path, shared_blobs, limits), ref, platform=platform)


def open_dir_transport_core(path: str, label: str, *, limits: Limits = DEFAULT_LIMITS
                            ) -> LayoutCore:
    """The image in a skopeo ``dir:`` copy (one manifest, no index), described as ``label``."""
    store = DirTransportStore(path, label, limits)
    where = f"reading {label}"
    raw = store.read_file("manifest.json")
    if raw is None:
        raise ImageNotFoundError(f"{where}: no manifest.json")
    if len(raw) > limits.max_manifest_bytes:
        raise _too_big(store, "manifest", dg.of_bytes(raw), ("max_manifest_bytes",))
    doc = _json(store, raw, "manifest.json")
    media = _media_type({}, doc) if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or "config" not in doc or (media and not mt.is_manifest(media)):
        raise UnsupportedMediaTypeError(f"{where}: manifest.json is not an image manifest")
    desc = {"mediaType": media, "digest": dg.of_bytes(raw), "size": len(raw)}
    return LayoutCore(store, desc, raw, doc, label)


def open_archive_core(
    path: str,
    ref: str | None = None,
    *,
    platform: str | None = None,
    index: TarIndex | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> LayoutCore:
    """Open an OCI layout archive (``oci-archive:PATH[:REF]``), indexing it unless given."""
    store = TarStore(index or TarIndex(path, limits=limits), limits)
    return open_core(store, ref, platform=platform)


_: type[ImageCore] = LayoutCore
