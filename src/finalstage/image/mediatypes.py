"""Media types of manifests, configs and layers (Docker v2 and OCI), and what they mean."""

from __future__ import annotations

from enum import StrEnum


class MediaType(StrEnum):
    OCI_INDEX = "application/vnd.oci.image.index.v1+json"
    OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
    OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
    OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
    OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
    OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
    OCI_LAYER_ND = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    OCI_LAYER_ND_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    OCI_LAYER_ND_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
    DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
    DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
    DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
    DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    # uncompressed, as containers/image (buildah --format docker, podman storage) writes it
    DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
    DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd"


INDEX_TYPES = frozenset({MediaType.OCI_INDEX, MediaType.DOCKER_LIST})
MANIFEST_TYPES = frozenset({MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST})
CONFIG_TYPES = frozenset({MediaType.OCI_CONFIG, MediaType.DOCKER_CONFIG})
LAYER_TYPES = frozenset(
    {
        MediaType.OCI_LAYER,
        MediaType.OCI_LAYER_GZIP,
        MediaType.OCI_LAYER_ZSTD,
        MediaType.OCI_LAYER_ND,
        MediaType.OCI_LAYER_ND_GZIP,
        MediaType.OCI_LAYER_ND_ZSTD,
        MediaType.DOCKER_LAYER,
        MediaType.DOCKER_LAYER_TAR,
        MediaType.DOCKER_FOREIGN,
        MediaType.DOCKER_LAYER_ZSTD,
    }
)


# Media types come from untrusted JSON: a list or object there must read as "not this type",
# not raise TypeError (unhashable) from the set lookup.
def is_index(media_type: object) -> bool:
    return isinstance(media_type, str) and media_type in INDEX_TYPES


def is_manifest(media_type: object) -> bool:
    return isinstance(media_type, str) and media_type in MANIFEST_TYPES


def is_image_config(media_type: object) -> bool:
    return isinstance(media_type, str) and media_type in CONFIG_TYPES


def is_layer(media_type: object) -> bool:
    """A filesystem layer we can read; None (docker-archive: unknown) is accepted too."""
    return media_type is None or (isinstance(media_type, str) and media_type in LAYER_TYPES)
