"""Write one new layer from chosen entries of an image: sorted, reproducible, streamed.

The entries are merged-tree entries (any object with ``path kind mode uid gid size mtime link
layer``). File bytes and PAX extended attributes (file capabilities, SELinux labels) come from
the layer each entry's visible version came from, read once in layer order (``layerread``,
digests checked); the bytes of the kept files are appended to one spool file as they pass (only
the kept bytes: the source is never extracted). The tar is then written in path order
(parents before children), with the source's modes, owners and mtimes (mtimes clamped to
``SOURCE_DATE_EPOCH`` when given), empty user and group names, hard links kept as hard links
(the first path of a link set in that order carries the bytes) and symlinks as they were, and
compressed with gzip (deterministic: no name, no time stamp). Same entries → same bytes → same
digests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from finalstage.errors import CorruptImageError
from finalstage.image.image import Image
from finalstage.image.layerread import read_layer
from finalstage.image.tarheader import BLOCKDEV, CHAR, DIR, FIFO, HARDLINK, REG, SYMLINK

_XATTR = ("SCHILY.xattr.", "LIBARCHIVE.xattr.")
_TYPES = {DIR: tarfile.DIRTYPE, SYMLINK: tarfile.SYMTYPE, FIFO: tarfile.FIFOTYPE,
          CHAR: tarfile.CHRTYPE, BLOCKDEV: tarfile.BLKTYPE}
GZIP_LEVEL = 2   # ISA-L level 2: close to zlib's 6 in size, several times faster


class EntryLike(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def mode(self) -> int: ...
    @property
    def uid(self) -> int: ...
    @property
    def gid(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime(self) -> int: ...
    @property
    def link(self) -> str | None: ...
    @property
    def layer(self) -> int: ...


@dataclass(frozen=True)
class LayerBlob:
    """The written layer: the tar and its gzip form (files in the work directory)."""

    tar_path: str
    blob_path: str
    diff_id: str
    digest: str
    size: int
    compressed_size: int


class _Hashing:
    def __init__(self, out: BinaryIO) -> None:
        self.out, self.hash, self.count = out, hashlib.sha256(), 0

    def write(self, data: Any) -> int:
        self.hash.update(data)
        self.count += len(data)
        return self.out.write(data)

    def tell(self) -> int:
        return self.count


def sort_key(path: str) -> tuple[str, ...]:
    """Path order with parents first (``a`` < ``a/b`` < ``a-b``)."""
    return tuple(path.split("/"))


def write_layer(image: Image, entries: Sequence[EntryLike], workdir: str, *,
                epoch: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> LayerBlob:
    """Write ``entries`` (paths without a leading slash) as one layer in ``workdir``."""
    by_path = {e.path: e for e in entries if e.path}
    order = sorted(by_path, key=sort_key)
    data_from = _data_sources(by_path, order)
    with tempfile.TemporaryFile(dir=workdir) as spool:
        found, xattrs = _collect(image, by_path, data_from, spool, progress)
        tar_path = os.path.join(workdir, "layer.tar")
        with open(tar_path, "wb") as raw:
            out = _Hashing(raw)
            with tarfile.open(fileobj=out, mode="w",  # type: ignore[call-overload]
                              format=tarfile.PAX_FORMAT, encoding="utf-8",
                              errors="surrogateescape") as tar:
                first: dict[str, str] = {}
                for path in order:
                    _add(tar, by_path[path], data_from, first, found, xattrs, spool, epoch)
        diff_id, size = f"sha256:{out.hash.hexdigest()}", out.count
    blob_path = os.path.join(workdir, "layer.tar.gz")
    digest, compressed = _gzip(tar_path, blob_path)
    return LayerBlob(tar_path, blob_path, diff_id, digest, size, compressed)


def _data_sources(by_path: dict[str, EntryLike], order: list[str]) -> dict[str, str]:
    """For every regular file and hard link: the path whose bytes it has (a link set shares
    its target's)."""
    out: dict[str, str] = {}
    for path in order:
        entry = by_path[path]
        if entry.kind == REG:
            out[path] = path
        elif entry.kind == HARDLINK and entry.link:
            target = by_path.get(entry.link)
            if target is not None and target.kind == REG:
                out[path] = entry.link
    return out


def _collect(image: Image, by_path: dict[str, EntryLike], data_from: dict[str, str],
             spool: BinaryIO, progress: Callable[[int, int], None] | None,
             ) -> tuple[dict[str, tuple[int, int]], dict[str, dict[str, str]]]:
    """Read each layer that owns a chosen entry once; spool the bytes of the files, keep the
    extended attributes. Returns (path → (offset, size)) and (path → xattr PAX records)."""
    wanted: dict[int, set[str]] = {}
    for path, entry in by_path.items():
        wanted.setdefault(entry.layer, set()).add(path)
    found: dict[str, tuple[int, int]] = {}
    xattrs: dict[str, dict[str, str]] = {}
    data_paths = set(data_from.values())
    handles = image.core.layers()
    layers = sorted(i for i in wanted if 0 <= i < len(handles))
    for done, index in enumerate(layers):
        names = wanted[index]

        def visit(member: tarfile.TarInfo, tar: tarfile.TarFile, names: set[str] = names,
                  ) -> None:
            name = member.name.removeprefix("./").strip("/")
            if name not in names:
                return
            records = {k: v for k, v in member.pax_headers.items() if k.startswith(_XATTR)}
            if records:
                xattrs[name] = records
            if member.isreg() and name in data_paths:
                source = tar.extractfile(member)
                assert source is not None
                offset = spool.seek(0, os.SEEK_END)
                shutil.copyfileobj(source, spool, 1 << 20)
                found[name] = (offset, member.size)

        read_layer(handles[index], index, visit, limits=image.limits, verify=image.verify)
        if progress is not None:
            progress(done + 1, len(layers))
    missing = sorted(p for p in data_paths if p not in found)
    if missing:
        raise CorruptImageError(f"{image.reference}: {len(missing)} file(s) of the merged tree "
                                f"not found in their layer, e.g. /{missing[0]}")
    return found, xattrs


def _add(tar: tarfile.TarFile, entry: EntryLike, data_from: dict[str, str],
         first: dict[str, str], found: dict[str, tuple[int, int]],
         xattrs: dict[str, dict[str, str]], spool: BinaryIO, epoch: int | None) -> None:
    info = tarfile.TarInfo(entry.path)
    info.mode, info.uid, info.gid = entry.mode & 0o7777, entry.uid, entry.gid
    info.uname = info.gname = ""
    info.mtime = min(entry.mtime, epoch) if epoch is not None else entry.mtime
    info.pax_headers = dict(sorted(xattrs.get(entry.path, {}).items()))
    source = data_from.get(entry.path)
    if source is not None:
        if source in first:  # a later path of a hard-link set
            info.type, info.linkname = tarfile.LNKTYPE, first[source]
            tar.addfile(info)
            return
        first[source] = entry.path
        offset, size = found[source]
        info.type, info.size = tarfile.REGTYPE, size
        spool.seek(offset)
        tar.addfile(info, _Window(spool, size))
        return
    if entry.kind in (REG, HARDLINK):
        raise CorruptImageError(f"no bytes for /{entry.path} (hard link to a missing file)")
    info.type = _TYPES.get(entry.kind, tarfile.DIRTYPE)
    if entry.kind == SYMLINK:
        info.linkname = entry.link or ""
    tar.addfile(info)


class _Window:
    """``size`` bytes of the spool from its current position, as a file for ``addfile``."""

    def __init__(self, spool: BinaryIO, size: int) -> None:
        self.spool, self.left = spool, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.spool.read(n)
        self.left -= len(data)
        return data


def _gzip(src: str, dest: str) -> tuple[str, int]:
    """gzip ``src`` into ``dest`` (no name, no time stamp); the blob digest and size."""
    # heavy optional dependency: imported on first use (ISA-L's deflate, when a layer is written)
    from isal import isal_zlib

    digest = hashlib.sha256()
    size = 0
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 31)
    with open(src, "rb") as inp, open(dest, "wb") as out:
        while chunk := inp.read(1 << 20):
            for part in (compressor.compress(chunk),):
                digest.update(part)
                size += out.write(part)
        tail = compressor.flush()
        digest.update(tail)
        size += out.write(tail)
    return f"sha256:{digest.hexdigest()}", size


__all__ = ["EntryLike", "LayerBlob", "sort_key", "write_layer"]
