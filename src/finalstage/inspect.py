"""``inspect(image)``: the facts ``finalstage inspect`` shows, as frozen data (library API).

One streaming pass over the layers (``Image.scan``) feeds everything: sizes, per-layer file
counts, the merged tree, largest files and waste. Secret-looking environment values, label
values and credentials inside ``created_by`` lines are redacted here, before any reporter sees
them, so no output format can leak them.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING

from finalstage.fs.efficiency import dive_efficiency
from finalstage.image.tarheader import DIR
from finalstage.redact import redact_text, redact_value

if TYPE_CHECKING:
    from finalstage.analysis.model import Analysis
    from finalstage.findings import Finding
    from finalstage.fs.merge import MergedTree
    from finalstage.image.image import Image, Progress

SCHEMA_VERSION = 1
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
    tree: TreeNode
    largest: tuple[LargeFile, ...]
    waste: WasteSummary
    config: ConfigSummary
    # Content analysis and image findings (None / () with ``classify=False``).
    analysis: Analysis | None = None
    findings: tuple[Finding, ...] = ()


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


def _classify(
    image: Image, progress: Progress | None, elf: bool | None
) -> tuple[Analysis, tuple[Finding, ...]]:
    """Content analysis and image findings from the same single pass that lists the layers."""
    from finalstage.analysis.from_image import analyze_image
    from finalstage.fs.merge import merged_tree
    from finalstage.image_rules import run_image_rules

    analysis = analyze_image(image, elf=elf, progress=progress, wait=False)
    # The rules allocate many objects and no cycles: collector passes would only walk the whole
    # merged tree again and again.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        tree = merged_tree(image, wait=False)
        findings = tuple(run_image_rules(image, tree=tree, analysis=analysis))
    finally:
        if was_enabled:
            gc.enable()
    return analysis, findings


def inspect(
    image: Image,
    *,
    depth: int = 2,
    top: int = 10,
    progress: Progress | None = None,
    classify: bool = False,
    elf: bool | None = None,
) -> InspectResult:
    """Read the image once and summarise it. Raises FinalstageError subclasses on bad input.

    With ``classify`` the same pass also captures the few bytes content analysis needs, and the
    result carries the ``analysis`` (categories, packages) and the image ``findings``; ``elf``
    adds ELF facts: unstripped binaries, Go build info (None: ``analysis.from_image.ELF_DEFAULT``).
    """
    from finalstage.fs.merge import merged_tree

    cfg = image.config
    analysis = None
    findings: tuple[Finding, ...] = ()
    if classify:
        analysis, findings = _classify(image, progress, elf)
        progress = None
    # Digests are still being hashed while the tree is summarised; checked before returning.
    scans = image.scan(progress=progress, wait=False)
    tree = merged_tree(image, wait=False)
    hist = image.layers
    layers = []
    for scan, stats, info in zip(scans, tree.layers, hist):
        created_by = info.created_by
        layers.append(
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
                created_by=redact_text(created_by) if created_by else None,
            )
        )
    all_bytes = sum(s.bytes for s in tree.layers)
    waste = WasteSummary(
        bytes=tree.waste_bytes,
        paths=tuple(
            WastedPath("/" + w.path, w.bytes, w.copies, tuple(w.layers))
            for w in tree.top_wasted(top)
        ),
        efficiency=1.0 if all_bytes == 0 else 1 - tree.waste_bytes / all_bytes,
        dive_efficiency=dive_efficiency([s.entries for s in scans], tree.whiteout_dir_bytes),
    )
    config = ConfigSummary(
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
    image.wait_verified()
    return InspectResult(
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
        layers=tuple(layers),
        tree=_tree(tree, "", max(depth, 0), max(top, 1)),
        largest=tuple(LargeFile("/" + e.path, e.size, e.layer) for e in tree.largest(top)),
        waste=waste,
        config=config,
        analysis=analysis,
        findings=findings,
    )
