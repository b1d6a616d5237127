"""The work a fleet scan hands to its workers: plain functions of small picklable tasks, so the
same code runs in a process pool and on Ray, and gives the same answers on both.

- ``read_meta``: an image's manifest and config (no layer is opened);
- ``index_layers``: some layers of one image, each read once (verified, through the layer
  cache) and analysed alone: the content rules' removable bytes per kind, a ``LayerSummary``;
- ``judge_image``: one whole image under the policy (``check``'s rules), and its waste: which
  layer's bytes a later layer hides. Its layers come from the cache ``index_layers`` filled.

Errors about one image (auth, not found, corrupt blob) come back as values; anything else is a
bug and raises.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finalstage.analysis.categories import Category
from finalstage.analysis.classify import classify_path
from finalstage.analysis.from_image import analysis_tag, analyze_image, elf_enabled
from finalstage.engine import evaluate
from finalstage.errors import FinalstageError
from finalstage.facts import Facts
from finalstage.facts.image import ImageContext
from finalstage.facts.imagefacts import ImageFacts
from finalstage.findings import Severity
from finalstage.fs.cache import LayerCache
from finalstage.fs.merge import merged_tree
from finalstage.image.core import ImageCore, LayerHandle
from finalstage.image.image import Image
from finalstage.image.open import open_core
from finalstage.image.storagemeta import LazyStorageCore
from finalstage.image.tarheader import REG
from finalstage.limits import DEFAULT_LIMITS, Limits
from finalstage.rules import ImageRule
from finalstage.rules import get as get_rule
from finalstage.scan.model import (
    ImageMeta,
    ImageVerdict,
    KindBytes,
    LayerRef,
    LayerSummary,
    WasteItem,
    summary_json,
    verdict_json,
)
from finalstage.settings import Settings, load_settings

STORAGE = "containers-storage:"
TOP_PATHS = 5
# The content rules whose findings are a layer's removable bytes, and the kind each counts as.
# docs-over-threshold reports above a threshold: here every byte counts (min-bytes 0).
CONTENT_RULES = (("FS201", "compiler", {}), ("FS202", "build-tool", {}),
                 ("FS206", "dev-dependency", {}), ("FS207", "cache", {}),
                 ("FS302", "docs", {"min-bytes": 0}), ("FS205", "tests", {}))
_REMOVABLE = frozenset({Category.COMPILER, Category.BUILD_TOOL, Category.DEV_DEPENDENCY,
                        Category.CACHE, Category.DOCS, Category.TESTS})


@dataclass(frozen=True)
class Source:
    """How a worker opens images and where the layer cache is (the same for every task)."""

    platform: str | None = None
    tls_verify: bool | None = None
    auth_file: str | None = None
    limits: Limits | None = None
    cache_dir: str | None = None
    elf: bool = False

    @property
    def analysis(self) -> str:
        """What the layer analysis captures (part of every store key)."""
        return analysis_tag(elf_enabled(self.elf))


@dataclass(frozen=True)
class LayerTask:
    ref: str
    indexes: tuple[int, ...]
    source: Source


@dataclass(frozen=True)
class LayerResult:
    """One layer's summary as JSON (``doc``), or the error that stopped its read."""

    ref: str
    index: int
    key: str
    doc: dict[str, Any] | None
    error: str | None
    bytes_read: int


@dataclass(frozen=True)
class ImageTask:
    ref: str
    source: Source
    policy: str | None             # the settings file, read by the worker
    fail_on: str | None = None


@dataclass(frozen=True)
class VerdictResult:
    ref: str
    doc: dict[str, Any] | None
    error: str | None


# -- opening -------------------------------------------------------------------------------------

def open_source(ref: str, source: Source) -> ImageCore:
    """The image core behind ``ref``; containers-storage lazily (manifest and config only)."""
    if ref.startswith(STORAGE):
        return LazyStorageCore(ref[len(STORAGE):], platform=source.platform,
                               limits=source.limits)
    return open_core(ref, platform=source.platform, limits=source.limits,
                     tls_verify=source.tls_verify, auth_file=source.auth_file)


def _image(core: ImageCore, source: Source) -> Image:
    cache = LayerCache(Path(source.cache_dir)) if source.cache_dir else LayerCache()
    return Image(core, limits=source.limits or DEFAULT_LIMITS, cache=cache, workers=1)


def _close(core: ImageCore) -> None:
    close = getattr(core, "close", None)
    if close is not None:
        close()


def layer_key(diff_id: str | None, digest: str | None) -> str | None:
    """A layer's identity in the fleet: its diff_id (same content whatever the compression),
    else its blob digest."""
    return diff_id or digest


def read_meta(ref: str, source: Source) -> ImageMeta:
    """``ref``'s manifest and config as an ``ImageMeta``; FinalstageError when unreadable."""
    core = open_source(ref, source)
    try:
        image = Image(core, limits=source.limits or DEFAULT_LIMITS)
        layers = []
        for info in image.layers:
            key = layer_key(info.diff_id, info.digest)
            if key is None:
                raise FinalstageError(f"reading {ref}: layer {info.index} has no digest")
            layers.append(LayerRef(key, info.digest, info.diff_id, info.size, info.created_by))
        return ImageMeta(ref, image.config_digest, tuple(layers), image.created)
    finally:
        _close(core)


# -- one layer -----------------------------------------------------------------------------------

class _OneLayer:
    """The image core of one layer of ``core`` alone (what ``index_layers`` analyses)."""

    def __init__(self, core: ImageCore, handle: LayerHandle, index: int) -> None:
        self._core = core
        self._handle = handle
        self._index = index

    def raw_config(self) -> bytes:
        return self._core.raw_config()

    def raw_manifest(self) -> bytes | None:
        return None

    def layers(self) -> Sequence[LayerHandle]:
        return [self._handle]

    def describe(self) -> str:
        return f"{self._core.describe()} layer {self._index}"


def index_layers(task: LayerTask) -> list[LayerResult]:
    """Read and summarise layers ``task.indexes`` of ``task.ref`` (one read each)."""
    try:
        core = open_source(task.ref, task.source)
        handles = core.layers()
        history = Image(core, limits=task.source.limits or DEFAULT_LIMITS).layers
    except FinalstageError as err:
        return [LayerResult(task.ref, i, "", None, str(err), 0) for i in task.indexes]
    try:
        return [_index_one(task.ref, core, handles, history[i].created_by, i, task.source)
                for i in task.indexes]
    finally:
        _close(core)


def _index_one(ref: str, core: ImageCore, handles: Sequence[LayerHandle], created_by: str | None,
               index: int, source: Source) -> LayerResult:
    handle = handles[index]
    key = layer_key(handle.diff_id, handle.digest) or ""
    one = _image(_OneLayer(core, handle, index), source)
    cached: list[int] = []  # the first progress call says how many layers the cache had

    def progress(done: int, _total: int, _layer: object) -> None:
        if not cached:
            cached.append(done)

    try:
        analysis = analyze_image(one, elf=source.elf, progress=progress)
        tree = merged_tree(one)
        scan = one.scan()[0]
    except FinalstageError as err:
        # The one-layer image numbers its layer 0: say which layer of the image it is.
        message = str(err).replace("reading layer 0", f"reading layer {index}", 1)
        return LayerResult(ref, index, key, None, message, 0)
    ctx = ImageContext(tree, analysis, None, (created_by,))
    summary = LayerSummary(key, scan.uncompressed_size, scan.compressed_size,
                           sum(1 for e in tree.entries.values() if e.kind == REG),
                           content_kinds(ctx))
    read = 0 if cached and cached[0] else scan.compressed_size
    return LayerResult(ref, index, key, summary_json(summary), None, read)


def content_kinds(ctx: ImageContext) -> tuple[KindBytes, ...]:
    """What the content rules would remove from ``ctx``: bytes and largest paths per kind."""
    out = []
    for code, kind, options in CONTENT_RULES:
        rule = get_rule(code)(options)
        assert isinstance(rule, ImageRule)
        findings = list(rule.check_image(ctx))
        total = sum(f.bytes or 0 for f in findings)
        if total <= 0:
            continue
        ranked = sorted(findings, key=lambda f: (-(f.bytes or 0), f.paths))
        paths = list(dict.fromkeys(p for f in ranked for p in f.paths))[:TOP_PATHS]
        out.append(KindBytes(kind, total, tuple(paths)))
    return tuple(out)


# -- one image -----------------------------------------------------------------------------------

def settings_for(policy: str | None, fail_on: str | None) -> Settings:
    """The settings a worker judges images under."""
    settings = load_settings(policy) if policy else Settings()
    return dataclasses.replace(settings, fail_on=Severity(fail_on)) if fail_on else settings


def judge_image(task: ImageTask) -> VerdictResult:
    """``check`` one image under the policy; its sizes, findings, verdict and waste."""
    try:
        core = open_source(task.ref, task.source)
    except FinalstageError as err:
        return VerdictResult(task.ref, None, str(err))
    try:
        image = _image(core, task.source)
        image.workers = 1
        facts = Facts(image=ImageFacts(image, elf=task.source.elf))
        report = evaluate(facts, settings_for(task.policy, task.fail_on), command="check",
                          targets=(task.ref,))
        verdict = "fail" if report.is_failed else (
            "warn" if any(f.severity >= Severity.WARNING for f in report.findings) else "pass")
        scans = facts.scans
        result = ImageVerdict(sum(s.uncompressed_size for s in scans),
                              sum(s.compressed_size for s in scans), len(report.findings),
                              verdict, waste_items(facts.tree.hidden))
    except FinalstageError as err:
        return VerdictResult(task.ref, None, str(err))
    finally:
        _close(core)
    return VerdictResult(task.ref, verdict_json(result), None)


def waste_items(hidden: Sequence[tuple[str, int, int, int]]) -> tuple[WasteItem, ...]:
    """Hidden copies grouped by (layer that added them, layer that hid them). A copy that the
    content rules already count (a compiler deleted later) is not counted twice."""
    groups: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for path, size, layer, hider in hidden:
        if size <= 0 or classify_path(path) in _REMOVABLE:
            continue
        groups.setdefault((layer, hider), []).append((size, path))
    items = []
    for (layer, hider), copies in sorted(groups.items()):
        ranked = sorted(copies, key=lambda c: (-c[0], c[1]))[:TOP_PATHS]
        items.append(WasteItem(layer, hider, sum(s for s, _ in copies), len(copies),
                               tuple("/" + p for _, p in ranked)))
    return tuple(items)


__all__ = [
    "ImageTask", "LayerResult", "LayerTask", "Source", "VerdictResult", "content_kinds",
    "index_layers", "judge_image", "layer_key", "open_source", "read_meta", "settings_for",
    "waste_items",
]
