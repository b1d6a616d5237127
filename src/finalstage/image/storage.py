"""containers-storage image source (``containers-storage:NAME``): podman/buildah local storage.

Why through skopeo: containers-storage keeps each layer *unpacked* (overlay/vfs directories) and
rebuilds the exact tar only with its ``tar-split`` metadata, under storage locks shared with
running podman/buildah processes, with a layout (``overlay-layers/layers.json``,
``overlay-images/images.json``, per-driver quirks, rootless paths) that is private to
containers/storage. Re-implementing that would be large and fragile. ``skopeo copy
containers-storage:NAME dir:TMP`` is the library's own code doing it under the right locks; the
``dir:`` transport takes any manifest type as it is, so the config (the image ID podman shows)
is the stored one, byte for byte (an ``oci:`` copy would convert a Docker-format image and
change its ID), and the layers stay as stored (uncompressed, no gzip pass). The cost is one copy
of the layer tars to a private temporary directory (removed by ``close()`` or at garbage
collection). This source therefore needs ``skopeo`` on ``PATH``.

The digest: containers-storage keeps the manifest the image was built or pulled with, and that
manifest's digest is the image's digest (``skopeo inspect`` and ``podman images --digests``).
The copy's manifest names the layers as copied (uncompressed), so for a pulled image it is not
the stored one: ``skopeo inspect --raw`` reads the stored manifest, which ``raw_manifest``
returns. Its config must be the copy's, or the name moved to another image in between.

``NAME`` is anything containers-storage accepts, including an explicit store
(``[vfs@/root/dir+/run/dir]localhost/app:1``) and image IDs. Each ``skopeo`` run gets
``Limits.storage_timeout``; the copy is read with the run's layout limits.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from finalstage.errors import CorruptImageError, ImageError, ImageNotFoundError, UsageError
from finalstage.escape import one_line
from finalstage.image import digest as dg
from finalstage.image import layout
from finalstage.image.platform import check_single_platform
from finalstage.image.spooled import SpooledCore
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint

_NOT_FOUND = ("does not resolve to an image id", "image not known", "no such image")


def _skopeo(name: str, args: list[str], timeout: float) -> bytes:
    """``skopeo ARGS`` about ``containers-storage:NAME``: its stdout, or the error it reports."""
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise ImageError(f"reading containers-storage:{name}: needs skopeo, which is not installed")
    try:
        res = subprocess.run([skopeo, *args], capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise ImageError(
            f"reading containers-storage:{one_line(name)}: skopeo timed out after {timeout:g} s"
            f" ({limit_hint('storage_timeout')})"
        ) from err
    except OSError as err:
        raise ImageError(f"reading containers-storage:{name}: running skopeo: {err}") from err
    if res.returncode == 0:
        return res.stdout
    stderr = res.stderr.decode("utf-8", errors="replace")
    detail = tool_failure(stderr, "skopeo", res.returncode)
    if is_not_found(detail):
        raise ImageNotFoundError(f"image not found in containers-storage: {one_line(name)}")
    raise ImageError(f"reading containers-storage:{one_line(name)}: {one_line(detail)}")


def stored_manifest(name: str, timeout: float, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The manifest containers-storage keeps for ``name`` (its digest is the image's)."""
    raw = _skopeo(name, ["inspect", "--raw", f"containers-storage:{name}"], timeout)
    if len(raw) > limits.max_manifest_bytes:
        raise CorruptImageError(
            f"reading containers-storage:{one_line(name)}: manifest is larger than"
            f" {limits.max_manifest_bytes} bytes ({limit_hint('max_manifest_bytes')})"
        )
    return raw


def _config_digest(raw_manifest: bytes) -> str | None:
    try:
        doc = json.loads(raw_manifest)
    except (ValueError, RecursionError):
        return None
    config = doc.get("config") if isinstance(doc, dict) else None
    digest = config.get("digest") if isinstance(config, dict) else None
    return digest if isinstance(digest, str) else None


def tool_failure(stderr: str, tool: str, returncode: int) -> str:
    """What a failed skopeo or podman said: its last line, and of a log line
    (`time=… level=fatal msg="…"`) just the message."""
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    detail = lines[-1] if lines else f"{tool} exited with {returncode}"
    if 'msg="' in detail:
        detail = detail.split('msg="', 1)[1].rstrip('"').replace('\\"', '"')
    return detail


def is_not_found(detail: str) -> bool:
    """Whether a tool's failure says the image is not in containers-storage."""
    return any(marker in detail.lower() for marker in _NOT_FOUND)


def open_core(
    name: str,
    *,
    platform: str | None = None,
    timeout: float | None = None,
    limits: Limits | None = None,
) -> SpooledCore:
    """Copy ``name`` out of containers-storage (with skopeo) and open the copy.

    ``timeout``, when given, overrides ``limits.storage_timeout``."""
    limits = limits or DEFAULT_LIMITS
    if not name or any(c.isspace() or ord(c) < 0x20 for c in name):
        raise UsageError(f"invalid image name {name!r} for containers-storage:")
    wait = limits.storage_timeout if timeout is None else timeout
    label = f"containers-storage:{name}"
    manifest = stored_manifest(name, wait, limits)
    tmp = tempfile.TemporaryDirectory(prefix="finalstage-storage-")
    try:
        copy = Path(tmp.name) / "dir"
        _skopeo(name, ["copy", "--quiet", label, f"dir:{copy}"], wait)
        inner = layout.open_dir_transport_core(str(copy), label, limits=limits)
        check_single_platform(inner.raw_config(), platform, label)
        if _config_digest(manifest) != dg.of_bytes(inner.raw_config()):
            raise ImageError(f"reading {one_line(label)}: the name moved to another image while"
                             " it was read; try again")
    except BaseException:
        tmp.cleanup()
        raise
    return SpooledCore(label, inner, tmp, manifest=manifest)
