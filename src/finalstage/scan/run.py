"""The fleet scan, step by step: manifests and configs (threads), unique layers (workers, one
task per layer — per image for containers-storage, which copies whole images), whole images
(workers), then the ranking. The store is consulted before each step and written after each
result, so a rerun only reads manifests and configs, and an interrupted scan resumes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from finalstage.errors import FinalstageError
from finalstage.scan.backends import Backend
from finalstage.scan.model import (
    FleetReport,
    ImageMeta,
    ImageVerdict,
    LayerSummary,
    ScanError,
    ScanStats,
    summary_from,
    verdict_from,
)
from finalstage.scan.rank import DEFAULT_TOP, FleetInput, fleet
from finalstage.scan.store import ScanStore, layer_key, verdict_key
from finalstage.scan.tasks import (
    STORAGE,
    ImageTask,
    LayerTask,
    Source,
    index_layers,
    judge_image,
    read_meta,
)

META_THREADS = 8


@dataclass(frozen=True)
class ScanProgress:
    """Where a scan is: ``phase`` is "manifests", "layers" or "images"."""

    phase: str
    images_done: int
    images_total: int
    layers_done: int
    layers_total: int
    bytes_read: int
    bytes_total: int
    started: float


ProgressFn = Callable[[ScanProgress], None]


@dataclass(frozen=True)
class Judging:
    """The policy images are judged under: its file, fail-on, and a fingerprint for the store."""

    policy: str | None = None
    fail_on: str | None = None
    fingerprint: str = ""


@dataclass
class _State:
    refs: int
    progress: ProgressFn | None
    started: float = field(default_factory=time.monotonic)
    images_done: int = 0
    layers_done: int = 0
    layers_total: int = 0
    bytes_read: int = 0
    bytes_total: int = 0

    def tell(self, phase: str) -> None:
        if self.progress is not None:
            self.progress(ScanProgress(phase, self.images_done, self.refs, self.layers_done,
                                       self.layers_total, self.bytes_read, self.bytes_total,
                                       self.started))


def _try_meta(ref: str, source: Source) -> ImageMeta | ScanError:
    try:
        return read_meta(ref, source)
    except FinalstageError as err:
        return ScanError(ref, str(err))


def read_metas(refs: Sequence[str], source: Source, state: _State
               ) -> tuple[list[ImageMeta], list[ScanError]]:
    """Every image's manifest and config, a few at a time (network or skopeo bound)."""
    metas: list[ImageMeta] = []
    errors: list[ScanError] = []
    with ThreadPoolExecutor(META_THREADS) as pool:
        for result in pool.map(lambda r: _try_meta(r, source), refs):
            if isinstance(result, ImageMeta):
                metas.append(result)
            else:
                errors.append(result)
            state.images_done += 1
            state.tell("manifests")
    state.images_done = 0
    return metas, errors


def plan_layers(metas: Sequence[ImageMeta], missing: set[str], source: Source
                ) -> list[LayerTask]:
    """One task per missing layer, on the first image (by reference) that has it; for
    containers-storage one task per image, which is copied whole. Largest layers first."""
    carriers: dict[str, tuple[ImageMeta, int]] = {}
    for meta in sorted(metas, key=lambda m: m.ref):
        for index, layer in enumerate(meta.layers):
            if layer.key in missing and layer.key not in carriers:
                carriers[layer.key] = (meta, index)
    by_image: dict[str, list[int]] = {}
    sizes: dict[tuple[str, int], int] = {}
    for meta, index in carriers.values():
        by_image.setdefault(meta.ref, []).append(index)
        sizes[meta.ref, index] = meta.layers[index].size or 0
    tasks = []
    for ref, indexes in by_image.items():
        if ref.startswith(STORAGE):
            tasks.append(LayerTask(ref, tuple(sorted(indexes)), source))
        else:
            tasks.extend(LayerTask(ref, (i,), source) for i in indexes)
    return sorted(tasks, key=lambda t: (-sum(sizes[t.ref, i] for i in t.indexes), t.ref,
                                        t.indexes))


def _index(metas: Sequence[ImageMeta], source: Source, backend: Backend, store: ScanStore,
           state: _State) -> tuple[dict[str, LayerSummary], dict[str, str], ScanStats]:
    """Every unique layer's summary (from the store, else read once); errors by layer key."""
    keys = {layer.key for meta in metas for layer in meta.layers}
    skey = {key: layer_key(key, source.analysis) for key in keys}
    stored = store.get("layers", skey.values())
    summaries = {key: summary_from(stored[skey[key]]) for key in keys if skey[key] in stored}
    missing = keys - summaries.keys()
    tasks = plan_layers(metas, missing, source)
    key_at = {(meta.ref, i): layer.key for meta in metas for i, layer in enumerate(meta.layers)}
    state.layers_total = len(missing)
    state.bytes_total = sum(meta.layers[i].size or 0 for meta in metas
                            for i, layer in enumerate(meta.layers) if layer.key in missing)
    errors: dict[str, str] = {}
    read = 0
    state.tell("layers")
    for results in backend.run(index_layers, tasks):
        for result in results:
            key = key_at[result.ref, result.index]
            if result.doc is not None:
                store.put("layers", skey[key], result.doc)
                summaries[key] = summary_from(result.doc)
                read += 1
            else:
                errors[key] = result.error or "unreadable"
            state.layers_done += 1
            state.bytes_read += result.bytes_read
            state.tell("layers")
    stats = ScanStats(layers_read=read, layers_cached=len(keys) - len(missing),
                      bytes_read=state.bytes_read)
    return summaries, errors, stats


def _judge(metas: Sequence[ImageMeta], source: Source, judging: Judging, backend: Backend,
           store: ScanStore, state: _State
           ) -> tuple[dict[str, ImageVerdict], list[ScanError], int, int]:
    """Every image's verdict (from the store, else judged on a worker)."""
    vkey = {m.ref: verdict_key(m.config_digest, m.blobs, judging.fingerprint, source.analysis)
            for m in metas}
    stored = store.get("verdicts", vkey.values())
    verdicts = {ref: verdict_from(stored[k]) for ref, k in vkey.items() if k in stored}
    cached = len(verdicts)
    tasks = [ImageTask(m.ref, source, judging.policy, judging.fail_on)
             for m in metas if m.ref not in verdicts]
    state.images_done = cached
    state.tell("images")
    errors = []
    for result in backend.run(judge_image, tasks):
        if result.doc is not None:
            store.put("verdicts", vkey[result.ref], result.doc)
            verdicts[result.ref] = verdict_from(result.doc)
        else:
            errors.append(ScanError(result.ref, result.error or "unreadable"))
        state.images_done += 1
        state.tell("images")
    return verdicts, errors, len(tasks), cached


def scan_fleet(refs: Sequence[str], *, label: str, source: Source, backend: Backend,
               store: ScanStore, judging: Judging = Judging(), top: int = DEFAULT_TOP,
               progress: ProgressFn | None = None) -> FleetReport:
    """Scan ``refs`` (deduplicated, in order) into the ranked fleet report."""
    refs = list(dict.fromkeys(refs))
    state = _State(len(refs), progress)
    metas, errors = read_metas(refs, source, state)
    summaries, layer_errors, stats = _index(metas, source, backend, store, state)
    whole = []
    for meta in metas:
        bad = next((i for i, layer in enumerate(meta.layers) if layer.key in layer_errors), None)
        if bad is None:
            whole.append(meta)
        else:
            errors.append(ScanError(meta.ref, layer_errors[meta.layers[bad].key]))
    verdicts, judge_errors, judged, cached = _judge(whole, source, judging, backend, store, state)
    failed = {e.ref for e in judge_errors}
    stats = ScanStats(stats.layers_read, stats.layers_cached, stats.bytes_read, judged, cached)
    data = FleetInput(label, [m for m in whole if m.ref not in failed], summaries, verdicts,
                      errors + judge_errors, stats, judging.policy, backend.name)
    return fleet(data, top=top)


__all__ = ["Judging", "ProgressFn", "ScanProgress", "plan_layers", "read_metas", "scan_fleet"]
