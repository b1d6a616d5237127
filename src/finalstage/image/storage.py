"""containers-storage image source (``containers-storage:NAME``): podman/buildah local storage.

Why through skopeo: containers-storage keeps each layer *unpacked* (overlay/vfs directories) and
rebuilds the exact tar only with its ``tar-split`` metadata, under storage locks shared with
running podman/buildah processes, with a layout (``overlay-layers/layers.json``,
``overlay-images/images.json``, per-driver quirks, rootless paths) that is private to
containers/storage. Re-implementing that would be large and fragile. ``skopeo copy
containers-storage:NAME oci:TMP`` is the library's own code doing it under the right locks, and
``--dest-oci-accept-uncompressed-layers`` keeps the layers as stored (no gzip pass), so the cost
is one copy of the layer tars to a private temporary directory (removed by ``close()`` or at
garbage collection). The config is unchanged by the copy, so the config digest and diff_ids are
those podman reports. This source therefore needs ``skopeo`` on ``PATH``.

``NAME`` is anything containers-storage accepts, including an explicit store
(``[vfs@/root/dir+/run/dir]localhost/app:1``) and image IDs. ``skopeo`` gets
``Limits.storage_timeout``; the copy is read with the run's layout limits.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from finalstage.errors import ImageError, ImageNotFoundError, UsageError
from finalstage.escape import one_line
from finalstage.image import layout
from finalstage.image.platform import check_single_platform
from finalstage.image.spooled import SpooledCore
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint

_NOT_FOUND = ("does not resolve to an image id", "image not known", "no such image")


def _skopeo_copy(name: str, dest: Path, timeout: float) -> None:
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise ImageError(f"reading containers-storage:{name}: needs skopeo, which is not installed")
    cmd = [
        skopeo,
        "copy",
        "--quiet",
        "--dest-oci-accept-uncompressed-layers",
        f"containers-storage:{name}",
        f"oci:{dest}:image",
    ]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise ImageError(
            f"reading containers-storage:{one_line(name)}: skopeo timed out after {timeout:g} s"
            f" ({limit_hint('storage_timeout')})"
        ) from err
    except OSError as err:
        raise ImageError(f"reading containers-storage:{name}: running skopeo: {err}") from err
    if res.returncode == 0:
        return
    detail = tool_failure(res.stderr, "skopeo", res.returncode)
    if is_not_found(detail):
        raise ImageNotFoundError(f"image not found in containers-storage: {one_line(name)}")
    raise ImageError(f"reading containers-storage:{one_line(name)}: {one_line(detail)}")


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
    tmp = tempfile.TemporaryDirectory(prefix="finalstage-storage-")
    try:
        layout_dir = Path(tmp.name) / "oci"
        _skopeo_copy(name, layout_dir, limits.storage_timeout if timeout is None else timeout)
        inner = layout.open_dir_core(str(layout_dir), "image", limits=limits)
        check_single_platform(inner.raw_config(), platform, f"containers-storage:{name}")
    except BaseException:
        tmp.cleanup()
        raise
    return SpooledCore(f"containers-storage:{name}", inner, tmp)

