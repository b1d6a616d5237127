"""The registry image core: manifest (or index → platform manifest), config, layer blobs.

Like ggcr ``remote.Image``: the manifest and config are fetched once and cached; every digest
we fetch by is checked (the manifest against a pinned ``@sha256:`` or the index descriptor, the
config against the manifest's config descriptor); layer blobs stream lazily and ``Image``
checks their digests while reading. Bounds come from the transport's ``Limits``:
``max_manifest_bytes``, ``max_index_bytes`` (manifest lists), ``max_config_bytes`` and
``max_index_depth`` (indexes followed before the image manifest).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from finalstage.errors import (
    CorruptImageError,
    DigestMismatchError,
    UnsupportedMediaTypeError,
)
from finalstage.image.core import ImageCore, LayerHandle
from finalstage.image.platform import select_manifest
from finalstage.image.registry.blob import open_blob
from finalstage.image.registry.reference import Reference
from finalstage.image.registry.transport import RegistryTransport
from finalstage.limits import limit_hint

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEXES = (OCI_INDEX, DOCKER_LIST)
IMAGE_CONFIGS = (
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
)
# Schema 1 is asked for last only so that we can name it in a clear error.
ACCEPT = ", ".join([*MANIFESTS, *INDEXES, *(f"{t};q=0.5" for t in SCHEMA1)])


def _digest_of(data: bytes, algorithm: str) -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def _check_digest(what: str, data: bytes, expected: str) -> None:
    algorithm = expected.split(":", 1)[0]
    if algorithm not in ("sha256", "sha512"):
        raise CorruptImageError(f"{what}: unsupported digest algorithm {algorithm!r}")
    actual = _digest_of(data, algorithm)
    if actual != expected:
        raise DigestMismatchError(what, expected, actual)


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise CorruptImageError(f"{what}: invalid json") from err
    if not isinstance(doc, dict):
        raise CorruptImageError(f"{what}: not a json object")
    return doc


def _descriptor(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("digest"), str):
        raise CorruptImageError(f"{what}: descriptor without a digest")
    size = value.get("size")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise CorruptImageError(f"{what}: descriptor with bad size {size!r}")
    return value


class RegistryCore:
    """An image in a registry, resolved to one platform's manifest."""

    def __init__(
        self, ref: Reference, transport: RegistryTransport, *, platform: str | None = None
    ) -> None:
        self.ref = ref
        self.transport = transport
        self.platform = platform

    def describe(self) -> str:
        return f"docker://{self.ref}"

    def close(self) -> None:
        """Close the HTTP connections (open layer streams keep working until closed)."""
        self.transport.close()

    # --- manifests -------------------------------------------------------------------------

    def _fetch_manifest(self, identifier: str) -> tuple[bytes, str]:
        repo = self.ref.repository
        name = f"{self.ref.host}/{repo}" + (
            f"@{identifier}" if identifier.startswith("sha") else f":{identifier}"
        )
        what = f"fetching manifest {name}"
        with self.transport.request(
            "GET",
            f"/v2/{repo}/manifests/{identifier}",
            what=what,
            headers={"Accept": ACCEPT},
            not_found=f"manifest unknown: {name}",
        ) as response:
            media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            # The Content-Type (which the distribution spec requires) says which bound applies;
            # without one the manifest bound does. The body's own mediaType is checked later.
            field = "max_index_bytes" if media_type in INDEXES else "max_manifest_bytes"
            body = self.transport.read_body(response, what, field)
            header_digest = response.headers.get("Docker-Content-Digest", "")
        if identifier.startswith(("sha256:", "sha512:")):
            _check_digest(f"manifest {name}", body, identifier)
        elif header_digest.startswith(("sha256:", "sha512:")):
            _check_digest(f"manifest {name}", body, header_digest)
        doc_type = _json_object(body, f"manifest {name}").get("mediaType")
        if isinstance(doc_type, str) and doc_type:
            media_type = doc_type
        return body, media_type

    def _check_size(self, body: bytes, field: str, what: str) -> None:
        limit = getattr(self.transport.limits, field)
        if len(body) > limit:
            raise CorruptImageError(
                f"{what} {self.ref}: {len(body)} bytes, over {limit} ({limit_hint(field)})"
            )

    @cached_property
    def _manifest(self) -> tuple[bytes, dict[str, Any]]:
        identifier = self.ref.identifier
        max_depth = self.transport.limits.max_index_depth
        for _ in range(max_depth + 1):  # up to max_depth indexes, then the image manifest
            body, media_type = self._fetch_manifest(identifier)
            doc = _json_object(body, f"manifest {self.ref}")
            if media_type in SCHEMA1 or doc.get("schemaVersion") == 1:
                raise UnsupportedMediaTypeError(
                    f"{self.ref}: docker schema 1 manifests are not supported"
                )
            if media_type in INDEXES or (not media_type and "manifests" in doc):
                self._check_size(body, "max_index_bytes", "index")
                manifests = doc.get("manifests")
                if not isinstance(manifests, list) or not manifests:
                    raise CorruptImageError(f"index {self.ref}: no manifests")
                descriptors: Sequence[Mapping[str, Any]] = [
                    _descriptor(d, f"index {self.ref}") for d in manifests
                ]
                chosen = select_manifest(descriptors, self.platform, str(self.ref))
                identifier = str(chosen["digest"])
                continue
            if media_type in MANIFESTS or (not media_type and "config" in doc):
                self._check_size(body, "max_manifest_bytes", "manifest")
                return body, doc
            raise UnsupportedMediaTypeError(
                f"{self.ref}: unsupported manifest media type {media_type!r}"
            )
        raise CorruptImageError(
            f"{self.ref}: indexes nested more than {max_depth} deep"
            f" ({limit_hint('max_index_depth')})"
        )

    def raw_manifest(self) -> bytes:
        return self._manifest[0]

    @cached_property
    def _config_descriptor(self) -> Mapping[str, Any]:
        desc = _descriptor(self._manifest[1].get("config"), f"manifest {self.ref}: config")
        media_type = desc.get("mediaType")
        if media_type not in (None, *IMAGE_CONFIGS):
            raise UnsupportedMediaTypeError(
                f"{self.ref}: not a container image (config media type {media_type!r})"
            )
        return desc

    @cached_property
    def _config(self) -> bytes:
        desc = self._config_descriptor
        digest = str(desc["digest"])
        what = f"fetching config {digest} of {self.ref}"
        with self.transport.request(
            "GET",
            f"/v2/{self.ref.repository}/blobs/{digest}",
            what=what,
            not_found=f"blob unknown: {self.ref.host}/{self.ref.repository}@{digest}",
        ) as response:
            body = self.transport.read_body(response, what, "max_config_bytes")
        _check_digest(f"config of {self.ref}", body, digest)
        size = desc.get("size")
        if size is not None and size != len(body):
            raise CorruptImageError(f"config of {self.ref}: size {len(body)}, manifest says {size}")
        return body

    def raw_config(self) -> bytes:
        return self._config

    def layers(self) -> Sequence[LayerHandle]:
        manifest = self._manifest[1]
        raw_layers = manifest.get("layers")
        if not isinstance(raw_layers, list):
            raise CorruptImageError(f"manifest {self.ref}: 'layers' is not a list")
        descriptors = [_descriptor(d, f"manifest {self.ref}: layer") for d in raw_layers]
        diff_ids: list[Any] = []
        config = _json_object(self.raw_config(), f"config of {self.ref}")
        rootfs = config.get("rootfs")
        if isinstance(rootfs, dict) and isinstance(rootfs.get("diff_ids"), list):
            diff_ids = rootfs["diff_ids"]
        if len(diff_ids) != len(descriptors):
            diff_ids = [None] * len(descriptors)
        return [
            LayerHandle(
                media_type=desc.get("mediaType"),
                digest=str(desc["digest"]),
                diff_id=diff_id if isinstance(diff_id, str) else None,
                size=desc.get("size"),
                open=self._opener(str(desc["digest"]), desc.get("size")),
                is_remote=True,
            )
            for desc, diff_id in zip(descriptors, diff_ids, strict=True)
        ]

    def _opener(self, digest: str, size: int | None) -> Any:
        return lambda: open_blob(self.transport, digest, size)


_: type[ImageCore] = RegistryCore  # static conformance check (ggcr's `var _ … = (*x)(nil)`)
