"""The summary ``finalstage inspect`` shows: sizes, layers, the merged tree, largest files,
waste and config, as frozen data built from the run's facts.

One streaming pass over the layers feeds everything. Secret-looking environment values, label
values and credentials inside ``created_by`` lines are redacted here, before any reporter sees
them, so no output format can leak them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from typing import TYPE_CHECKING

from finalstage.fs.efficiency import dive_efficiency
from finalstage.image.tarheader import DIR
from finalstage.redact import redact_text, redact_value

if TYPE_CHECKING:  # types only: the text and JSON writers read these without the readers
    from finalstage.analysis.model import Analysis
    from finalstage.facts import Facts
    from finalstage.fs.merge import MergedTree
    from finalstage.image.image import Image

@dataclass(frozen=True)
class ConfigSummary:
    user: str | None
    entrypoint: tuple[str, ...] | None
    cmd: tuple[str, ...] | None
    is_entrypoint_shell_form: bool
    is_cmd_shell_form: bool
    env: tuple[tuple[str, str], ...]  # values already redacted
    workdir: str | None
    exposed_ports: tuple[str, ...]
    volumes: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]  # values already redacted
    stop_signal: str | None


@dataclass(frozen=True)
class LayerSummary:
    index: int
    digest: str | None
    diff_id: str | None
    media_type: str | None
    compression: str
    size: int  # uncompressed tar bytes
    compressed_size: int  # stored bytes
    content_size: int  # sum of regular file sizes in the layer
    files: int  # tar entries, whiteouts excluded
    added: int
    changed: int
    deleted: int
    wasted: int  # bytes of this layer hidden by later layers
    created_by: str | None  # redacted


@dataclass(frozen=True)
class TreeNode:
    path: str  # "/" for the root, else "/usr/lib"
    size: int
    entries: int
    layer: int
    children: tuple[TreeNode, ...]
    omitted: int = 0  # children left out (only the ``top`` largest are kept)


@dataclass(frozen=True)
class LargeFile:
    path: str
    size: int
    layer: int


@dataclass(frozen=True)
class WastedPath:
    path: str
    bytes: int
    copies: int
    layers: tuple[int, ...]


@dataclass(frozen=True)
class WasteSummary:
    bytes: int
    paths: tuple[WastedPath, ...]
    efficiency: float  # 1 - waste / sum of all layer file bytes
    dive_efficiency: float  # dive's score: sum(min size per path) / sum(size per path)


@dataclass(frozen=True)
class InspectResult:
    reference: str
    digest: str | None
    image_id: str
    platform: str | None
    created: str | None
    compressed_size: int
    uncompressed_size: int
    files_size: int  # bytes of regular files in the merged tree
    files: int
    entries: int
    layers: tuple[LayerSummary, ...]
    history_entries: int  # config history, ENV/CMD/… included: not the number of layers
    tree: TreeNode
    largest: tuple[LargeFile, ...]
    waste: WasteSummary
    config: ConfigSummary
    # Content analysis (None with classification off); the findings are the report's.
    analysis: Analysis | None = None
    # The whole merged tree, for the formats that picture all of it (HTML, SBOMs).
    merged: MergedTree | None = field(default=None, repr=False, compare=False)


def _tree(tree: MergedTree, path: str, depth: int, width: int) -> TreeNode:
    e = tree.entries[path]
    kids: tuple[TreeNode, ...] = ()
    omitted = 0
    if depth > 0 and e.kind == DIR:
        listing = tree.listdir(path)
        listing.sort(key=lambda k: (-tree.du(k.path), k.path))
        omitted = max(0, len(listing) - width)
        kids = tuple(_tree(tree, k.path, depth - 1, width) for k in listing[:width])
    return TreeNode(
        "/" + path,
        tree.du(path),
        tree.count(path) if e.kind == DIR else 0,
        e.layer,
        kids,
        omitted,
    )


def summarize_image(facts: Facts, *, depth: int = 2, top: int = 10) -> InspectResult:
    """What ``inspect`` shows about the image of ``facts`` (its single pass is shared with the
    content analysis when that is on). Digests are checked before this returns."""
    image = facts.image
    assert image is not None
    scans, tree = facts.scans, facts.tree
    result = InspectResult(
        reference=image.reference,
        digest=image.digest,
        image_id=image.id,
        platform=image.platform,
        created=image.created,
        compressed_size=sum(s.compressed_size for s in scans),
        uncompressed_size=sum(s.uncompressed_size for s in scans),
        files_size=tree.total_size,
        files=tree.file_count,
        entries=len(tree.entries) - 1,
        layers=_layers(image, scans, tree),
        history_entries=len(image.config.history),
        tree=_tree(tree, "", max(depth, 0), max(top, 1)),
        largest=tuple(LargeFile("/" + e.path, e.size, e.layer) for e in tree.largest(top)),
        waste=_waste(scans, tree, top),
        config=config_summary(image),
        analysis=facts.analysis if facts.classify else None,
        merged=tree,
    )
    facts.wait_verified()
    return result


def _layers(image: Image, scans: Sequence[Any], tree: MergedTree) -> tuple[LayerSummary, ...]:
    return tuple(
        LayerSummary(
            index=scan.index,
            digest=scan.digest or (scan.diff_id if scan.compression == "tar" else None),
            diff_id=scan.diff_id,
            media_type=info.media_type,
            compression=scan.compression,
            size=scan.uncompressed_size,
            compressed_size=scan.compressed_size,
            content_size=stats.bytes,
            files=stats.entries,
            added=stats.added,
            changed=stats.changed,
            deleted=stats.deleted,
            wasted=stats.hidden_bytes,
            created_by=redact_text(info.created_by) if info.created_by else None,
        )
        for scan, stats, info in zip(scans, tree.layers, image.layers))


def _waste(scans: Sequence[Any], tree: MergedTree, top: int) -> WasteSummary:
    all_bytes = sum(s.bytes for s in tree.layers)
    return WasteSummary(
        bytes=tree.waste_bytes,
        paths=tuple(WastedPath("/" + w.path, w.bytes, w.copies, tuple(w.layers))
                    for w in tree.top_wasted(top)),
        efficiency=1.0 if all_bytes == 0 else 1 - tree.waste_bytes / all_bytes,
        dive_efficiency=dive_efficiency([s.entries for s in scans], tree.whiteout_dir_bytes),
    )


def config_summary(image: Image) -> ConfigSummary:
    """The image config as shown: secrets in env values, labels redacted."""
    cfg = image.config
    return ConfigSummary(
        user=cfg.user,
        entrypoint=cfg.entrypoint,
        cmd=cfg.cmd,
        is_entrypoint_shell_form=cfg.is_entrypoint_shell_form,
        is_cmd_shell_form=cfg.is_cmd_shell_form,
        env=tuple((k, redact_value(k, v)) for k, v in cfg.env),
        workdir=cfg.workdir,
        exposed_ports=cfg.exposed_ports,
        volumes=cfg.volumes,
        labels=tuple((k, redact_text(v)) for k, v in cfg.labels),
        stop_signal=cfg.stop_signal,
    )


__all__ = ["ConfigSummary", "InspectResult", "LargeFile", "LayerSummary", "TreeNode",
           "WasteSummary", "WastedPath", "config_summary", "summarize_image"]
