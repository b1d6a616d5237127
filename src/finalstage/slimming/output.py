"""Turn a plan into an image: the kept entries as one layer, the source's config, the
destination's format.

The layer is always first written as an OCI layout in the work directory (the verification
loads it into podman from there); the destination then gets a copy in its own format.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from finalstage._version import __version__
from finalstage.fs.entry import Entry
from finalstage.fs.merge import MergedTree
from finalstage.image import ocistore
from finalstage.image.image import Image
from finalstage.image.layerwrite import LayerBlob, write_layer
from finalstage.image.refs import ImageRef
from finalstage.image.tarheader import DIR
from finalstage.slimming.model import WrittenImage

LAYOUT_REF = "slim"


@dataclass(frozen=True)
class Output:
    """The written image and the OCI layout copy it was made from (for the verification)."""

    image: WrittenImage
    layout: str
    layout_ref: str


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as an int, when set to one."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else None


def kept_entries(tree: MergedTree, kept: Iterable[str]) -> list[Entry]:
    """The merged-tree entries of the kept paths, plus ``/tmp`` (mode 1777) when missing."""
    entries = [tree.entries[p] for p in kept if p in tree.entries]
    if "tmp" not in tree.entries:
        entries.append(Entry("tmp", DIR, 0o1777, 0, 0, 0, 0, None, -1, True))
    return entries


def write_image(image: Image, tree: MergedTree, kept: Iterable[str], dest: ImageRef, *,
                source_digest: str, workdir: str,
                progress: Callable[[int, int], None] | None = None) -> Output:
    """Write the kept paths of ``image`` as a new one-layer image to ``dest``."""
    epoch = source_date_epoch()
    layer = write_layer(image, kept_entries(tree, kept), workdir, epoch=epoch,
                        progress=progress)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch is not None \
        else None
    raw = image.config.raw if isinstance(image.config.raw, dict) else {}
    config = ocistore.new_config(
        raw, layer, base_digest=source_digest, created=created,
        comment=f"slimmed by finalstage {__version__} from {source_digest}")
    manifest = ocistore.new_manifest(config, layer, source_digest)
    layout = os.path.join(workdir, "layout")
    ocistore.write_layout(layout, layer, config, manifest, LAYOUT_REF)
    _publish(dest, layout, layer, config, manifest)
    written = WrittenImage(
        reference=str(dest), manifest_digest=ocistore.digest_of(manifest),
        config_digest=ocistore.digest_of(config), layer_digest=layer.digest,
        size=layer.size, compressed_size=layer.compressed_size)
    return Output(written, layout, LAYOUT_REF)


def _publish(dest: ImageRef, layout: str, layer: LayerBlob, config: bytes,
             manifest: bytes) -> None:
    if dest.transport == "oci":
        ocistore.write_layout(dest.path, layer, config, manifest, dest.ref or "latest")
    elif dest.transport == "oci-archive":
        ocistore.write_oci_archive(dest.path, layer, config, manifest, dest.ref or "latest")
    elif dest.transport == "docker-archive":
        ocistore.write_docker_archive(dest.path, layer, config, dest.ref)
    elif dest.transport == "containers-storage":
        ocistore.copy_to_storage(layout, LAYOUT_REF, dest.path)


__all__ = ["LAYOUT_REF", "Output", "kept_entries", "source_date_epoch", "write_image"]
