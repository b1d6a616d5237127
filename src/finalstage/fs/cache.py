"""A content-addressed cache of per-layer scans, so a layer seen before is not read again.

Key: the layer's diff_id and blob digest (plus a tag naming what was captured from file data, and
this format's version). Only a scan whose digests were VERIFIED while it was read is stored, so a
hit is as trustworthy as a cold read: the same bytes hashed to the same digest once already.
(Like containerd's content store, a hit does not re-check the layer file of the image at hand;
the image's config, which names the diff_ids, is always read and hashed.)

Format of one entry file (``<sha256 of key>.fsidx``): a 32-byte header — magic, format version,
payload length and a BLAKE2b-128 checksum of the payload — then a zlib-compressed ``marshal`` of
columns (paths joined by NUL, kinds as one string, integer columns as ``array`` bytes). Columns
load in a few tens of milliseconds for 100k entries, far below re-reading the layer.

Writes are atomic (a temporary file in the same directory, then ``os.replace``), so concurrent
writers of the same layer each produce a whole file and the last one wins. A bad magic, version
or checksum counts as a miss: the entry is deleted and rebuilt; so does an entry whose checksum
holds but whose contents do not decode into a consistent scan (columns of different lengths,
a link or device for an entry that does not exist, an unknown kind or value type): any decode
error is a miss, never an error. Size is bounded: after a write, when the directory holds more
than ``max_bytes``, the least recently used entries (by mtime, refreshed on every hit) are
removed. Temporary files count toward that size; one older than ``TMP_MAX_AGE`` was left by a
killed run (a write takes milliseconds) and is removed. Cache failures never fail an inspect:
they become misses.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import tempfile
import time
import zlib
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finalstage.image.scancache import CachedScan, ScanCache
from finalstage.image.tarheader import BLOCKDEV, CHAR, DIR, FIFO, HARDLINK, REG, SYMLINK, RawEntry

FORMAT_VERSION = 2  # 2: captured values may be reduced (ElfInfo, Unreadable) tuples
MAGIC = b"FSIDX\x00"
_HEADER = struct.Struct("<6sHQ16s")  # magic, version, payload length, blake2b-128 of payload
SUFFIX = ".fsidx"
TMP_PREFIX = ".tmp-"
TMP_MAX_AGE = 3600.0  # seconds: an older temporary file belongs to no running write
_KINDS = frozenset((REG, HARDLINK, SYMLINK, CHAR, BLOCKDEV, DIR, FIFO))
DEFAULT_MAX_BYTES = 1 << 30
ENV_DIR = "FINALSTAGE_CACHE_DIR"


def default_dir() -> Path:
    """``$FINALSTAGE_CACHE_DIR``, else the platform user cache dir (``$XDG_CACHE_HOME/finalstage``)."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the common case, without importing platformdirs
        return Path(xdg) / "finalstage"
    # heavy optional dependency: imported on first use (~3 ms, only without either variable)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("finalstage", appauthor=False))


# Captured values that are not bytes: the frozen dataclasses an analysis ``keep`` hook reduces
# files to. marshal stores plain tuples, so each is tagged and rebuilt from its fields on load;
# only registered classes are ever rebuilt (a cache file names no code to run). The module that
# makes such values registers them (``analysis.capture``): the cache knows no layer above ``fs``.
_VALUE_TYPES: dict[str, type] = {}
_TAG_OF: dict[type, str] = {}


def register_value_type(tag: str, cls: type) -> None:
    """Let captured values of dataclass ``cls`` be cached, stored under ``tag`` (part of the
    on-disk format: a tag never changes meaning)."""
    _VALUE_TYPES[tag] = cls
    _TAG_OF[cls] = tag


def _encode_value(value: Any) -> Any:
    """bytes/str/int/None/tuples as they are; a known dataclass as ("\0dc", tag, fields…)."""
    if value is None or isinstance(value, (bytes, str, int, float, bool)):
        return value
    if isinstance(value, tuple):
        return tuple(_encode_value(v) for v in value)
    tag = _TAG_OF.get(type(value))
    if tag is None:
        raise ValueError(f"cannot cache a captured {type(value).__name__}")
    fields = value.__dataclass_fields__
    return ("\0dc", tag, *(_encode_value(getattr(value, f)) for f in fields))


def _decode_value(value: Any) -> Any:
    if isinstance(value, tuple):
        if len(value) >= 2 and value[0] == "\0dc":
            cls = _VALUE_TYPES[value[1]]  # KeyError → corrupt entry (a miss)
            return cls(*(_decode_value(v) for v in value[2:]))
        return tuple(_decode_value(v) for v in value)
    return value


def _encode(scan: CachedScan) -> bytes:
    entries = scan.entries
    n = len(entries)
    paths = "\0".join(e.path for e in entries)
    kinds = "".join(e.kind for e in entries)
    ints = [
        array("q", [e.mode for e in entries]),
        array("q", [e.uid for e in entries]),
        array("q", [e.gid for e in entries]),
        array("q", [e.size for e in entries]),
        array("q", [e.mtime for e in entries]),
    ]
    links = {i: e.link for i, e in enumerate(entries) if e.link is not None}
    devs = {i: (e.devmajor, e.devminor) for i, e in enumerate(entries) if e.devmajor or e.devminor}
    doc = (
        n,
        scan.compression,
        scan.compressed_size,
        scan.uncompressed_size,
        paths.encode("utf-8", "surrogateescape"),
        kinds,
        tuple(a.tobytes() for a in ints),
        links,
        devs,
        {path: _encode_value(value) for path, value in scan.captured.items()},
    )
    return zlib.compress(marshal.dumps(doc), 1)


def _check_doc(doc: Any) -> None:
    """Raise ValueError unless ``doc`` has the shape ``_encode`` gives it (the checksum only
    says the bytes are the ones written, not that whoever wrote them wrote a scan)."""
    if not isinstance(doc, tuple) or len(doc) != 10:
        raise ValueError("not a scan")
    n, compression, csize, usize, paths_b, kinds, ints_b, links, devs, captured = doc
    if not (all(isinstance(v, int) and v >= 0 for v in (n, csize, usize))
            and isinstance(compression, str) and isinstance(paths_b, bytes)
            and isinstance(kinds, str) and not set(kinds) - _KINDS
            and isinstance(ints_b, tuple) and len(ints_b) == 5
            and all(isinstance(b, bytes) for b in ints_b)
            and isinstance(captured, dict) and all(isinstance(k, str) for k in captured)):
        raise ValueError("bad column types")
    for table, is_value in ((links, lambda v: isinstance(v, str)),
                            (devs, lambda v: isinstance(v, tuple) and len(v) == 2
                             and all(isinstance(x, int) for x in v))):
        if not isinstance(table, dict) or not all(
                isinstance(i, int) and 0 <= i < n and is_value(v) for i, v in table.items()):
            raise ValueError("bad link or device table")


def _decode(payload: bytes) -> CachedScan:
    doc = marshal.loads(zlib.decompress(payload))
    _check_doc(doc)
    n, compression, csize, usize, paths_b, kinds, ints_b, links, devs, captured = doc
    paths = paths_b.decode("utf-8", "surrogateescape").split("\0") if n else []
    cols = []
    for raw in ints_b:
        a = array("q")
        a.frombytes(raw)
        cols.append(a)
    if len(paths) != n or len(kinds) != n or any(len(c) != n for c in cols):
        raise ValueError("column lengths differ")
    values = {path: _decode_value(value) for path, value in captured.items()}
    if not all(v is None or isinstance(v, bytes) or type(v) in _TAG_OF for v in values.values()):
        raise ValueError("bad captured value")
    link_col: list[str | None] = [None] * n
    for i, link in links.items():
        link_col[i] = link
    zeros = [0] * n
    major, minor = zeros, zeros
    if devs:
        major, minor = list(zeros), list(zeros)
        for i, (a, b) in devs.items():
            major[i], minor[i] = a, b
    entries = list(map(RawEntry, paths, kinds, *cols, link_col, major, minor))
    return CachedScan(compression, csize, usize, entries, values)


class LayerCache:
    """Per-layer scans on disk under ``directory`` (created on first write)."""

    def __init__(self, directory: Path | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = Path(directory) if directory is not None else default_dir()
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(diff_id: str | None, digest: str | None, tag: str = "") -> str | None:
        """The entry name for a layer, or None when the layer has no digest to key on."""
        if not diff_id and not digest:
            return None
        text = f"v{FORMAT_VERSION}\n{diff_id or ''}\n{digest or ''}\n{tag}"
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / (key + SUFFIX)

    def get(self, key: str) -> CachedScan | None:
        """The cached scan, or None (missing, unreadable, corrupt: a corrupt entry is removed)."""
        payload = self.get_blob(key)
        if payload is None:
            return None
        try:
            return _decode(payload)
        except Exception:  # noqa: BLE001 - any decode error is a miss (module doc)
            self._remove(self._path(key))
            self.hits -= 1
            self.misses += 1
            return None

    def put(self, key: str, scan: CachedScan) -> None:
        """Store ``scan`` atomically; any OS error is ignored (the cache is an optimisation)."""
        try:
            payload = _encode(scan)
        except (ValueError, OverflowError):
            return
        self.put_blob(key, payload)

    def get_blob(self, key: str) -> bytes | None:
        """The checked payload stored under ``key``, or None (a corrupt entry is removed)."""
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            self.misses += 1
            return None
        try:
            magic, version, length, check = _HEADER.unpack_from(data)
        except struct.error:
            magic = None
        payload = data[_HEADER.size :]
        if (
            magic != MAGIC
            or version != FORMAT_VERSION
            or length != len(payload)
            or hashlib.blake2b(payload, digest_size=16).digest() != check
        ):
            self._remove(path)
            self.misses += 1
            return None
        try:
            os.utime(path)  # LRU: a hit makes the entry young again
        except OSError:
            pass
        self.hits += 1
        return payload

    def put_blob(self, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key`` atomically (tempfile + rename); OS errors ignored."""
        try:
            header = _HEADER.pack(
                MAGIC, FORMAT_VERSION, len(payload), hashlib.blake2b(payload, digest_size=16).digest()
            )
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=TMP_PREFIX, suffix=SUFFIX)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(header)
                    f.write(payload)
                os.replace(tmp, self._path(key))
            except BaseException:
                self._remove(Path(tmp))
                raise
        except OSError:
            return
        self.evict()

    def evict(self) -> None:
        """Remove temporary files of killed runs, then least recently used entries until the
        directory fits in ``max_bytes`` (temporary files of running writes count too)."""
        orphaned_before = time.time_ns() - int(TMP_MAX_AGE * 1e9)
        try:
            listing = []
            total = 0
            with os.scandir(self.directory) as it:
                for d in it:
                    if not d.name.endswith(SUFFIX):
                        continue
                    try:
                        st = d.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if d.name.startswith(TMP_PREFIX):
                        if st.st_mtime_ns < orphaned_before:
                            self._remove(Path(d.path))
                        else:
                            total += st.st_size  # being written: counted, never removed
                        continue
                    listing.append((st.st_mtime_ns, st.st_size, d.path))
                    total += st.st_size
        except OSError:
            return
        if total <= self.max_bytes:
            return
        listing.sort()
        for _mtime, size, path in listing:
            if total <= self.max_bytes:
                break
            self._remove(Path(path))
            total -= size

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass


def to_cached(
    compression: str,
    compressed_size: int,
    uncompressed_size: int,
    entries: Sequence[RawEntry],
    captured: dict[str, Any],
) -> CachedScan:
    """A CachedScan from a fresh scan's fields."""
    return CachedScan(compression, compressed_size, uncompressed_size, list(entries), captured)


_: type[ScanCache] = LayerCache  # static conformance: what ``Image.scan`` needs of a cache
