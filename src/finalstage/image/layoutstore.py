"""Where an OCI layout's files live: a directory (``oci:``) or the one-time index of a tar
(``oci-archive:``), behind one small ``BlobStore`` protocol that ``layout`` resolves images over;
also skopeo's ``dir:`` transport (``manifest.json`` beside blobs named by their hex digest).

Blobs are opened by digest; top-level files (``index.json``) are read bounded by the store's
``max_index_bytes``. A path that is not a regular file (a FIFO would block ``open`` forever,
``/dev/zero`` would never end) is a corrupt image, not a hang.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO, Protocol

from finalstage.errors import CorruptImageError
from finalstage.image import digest as dg
from finalstage.image.tarindex import TarIndex
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint


class BlobStore(Protocol):
    """Where a layout's files live. A store may carry ``limits`` (see ``store_limits``)."""

    where: str

    def read_file(self, name: str) -> bytes | None:
        """A top-level file (``index.json``), bounded by the store's ``max_index_bytes``."""
        ...

    def blob_path(self, digest: str) -> str: ...

    def open_blob(self, digest: str) -> BinaryIO: ...

    def blob_size(self, digest: str) -> int | None: ...


def store_limits(store: BlobStore) -> Limits:
    """The store's limits; a store without any (a test double) gets the defaults."""
    limits = getattr(store, "limits", None)
    return limits if isinstance(limits, Limits) else DEFAULT_LIMITS


def _unreadable(where: str, what: str, err: OSError) -> CorruptImageError:
    return CorruptImageError(f"reading {where}: {what}: {str(err.strerror or err).lower()}")


def _regular(path: str, where: str, what: str) -> bool:
    """False when absent; CorruptImageError when not a regular file (a FIFO would block
    ``open`` forever, ``/dev/zero`` would never end)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as err:
        raise _unreadable(where, what, err) from err
    if stat.S_ISDIR(st.st_mode):
        raise CorruptImageError(f"reading {where}: {what} is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise CorruptImageError(f"reading {where}: {what} is not a regular file")
    return True


class DirStore:
    def __init__(
        self, root: str, shared_blobs: str | None = None, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.root = root
        self.where = f"oci:{root}"
        self.shared = shared_blobs
        self.limits = limits

    def read_file(self, name: str) -> bytes | None:
        path = os.path.join(self.root, name)
        if not _regular(path, self.where, name):
            return None
        limit = self.limits.max_index_bytes
        try:
            with open(path, "rb") as f:
                data = f.read(limit + 1)
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise CorruptImageError(f"reading {self.where}: {name} is a directory") from None
        except OSError as err:
            raise _unreadable(self.where, name, err) from err
        if len(data) > limit:
            raise CorruptImageError(
                f"reading {self.where}: {name} is larger than {limit} bytes"
                f" ({limit_hint('max_index_bytes')})"
            )
        return data

    def blob_path(self, digest: str) -> str:
        algo, hexpart = dg.parse(digest, f"reading {self.where}")
        local = os.path.join(self.root, "blobs", algo, hexpart)
        if self.shared and not os.path.exists(local):
            return os.path.join(self.shared, algo, hexpart)
        return local

    def open_blob(self, digest: str) -> BinaryIO:
        path = self.blob_path(digest)
        if not _regular(path, self.where, f"blob {digest}"):
            raise CorruptImageError(f"reading {self.where}: missing blob {digest}")
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise CorruptImageError(f"reading {self.where}: missing blob {digest}") from None
        except OSError as err:
            raise _unreadable(self.where, f"blob {digest}", err) from err

    def blob_size(self, digest: str) -> int | None:
        path = self.blob_path(digest)
        if not _regular(path, self.where, f"blob {digest}"):
            return None
        return os.stat(path).st_size


class DirTransportStore(DirStore):
    """skopeo's ``dir:`` layout: ``manifest.json`` and each blob as ``<hex digest>``, flat."""

    def __init__(self, root: str, where: str, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__(root, None, limits)
        self.where = where

    def blob_path(self, digest: str) -> str:
        _, hexpart = dg.parse(digest, f"reading {self.where}")
        return os.path.join(self.root, hexpart)


class TarStore:
    def __init__(self, index: TarIndex, limits: Limits | None = None) -> None:
        self.index = index
        self.where = f"oci-archive:{index.path}"
        self.limits = limits or index.limits

    def read_file(self, name: str) -> bytes | None:
        m = self.index.members.get(name)
        if m is None:
            return None
        if m.kind == "d":
            raise CorruptImageError(f"reading {self.where}: {name} is a directory")
        return self.index.read(name, limit_field="max_index_bytes")

    def blob_path(self, digest: str) -> str:
        algo, hexpart = dg.parse(digest, f"reading {self.where}")
        return f"blobs/{algo}/{hexpart}"

    def open_blob(self, digest: str) -> BinaryIO:
        name = self.blob_path(digest)
        if not self.index.has(name):
            raise CorruptImageError(f"reading {self.where}: missing blob {digest}")
        return self.index.open(name)

    def blob_size(self, digest: str) -> int | None:
        m = self.index.resolve(self.blob_path(digest))
        return m.size if m else None
