"""containers-storage for a fleet scan: list the local images, and read an image's manifest and
config without copying its layers.

``storage.open_core`` copies a whole image out of containers-storage (with skopeo) before
anything can be read. A scan first needs only each image's manifest and config — a warm rerun
needs nothing else — so ``LazyStorageCore`` asks ``skopeo inspect`` for those and makes the copy
the first time a layer is opened. Its layer handles carry the config's ``diff_id`` (what the
copy is verified against) and no blob digest: the copy may store a layer compressed
differently than the manifest in storage says.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import threading
from collections.abc import Sequence
from typing import Any, BinaryIO

from finalstage.errors import CorruptImageError, ImageError, ImageNotFoundError
from finalstage.escape import one_line
from finalstage.image import storage
from finalstage.image.core import ImageCore, LayerHandle
from finalstage.image.spooled import SpooledCore
from finalstage.limits import DEFAULT_LIMITS, Limits


def _tool(name: str, args: list[str], what: str, timeout: float) -> bytes:
    exe = shutil.which(name)
    if exe is None:
        raise ImageError(f"{what}: needs {name}, which is not installed")
    try:
        res = subprocess.run([exe, *args], capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise ImageError(f"{what}: {name} timed out after {timeout:g} s") from err
    except OSError as err:
        raise ImageError(f"{what}: running {name}: {err}") from err
    if res.returncode != 0:
        detail = storage.tool_failure(res.stderr.decode(errors="replace"), name, res.returncode)
        if storage.is_not_found(detail):
            raise ImageNotFoundError(f"{what}: image not found in containers-storage")
        raise ImageError(f"{what}: {one_line(detail)}")
    return res.stdout


def list_images(timeout: float = DEFAULT_LIMITS.storage_timeout) -> list[str]:
    """The named images of local podman storage, one name per image id (the first name in
    sorted order), sorted; untagged (intermediate) images are left out."""
    out = _tool("podman", ["images", "--format", "json"], "listing containers-storage", timeout)
    try:
        doc = json.loads(out or b"[]")
    except ValueError as err:
        raise ImageError("listing containers-storage: podman printed invalid json") from err
    names: dict[str, str] = {}
    for image in doc if isinstance(doc, list) else []:
        tags = sorted(n for n in (image.get("Names") or []) if isinstance(n, str) and n)
        ident = image.get("Id")
        if tags and isinstance(ident, str):
            names.setdefault(ident, tags[0])
    return sorted(set(names.values()))


class LazyStorageCore:
    """An image of containers-storage: manifest and config by ``skopeo inspect``, layers from
    a private copy made on first use (``storage.open_core``), deleted by ``close``."""

    def __init__(self, name: str, *, platform: str | None = None,
                 limits: Limits | None = None) -> None:
        self.name = name
        self.platform = platform
        self.limits = limits or DEFAULT_LIMITS
        self._manifest: bytes | None = None
        self._config: bytes | None = None
        self._copy: SpooledCore | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"containers-storage:{self.name}"

    def _inspect(self, *extra: str) -> bytes:
        return _tool("skopeo", ["inspect", "--raw", *extra, self.describe()],
                     f"reading {one_line(self.describe())}", self.limits.storage_timeout)

    def raw_manifest(self) -> bytes:
        if self._manifest is None:
            self._manifest = self._inspect()
        return self._manifest

    def raw_config(self) -> bytes:
        if self._config is None:
            self._config = self._inspect("--config")
        return self._config

    def layers(self) -> Sequence[LayerHandle]:
        try:
            config = json.loads(self.raw_config())
            diff_ids = config["rootfs"]["diff_ids"]
        except (ValueError, KeyError, TypeError) as err:
            raise CorruptImageError(f"config of {self.describe()}: no rootfs.diff_ids") from err
        if not isinstance(diff_ids, list):
            raise CorruptImageError(f"config of {self.describe()}: diff_ids is not a list")
        return [LayerHandle(None, None, str(d), None, self._opener(i))
                for i, d in enumerate(diff_ids)]

    def _opener(self, index: int) -> "_Open":
        return _Open(self, index)

    def copied(self) -> SpooledCore:
        """The private copy of the whole image (made once)."""
        with self._lock:
            if self._copy is None:
                self._copy = storage.open_core(self.name, platform=self.platform,
                                               limits=self.limits)
            return self._copy

    def close(self) -> None:
        """Delete the private copy, if one was made."""
        if self._copy is not None:
            self._copy.close()
            self._copy = None


class _Open:
    """Opens layer ``index`` of the private copy, lazily (see ``_LazyStream``)."""

    def __init__(self, core: LazyStorageCore, index: int) -> None:
        self.core = core
        self.index = index

    def __call__(self) -> BinaryIO:
        return _LazyStream(self)  # type: ignore[return-value]

    def open_now(self) -> BinaryIO:
        handles = self.core.copied().layers()
        if self.index >= len(handles):
            raise CorruptImageError(f"{self.core.describe()}: layer {self.index} is missing "
                                    "from the copy")
        return handles[self.index].open()


class _LazyStream(io.RawIOBase):
    """A layer stream that makes the copy only when first read, and hides its file: a layer
    of containers-storage is identified by its diff_id (like a registry blob by its digest),
    not by the temporary file of one copy, so asking who it is copies nothing."""

    def __init__(self, opener: _Open) -> None:
        super().__init__()
        self._opener = opener
        self._inner: BinaryIO | None = None

    def _stream(self) -> BinaryIO:
        if self._inner is None:
            self._inner = self._opener.open_now()
        return self._inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream().read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def read(self, size: int = -1) -> bytes:
        return self._stream().read(size)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
            self._inner = None
        super().close()


_: type[ImageCore] = LazyStorageCore


__all__ = ["LazyStorageCore", "list_images"]
