"""Index an outer archive (docker-archive, oci-archive) once: name → (offset, size).

go-containerregistry's ``extractFileFromTar`` rescans the tar from the start on every lookup;
here the headers are read once (seeking past data) and every later read is a ``pread`` at a
known offset, so layers are streamed straight out of the archive file with no extraction.

A gzip/xz/zstd-wrapped archive (``docker save | gzip``) cannot be seeked into, and its members
are needed in an order that differs from the archive order (``manifest.json`` comes last, layers
are read in manifest order). Re-decompressing the stream for each member would cost
O(layers × archive); instead it is decompressed ONCE to an anonymous temporary file (deleted
automatically, bounded by ``Limits.max_decompressed``) and indexed like a plain tar.

The outer tar is read with the run's ``Limits`` (``--limit``): entries, header sizes and path
length/depth bound it like a layer, and ``read`` bounds the JSON members it returns.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from dataclasses import dataclass
from typing import BinaryIO, cast

from finalstage.errors import CorruptImageError, ImageNotFoundError, UnsafeArchiveError
from finalstage.image.blobstream import CHUNK, LayerStream
from finalstage.image.compression import sniff
from finalstage.image.tarheader import DIR, HARDLINK, REG, SYMLINK, normalise
from finalstage.image.tarstream import iter_tar
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint


@dataclass(frozen=True)
class Member:
    offset: int
    size: int
    kind: str
    link: str | None


class _Slice(io.RawIOBase):
    """A read-only window [start, start+size) of a file descriptor, read with pread."""

    def __init__(self, owner: TarIndex, start: int, size: int) -> None:
        self._owner = owner  # keeps the fd (and a temp file) alive
        self._fd = owner.fd
        self._start = start
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        else:
            pos = self._size + offset
        self._pos = max(0, pos)
        return self._pos

    def read(self, n: int = -1) -> bytes:
        left = self._size - self._pos
        if n is None or n < 0 or n > left:
            n = left
        if n <= 0:
            return b""
        data = os.pread(self._fd, n, self._start + self._pos)
        self._pos += len(data)
        return data

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class _FileSource:
    """ByteSource over a seekable slice without hashing (the outer archive is not digested)."""

    def __init__(self, f: _Slice) -> None:
        self.f = f

    def read(self, n: int) -> bytes:
        return self.f.read(max(n, CHUNK))

    def skip(self, n: int) -> int:
        pos = self.f.tell()
        end = self.f.seek(0, io.SEEK_END)
        target = min(pos + n, end)
        self.f.seek(target)
        return target - pos


class TarIndex:
    """The members of one archive file, indexed once; ``open(name)`` streams one member."""

    def __init__(self, path: str, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self.path = path
        self.limits = limits
        self.context = f"reading archive {path}"
        try:
            st = os.stat(path)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(path)
            if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
                raise ImageNotFoundError(f"{self.context}: not a regular file")
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise ImageNotFoundError(f"{self.context}: no such file") from None
        except IsADirectoryError:
            raise ImageNotFoundError(f"{self.context}: is a directory") from None
        except OSError as err:
            raise ImageNotFoundError(f"{self.context}: {str(err.strerror or err).lower()}") from err
        self._tmp: BinaryIO | None = None
        self.fd = fd
        self.wrapped: str | None = None
        try:
            head = os.pread(fd, 8, 0)
            kind = sniff(head)
            if kind != "tar":
                self.wrapped = kind
                self._tmp = self._unwrap(kind, limits)
                os.close(fd)
                self.fd = self._tmp.fileno()
            self.members = self._index(limits)
        except OSError as err:  # a FIFO, a device, an I/O error: not a readable archive
            self.close()
            raise CorruptImageError(f"{self.context}: {str(err.strerror or err).lower()}") from err
        except BaseException:
            self.close()
            raise

    def _unwrap(self, kind: str, limits: Limits) -> BinaryIO:
        size = os.fstat(self.fd).st_size
        src = LayerStream(
            cast(BinaryIO, _Slice(self, 0, size)),
            context=f"{self.context}: {kind} wrapper",
            limits=limits,
            blob_digest=None,
            diff_id=None,
            verify=False,
        )
        tmp = tempfile.TemporaryFile(prefix="finalstage-")  # noqa: SIM115 - lives with the index
        try:
            while True:
                data = src.read(CHUNK * 4)
                if not data:
                    break
                tmp.write(data)
            tmp.flush()
        except OSError as err:
            tmp.close()
            raise CorruptImageError(f"{self.context}: writing temporary file: {err}") from err
        except BaseException:
            tmp.close()
            raise
        return cast(BinaryIO, tmp)

    def _index(self, limits: Limits) -> dict[str, Member]:
        size = os.fstat(self.fd).st_size
        offsets: list[int] = []
        src = _FileSource(_Slice(self, 0, size))
        members: dict[str, Member] = {}
        entries = list(iter_tar(src, context=self.context, limits=limits, offsets=offsets))
        if not entries:
            raise CorruptImageError(f"{self.context}: empty archive (not a tar file?)")
        for entry, off in zip(entries, offsets):
            members[entry.path] = Member(off, entry.size, entry.kind, entry.link)
        return members

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.close()
            self._tmp = None
        elif self.fd >= 0:
            os.close(self.fd)
        self.fd = -1

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 - best effort at interpreter shutdown
            pass

    def resolve(self, name: str) -> Member | None:
        """The regular-file member behind ``name``, following links with a cycle check."""
        seen: set[str] = set()
        current = name
        while True:
            if current in seen:
                raise CorruptImageError(f"{self.context}: link cycle at {current!r}")
            seen.add(current)
            m = self.members.get(current)
            if m is None:
                return None
            if m.kind == REG:
                return m
            if m.kind == DIR:
                return None
            if m.kind == SYMLINK and m.link is not None:
                base = current.rsplit("/", 1)[0] if "/" in current else ""
                target = m.link if m.link.startswith("/") else f"{base}/{m.link}"
                try:
                    current = normalise(target, self.context)
                except UnsafeArchiveError:
                    raise UnsafeArchiveError(
                        f"{self.context}: link {name!r} points outside the archive"
                    ) from None
            elif m.kind == HARDLINK and m.link is not None:
                current = m.link
            else:
                return None

    def has(self, name: str) -> bool:
        return self.resolve(name) is not None

    def open(self, name: str) -> BinaryIO:
        m = self.resolve(name)
        if m is None:
            raise CorruptImageError(f"{self.context}: missing member {name!r}")
        return _Slice(self, m.offset, m.size)  # type: ignore[return-value]

    def read(self, name: str, *, limit_field: str) -> bytes:
        """The whole of member ``name``, refused when it is larger than the limit
        ``limit_field`` of ``self.limits`` (``max_manifest_bytes``, ``max_config_bytes``…)."""
        m = self.resolve(name)
        if m is None:
            raise CorruptImageError(f"{self.context}: missing member {name!r}")
        limit = getattr(self.limits, limit_field)
        if m.size > limit:
            raise UnsafeArchiveError(
                f"{self.context}: {name} is {m.size} bytes, over {limit} bytes"
                f" ({limit_hint(limit_field)})"
            )
        data = os.pread(self.fd, m.size, m.offset)
        if len(data) != m.size:
            raise CorruptImageError(f"{self.context}: unexpected end of archive in {name!r}")
        return data
