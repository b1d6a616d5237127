"""``Image(core)``: everything derived from a source core, computed once (ggcr's extenders).

Analysis only ever sees ``Image``; it never knows which source the bytes came from.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol, TypeVar, runtime_checkable

from finalstage.errors import CorruptImageError, FinalstageError
from finalstage.image import digest as dg
from finalstage.image.budget import ImageBudget
from finalstage.image.config import HistoryEntry, ImageConfig, parse_config
from finalstage.image.core import ImageCore, LayerHandle
from finalstage.image.layers import LayerScan, PendingScan, start_scan
from finalstage.image.parallel import ordered
from finalstage.image.scancache import CachedScan, ScanCache
from finalstage.image.tarstream import KeepHook, WantHook
from finalstage.image.verified import BlobStore, held, record, record_keys
from finalstage.limits import DEFAULT_LIMITS, Limits

T = TypeVar("T")

Progress = Callable[[int, int, LayerHandle], None]
"""``progress(done_layers, total_layers, layer)``, called before each layer is read."""


@runtime_checkable
class ByteProgress(Protocol):
    """A ``Progress`` that also follows the stored bytes (how a slow download shows its rate):
    ``expect(total)`` once the layers to read are known (None: some size is unknown), then
    ``add_bytes(n)`` as bytes arrive, from the reading threads."""

    def __call__(self, done: int, total: int, layer: LayerHandle) -> None: ...

    def expect(self, total_bytes: int | None) -> None: ...

    def add_bytes(self, n: int) -> None: ...


@dataclass(frozen=True)
class LayerInfo:
    """One layer as the manifest/config describe it (before reading it)."""

    index: int
    digest: str | None
    diff_id: str | None
    media_type: str | None
    size: int | None  # stored (compressed) size when the source knows it
    history: HistoryEntry | None

    @property
    def created_by(self) -> str | None:
        return self.history.created_by if self.history else None


class Image:
    """An image, source-independent. Properties are cached; ``scan()`` streams each layer once."""

    def __init__(
        self,
        core: ImageCore,
        *,
        limits: Limits = DEFAULT_LIMITS,
        verify: bool = True,
        cache: ScanCache | None = None,
        workers: int | None = None,
    ) -> None:
        self.core = core
        self.limits = limits
        self.verify = verify
        self.cache = cache
        # Two layers at a time: hashing (hashlib) and inflating (isal, zstandard) release the
        # GIL, so a second thread overlaps them; more threads only add memory on 2 cores.
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        # Where verified-once records live (``verified``); None: in ``cache``, if any.
        self.records: BlobStore | None = None
        self.reverify = False  # hash every layer: trust no record and no cached scan
        self.hashed_layers: tuple[int, ...] = ()  # the layers the last scan hashed
        self._scans: list[LayerScan] | None = None
        # Layers listed but not yet verified: (scan, cache key, record key), in layer order.
        self._pending: list[tuple[PendingScan, str | None, str | None]] = []
        self._scan_tag: str | None = None
        # What others derive from the scans (the merged tree): dropped when they are.
        self._memo: dict[Hashable, Any] = {}

    @property
    def reference(self) -> str:
        return self.core.describe()

    @cached_property
    def raw_config(self) -> bytes:
        return self.core.raw_config()

    @cached_property
    def config(self) -> ImageConfig:
        return parse_config(self.raw_config)

    @cached_property
    def config_digest(self) -> str:
        return dg.of_bytes(self.raw_config)

    @cached_property
    def raw_manifest(self) -> bytes | None:
        return self.core.raw_manifest()

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The manifest; built from config and layers when the source has none (docker-archive)."""
        raw = self.raw_manifest
        if raw is not None:
            try:
                doc = json.loads(raw)
            except (ValueError, RecursionError) as err:
                raise CorruptImageError(f"reading {self.reference}: manifest: {err}") from err
            if not isinstance(doc, dict):
                raise CorruptImageError(f"reading {self.reference}: manifest is not an object")
            return doc
        return {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": self.config_digest,
                "size": len(self.raw_config),
            },
            "layers": [
                {
                    "mediaType": h.media_type or "application/vnd.docker.image.rootfs.diff.tar",
                    "digest": h.digest or h.diff_id,
                    "size": h.size,
                }
                for h in self.core.layers()
            ],
        }

    @cached_property
    def digest(self) -> str | None:
        """The manifest digest when the source has a real manifest; None otherwise."""
        raw = self.raw_manifest
        return dg.of_bytes(raw) if raw is not None else None

    @property
    def id(self) -> str:
        """The image ID (config digest), what ``docker images`` shows."""
        return self.config_digest

    @cached_property
    def platform(self) -> str | None:
        c = self.config
        if not c.os and not c.architecture:
            return None
        return "/".join(p for p in (c.os, c.architecture, c.variant) if p)

    @property
    def created(self) -> str | None:
        return self.config.created

    @cached_property
    def layers(self) -> tuple[LayerInfo, ...]:
        handles = self.core.layers()
        hist = self.history_by_layer(len(handles))
        return tuple(
            LayerInfo(i, h.digest, h.diff_id, h.media_type, h.size, hist[i])
            for i, h in enumerate(handles)
        )

    def history_by_layer(self, n: int) -> list[HistoryEntry | None]:
        """History entries that created each of ``n`` layers; None where unknowable."""
        non_empty = self.config.layer_history()
        if len(non_empty) == n:
            return list(non_empty)
        if len(non_empty) > n:  # extra entries at the start (squashed bases): align the ends
            return list(non_empty[len(non_empty) - n :])
        return [None] * (n - len(non_empty)) + list(non_empty)

    def history_for(self, layer: int) -> HistoryEntry | None:
        return self.layers[layer].history

    def scan(
        self,
        *,
        want: WantHook | None = None,
        keep: KeepHook | None = None,
        progress: Progress | None = None,
        tag: str | None = None,
        wait: bool = True,
    ) -> Sequence[LayerScan]:
        """Read every layer once (verifying digests, except a local file verified before:
        ``verified``), in parallel, the largest first, results in order. ``wait=False`` returns
        once every layer is listed, while local uncompressed layers are still being hashed on
        side threads: the caller may merge and analyse meanwhile but MUST call
        ``wait_verified()`` before showing anything. ``keep`` shrinks captured bytes as they are
        read (``iter_tar``). Without ``want`` the scans are kept for later calls. ``tag`` names
        what ``want`` captures (same tag = same hook): it makes the scan cacheable with a hook,
        and reusable by a later call with the same tag (or with no hook). ``progress`` may
        follow bytes too (``ByteProgress``)."""
        if self._scans is not None and (want is None or (tag is not None and tag == self._scan_tag)):
            if wait:
                self.wait_verified()
            return self._scans
        self._abandon_pending()
        handles = self.core.layers()
        budget = ImageBudget(self.limits, self.core.describe())
        out, keys, rkeys, hashes = self._from_cache(handles, "" if want is None else tag, budget)
        todo = [i for i, scan in enumerate(out) if scan is None]
        self.hashed_layers = tuple(i for i in todo if hashes[i])
        stop = threading.Event()  # set when this scan is abandoned: running reads stop
        on_bytes = _byte_progress(progress, [handles[i] for i in todo])

        def one(i: int) -> PendingScan:
            return start_scan(handles[i], i, want=want, keep=keep, limits=self.limits,
                              verify=hashes[i], budget=budget, cancel=stop, on_bytes=on_bytes)

        done = len(handles) - len(todo)
        if progress is not None and handles:
            progress(done, len(handles), handles[todo[0] if todo else -1])
        try:
            for i, pending in self._run(one, todo, stop.set, handles):
                out[i] = pending.unverified
                self._pending.append((pending, keys[i], rkeys[i]))
                budget.add_entries(len(pending.unverified.entries))
                done += 1
                if progress is not None:
                    progress(done, len(handles), handles[i])
        except FinalstageError:
            # Errors come in layer order, as if each layer were verified before the next: a
            # digest mismatch of an earlier layer wins over a later layer's parse error.
            self.wait_verified()
            raise
        except BaseException:  # Ctrl-C: stop hashing, release the files, report nothing
            self._abandon_pending()
            raise
        scans = [s for s in out if s is not None]
        self._scans = scans
        self._scan_tag = tag if want is not None else None
        if wait:
            self.wait_verified()
        return scans

    @property
    def _store(self) -> BlobStore | None:
        return self.records if self.records is not None else self.cache

    def _from_cache(
        self, handles: Sequence[LayerHandle], tag: str | None, budget: ImageBudget
    ) -> tuple[list[LayerScan | None], list[str | None], list[str | None], list[bool]]:
        """The layers the cache already has (None for the others), each layer's cache key, the
        key to record each layer under once it is verified (``verified``; None: nothing to
        record), and which layers to hash (not a file verified before: that one is read as
        ``--no-verify`` reads it).
        Nothing is looked up without a cache, a ``tag`` or verification, nor to reverify."""
        total = len(handles)
        out: list[LayerScan | None] = [None] * total
        keys: list[str | None] = [None] * total
        rkeys = record_keys(self._store if self.verify else None, handles)
        trusted = held(self._store, rkeys, trust=not self.reverify)
        # A layer in a local file may come from the cache only when its file has a record.
        may_cache = [t or k is None for t, k in zip(trusted, rkeys)]
        rkeys = [None if t else k for t, k in zip(trusted, rkeys)]
        hashes = [self.verify and not t for t in trusted]
        if self.cache is None or tag is None or not self.verify:
            return out, keys, rkeys, hashes
        for i, h in enumerate(handles):
            key = keys[i] = self.cache.key(h.diff_id, h.digest, tag)
            allowed = key is not None and (may_cache[i] or _vouches(self.cache, key))
            hit = self._cached(key, h) if allowed and not self.reverify else None  # type: ignore[arg-type]
            if hit is not None:
                out[i] = LayerScan(
                    i, h.digest, h.diff_id, hit.compression, hit.compressed_size,
                    hit.uncompressed_size, hit.entries, hit.captured,
                )
                budget.add_bytes(hit.uncompressed_size)
                budget.add_entries(len(hit.entries))
        return out, keys, rkeys, hashes

    def wait_verified(self) -> None:
        """Wait for the digests of every layer listed so far; raise on the first (in layer
        order) that does not match. Verified layers go into the cache only here: a cache hit
        must be as good as a read."""
        try:
            while self._pending:
                pending, key, record_key = self._pending[0]
                scan = pending.result()
                del self._pending[0]
                record(self._store, record_key)
                if key is not None and self.cache is not None and scan.diff_id:
                    self.cache.put(key, CachedScan(scan.compression, scan.compressed_size,
                                                   scan.uncompressed_size, scan.entries,
                                                   scan.captured))
        except BaseException:
            self._abandon_pending()
            self._scans = None
            self._memo.clear()
            raise

    def _abandon_pending(self) -> None:
        for pending, _, _ in self._pending:
            pending.abandon()
        self._pending = []

    def _cached(self, key: str, h: LayerHandle) -> CachedScan | None:
        """The cached scan of layer ``h``, asked only when this source may use it.

        A layer in a local file is only served from the cache when that very file (same inode,
        size, mtime and ctime, same offset) was read and verified before: its verified-once
        record (``verified``). So a layer file swapped or damaged after the cache was filled is
        read again and fails as on a cold run. Remote layers (no file) are identified by their
        digests alone.
        """
        assert self.cache is not None
        hit = self.cache.get(key)
        # A stored size that disagrees is read for real, so its error is reported.
        if hit is None or (h.size is not None and h.size != hit.compressed_size):
            return None
        return hit

    def _run(
        self, fn: Callable[[int], PendingScan], todo: list[int], cancel: Callable[[], None],
        handles: Sequence[LayerHandle],
    ) -> Iterator[tuple[int, PendingScan]]:
        """``fn`` over ``todo`` with up to ``workers`` threads, yielded in ``todo`` order.

        The largest layer starts first (its hash is the longest: the floor of a verified read).
        The first failing layer (in order) raises; layers not started yet are never started, and
        layers listed after it but never handed out stop hashing and release their files.
        """
        if self.workers <= 1 or len(todo) <= 1:
            for i in todo:
                yield i, fn(i)
            return
        start = sorted(range(len(todo)), key=lambda k: -(handles[todo[k]].size or 0))
        yield from ordered(fn, todo, self.workers, discard=PendingScan.abandon, name="layer",
                           cancel=cancel, start=start)

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per image and ``key``: for what others derive from the scans
        (``fs.merge.merged_tree``). Forgotten, like the scans, when verification fails."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value


def _byte_progress(
    progress: Progress | None, handles: Sequence[LayerHandle]
) -> Callable[[int], None] | None:
    """``progress.add_bytes`` when ``progress`` follows bytes, told what to expect first."""
    if not isinstance(progress, ByteProgress):
        return None
    sizes = [h.size for h in handles]
    progress.expect(None if None in sizes else sum(s for s in sizes if s is not None))
    return progress.add_bytes


def _vouches(cache: object, key: str) -> bool:
    """True when ``cache`` serves ``key`` for the layer itself, whatever file holds it: a layer
    another image verified with the same ``diff_id`` (``facts.shared.SharedLayers``)."""
    vouches = getattr(cache, "vouches", None)
    return bool(vouches and vouches(key))
