"""docker-archive sources: ``docker save`` output and its many cousins.

Handled: Docker ≤24 (``manifest.json`` + ``repositories`` + ``<id>/layer.tar``), kaniko (gzip
``<hex>.tar.gz`` layers, no v1 dirs), Jib (lower-case ``config``/``repoTags``/``layers`` keys,
which Docker accepts because Go's JSON decoding ignores case), Docker 25+ OCI hybrid (layers in
``blobs/sha256/…``, ``LayerSources``), multi-image archives (pick by tag or ``@N``), symlinked
``layer.tar`` (followed inside the archive with a cycle check), legacy pre-1.10 archives with
only ``repositories`` (v1 parent chain), and gzip/xz/zstd-wrapped archives (see tarindex).
The archive is indexed once; layers are streamed by ``pread`` out of it. Its JSON members are
bounded by the run's ``Limits``: ``manifest.json`` and ``repositories`` (lists of images, like an
OCI ``index.json``) by ``max_index_bytes``, configs and v1 ``<id>/json`` by ``max_config_bytes``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from typing import Any

from finalstage.errors import (
    CorruptImageError,
    DigestMismatchError,
    ImageNotFoundError,
    InvalidReferenceError,
    UnsafeArchiveError,
)
from finalstage.escape import names
from finalstage.image import digest as dg
from finalstage.image.config import parse_config
from finalstage.image.core import ImageCore, LayerHandle
from finalstage.image.tarindex import TarIndex
from finalstage.limits import DEFAULT_LIMITS, Limits

_BLOB_PATH = re.compile(r"^blobs/(sha256|sha512)/([0-9a-f]{64,128})$")


def _get(entry: dict[str, Any], key: str) -> Any:
    """Case-insensitive key lookup (Jib writes ``config``, Docker ``Config``)."""
    if key in entry:
        return entry[key]
    low = key.lower()
    for k, v in entry.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def _member_path(index: TarIndex, value: Any, what: str) -> str:
    """A path from manifest.json, refused when it leaves the archive."""
    if not isinstance(value, str) or not value:
        raise CorruptImageError(f"{index.context}: manifest.json {what} is not a path")
    if value.startswith(("/", "\\")):
        raise UnsafeArchiveError(
            f"{index.context}: manifest.json {what} {value!r} points outside the archive"
        )
    parts: list[str] = []
    for part in value.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise UnsafeArchiveError(
                    f"{index.context}: manifest.json {what} {value!r} points outside the archive"
                )
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _norm_tag(tag: str) -> str:
    t = tag.removeprefix("docker.io/").removeprefix("library/")
    if ":" not in t.rsplit("/", 1)[-1] and "@" not in t:
        t += ":latest"
    return t


class ArchiveCore:
    """ImageCore over one image of a docker-archive."""

    def __init__(
        self,
        index: TarIndex,
        *,
        config_path: str,
        layer_paths: Sequence[str],
        layer_digests: Sequence[str | None],
        layer_media_types: Sequence[str | None],
        tag: str | None,
        verify_config: bool = True,
    ) -> None:
        self.index = index
        self.config_path = config_path
        self.layer_paths = list(layer_paths)
        self.tag = tag
        raw = index.read(config_path, limit_field="max_config_bytes")
        # Only a blobs/<algo>/<hex> path is a content address; `<hex>.json` names are the image
        # ID by convention but `docker load` never checks them (and real fixtures differ).
        m = _BLOB_PATH.match(config_path)
        if verify_config and m:
            algo, hexpart = m.group(1), m.group(2)
            actual = dg.of_bytes(raw, algo)
            if actual != f"{algo}:{hexpart}":
                raise DigestMismatchError(
                    f"{index.context}: config {config_path}", f"{algo}:{hexpart}", actual
                )
        self._raw_config = raw
        cfg = parse_config(raw)
        diff_ids = cfg.diff_ids
        if diff_ids is not None and len(diff_ids) != len(self.layer_paths):
            raise CorruptImageError(
                f"{index.context}: manifest lists {len(self.layer_paths)} layers"
                f" but the config has {len(diff_ids)} diff_ids"
            )
        handles: list[LayerHandle] = []
        for i, path in enumerate(self.layer_paths):
            member = index.resolve(path)
            if member is None:
                raise CorruptImageError(f"{index.context}: missing layer {path!r}")
            diff_id = diff_ids[i] if diff_ids is not None else None
            blob = layer_digests[i]
            handles.append(
                LayerHandle(
                    media_type=layer_media_types[i],
                    digest=blob,
                    diff_id=diff_id,
                    size=member.size,
                    open=functools.partial(index.open, path),
                )
            )
        self._layers = tuple(handles)

    def raw_config(self) -> bytes:
        return self._raw_config

    def raw_manifest(self) -> bytes | None:
        return None

    def layers(self) -> Sequence[LayerHandle]:
        return self._layers

    def describe(self) -> str:
        suffix = f":{self.tag}" if self.tag else ""
        return f"docker-archive:{self.index.path}{suffix}"


def _load_json(index: TarIndex, name: str, limit_field: str) -> Any:
    raw = index.read(name, limit_field=limit_field)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise CorruptImageError(f"{index.context}: {name}: invalid json: {err}") from err


def open_core(
    path: str,
    tag: str | None = None,
    *,
    index: TarIndex | None = None,
    limits: Limits | None = None,
) -> ArchiveCore:
    """Open one image of a docker-archive; ``tag`` is a RepoTag or ``@N`` (0-based).

    ``limits`` bound the outer tar and its JSON members (an ``index`` given keeps its own)."""
    index = index or TarIndex(path, limits=limits or DEFAULT_LIMITS)
    if index.has("manifest.json"):
        return _from_manifest(index, tag)
    if index.has("repositories"):
        return _from_legacy(index, tag)
    if index.has("index.json") and index.has("oci-layout"):
        raise InvalidReferenceError(
            f"{index.context}: this is an OCI layout archive; use oci-archive:{path}"
        )
    raise CorruptImageError(
        f"{index.context}: not an image archive (no manifest.json, repositories or index.json)"
    )


def _from_manifest(index: TarIndex, tag: str | None) -> ArchiveCore:
    # manifest.json lists images, like an OCI index.json: the index bound applies.
    doc = _load_json(index, "manifest.json", "max_index_bytes")
    if not isinstance(doc, list) or not all(isinstance(e, dict) for e in doc):
        raise CorruptImageError(f"{index.context}: manifest.json is not a list of images")
    if not doc:
        raise ImageNotFoundError(f"{index.context}: manifest.json lists no images")
    tags_of = []
    for e in doc:
        tags = _get(e, "RepoTags") or []
        if not isinstance(tags, list):
            raise CorruptImageError(f"{index.context}: manifest.json RepoTags is not a list")
        tags_of.append([str(t) for t in tags])
    chosen, chosen_tag = _choose_image(index, tags_of, tag)
    entry = doc[chosen]
    config_path = _member_path(index, _get(entry, "Config"), "Config")
    layers = _get(entry, "Layers")
    if layers is None:
        layers = []
    if not isinstance(layers, list):
        raise CorruptImageError(f"{index.context}: manifest.json Layers is not a list")
    layer_paths = [_member_path(index, p, "layer") for p in layers]
    sources = _get(entry, "LayerSources") or {}
    digests: list[str | None] = []
    media: list[str | None] = []
    for p in layer_paths:
        m = _BLOB_PATH.match(p)
        d = f"{m.group(1)}:{m.group(2)}" if m else None
        digests.append(d)
        src = sources.get(d) if isinstance(sources, dict) and d else None
        media.append(src.get("mediaType") if isinstance(src, dict) else None)
    return ArchiveCore(
        index,
        config_path=config_path,
        layer_paths=layer_paths,
        layer_digests=digests,
        layer_media_types=media,
        tag=chosen_tag,
    )


def _choose_image(
    index: TarIndex, tags_of: list[list[str]], tag: str | None
) -> tuple[int, str | None]:
    """Which image of ``manifest.json`` (given each one's tags) ``tag`` names: ``@N`` by
    position, a tag, or nothing when the archive holds one image; and the tag to show."""
    if tag is not None and tag.startswith("@"):
        try:
            chosen = int(tag[1:])
        except ValueError:
            raise InvalidReferenceError(f"{index.context}: invalid image index {tag!r}") from None
        if not 0 <= chosen < len(tags_of):
            raise ImageNotFoundError(
                f"{index.context}: no image {tag}; the archive holds {len(tags_of)}"
            )
        return chosen, None
    if tag is not None:
        want = _norm_tag(tag)
        hits = [i for i, tags in enumerate(tags_of) if any(_norm_tag(t) == want for t in tags)]
        if not hits:
            have = names(t for tags in tags_of for t in tags) or "none"
            raise ImageNotFoundError(f"{index.context}: tag {tag!r} not found; available: {have}")
        return hits[0], tag
    if len(tags_of) == 1:
        return 0, tags_of[0][0] if tags_of[0] else None
    have = ", ".join(names(tags) if tags else f"@{i}" for i, tags in enumerate(tags_of))
    raise InvalidReferenceError(
        f"{index.context}: archive holds {len(tags_of)} images; pick one with"
        f" docker-archive:PATH:TAG (available: {have})"
    )


def _from_legacy(index: TarIndex, tag: str | None) -> ArchiveCore:
    """Pre-1.10 ``docker save``: ``repositories`` → top layer id → v1 ``json`` parent chain."""
    repos = _load_json(index, "repositories", "max_index_bytes")
    if not isinstance(repos, dict):
        raise CorruptImageError(f"{index.context}: repositories is not an object")
    refs: dict[str, str] = {}
    for repo, tags in repos.items():
        if isinstance(tags, dict):
            for t, ident in tags.items():
                refs[f"{repo}:{t}"] = str(ident)
    if not refs:
        raise ImageNotFoundError(f"{index.context}: repositories lists no images")
    if tag is None:
        if len(set(refs.values())) > 1:
            raise InvalidReferenceError(
                f"{index.context}: archive holds several images; pick one with"
                f" docker-archive:PATH:TAG (available: {names(sorted(refs))})"
            )
        chosen_tag, top = next(iter(refs.items()))
    else:
        want = _norm_tag(tag)
        hits = [(t, i) for t, i in refs.items() if _norm_tag(t) == want]
        if not hits:
            raise ImageNotFoundError(
                f"{index.context}: tag {tag!r} not found; available: {names(sorted(refs))}"
            )
        chosen_tag, top = hits[0]
    chain: list[str] = []
    seen: set[str] = set()
    layer_id: str | None = top
    while layer_id:
        if layer_id in seen:
            raise CorruptImageError(f"{index.context}: parent cycle at layer {layer_id[:12]}")
        seen.add(layer_id)
        _member_path(index, f"{layer_id}/json", "layer id")
        chain.append(layer_id)
        meta = _load_json(index, f"{layer_id}/json", "max_config_bytes")
        if not isinstance(meta, dict):
            raise CorruptImageError(f"{index.context}: {layer_id}/json is not an object")
        parent = meta.get("parent")
        layer_id = str(parent) if parent else None
    chain.reverse()
    return ArchiveCore(
        index,
        config_path=f"{top}/json",
        layer_paths=[f"{i}/layer.tar" for i in chain],
        layer_digests=[None] * len(chain),
        layer_media_types=[None] * len(chain),
        tag=chosen_tag,
        verify_config=False,
    )


_: type[ImageCore] = ArchiveCore  # static conformance (ggcr's `var _ partial.ImageCore = …`)
