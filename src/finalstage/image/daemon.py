"""Docker Engine API image source (``docker-daemon:NAME``): Docker, or podman's compatible service.

``GET /images/{name}/get`` streams a ``docker save`` tar. That stream is not seekable and puts
``manifest.json`` at its end, so nothing can be read until the whole tar has arrived anyway: we
spool it to a private temporary file (disk, never memory) and hand it to the docker-archive
reader, which indexes it once and streams each layer out of it. The temporary directory lives
as long as the core (``close()`` or garbage collection removes it).

The daemon is found at ``host`` (``unix:///path`` or ``tcp://host:port``), else ``$DOCKER_HOST``,
else the first socket that exists of ``/var/run/docker.sock``, ``/run/podman/podman.sock`` and
``$XDG_RUNTIME_DIR/podman/podman.sock``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import httpx

from finalstage.errors import ImageError, ImageNotFoundError, UsageError
from finalstage.image.core import ImageCore, LayerHandle

DEFAULT_SOCKETS = ("/var/run/docker.sock", "/run/podman/podman.sock")
SPOOL_CHUNK = 1 << 20
MAX_ERROR_BODY = 64 * 1024


def _default_host() -> str:
    if env := os.environ.get("DOCKER_HOST"):
        return env
    candidates = list(DEFAULT_SOCKETS)
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(f"{runtime}/podman/podman.sock")
    for path in candidates:
        if os.path.exists(path):
            return f"unix://{path}"
    return f"unix://{DEFAULT_SOCKETS[0]}"


def _client(host: str, timeout: float) -> tuple[httpx.Client, str]:
    """An httpx client for ``host`` and the base URL to use with it."""
    if host.startswith("unix://"):
        path = host[len("unix://") :]
        if not path:
            raise UsageError(f"invalid docker host {host!r}: no socket path")
        if not os.path.exists(path):
            raise ImageError(f"connecting to docker daemon at {host}: no such socket {path}")
        transport = httpx.HTTPTransport(uds=path)
        return httpx.Client(transport=transport, timeout=timeout), "http://docker"
    if host.startswith("tcp://"):
        return httpx.Client(timeout=timeout), "http://" + host[len("tcp://") :].rstrip("/")
    raise UsageError(f"unsupported docker host {host!r}: use unix:///path or tcp://host:port")


def _error_message(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", "replace").strip().splitlines()[0][:200] if body.strip() else ""
    message = doc.get("message") if isinstance(doc, dict) else None
    return str(message)[:200] if message else ""


class DaemonCore:
    """An image saved out of a Docker-API daemon, read through the docker-archive reader."""

    def __init__(self, name: str, inner: ImageCore, spool_dir: tempfile.TemporaryDirectory[str]):
        self.name = name
        self._inner = inner
        self._spool_dir = spool_dir

    def raw_config(self) -> bytes:
        return self._inner.raw_config()

    def raw_manifest(self) -> bytes | None:
        return self._inner.raw_manifest()

    def layers(self) -> Sequence[LayerHandle]:
        return self._inner.layers()

    def describe(self) -> str:
        return f"docker-daemon:{self.name}"

    def close(self) -> None:
        """Delete the spooled archive."""
        self._spool_dir.cleanup()


def _spool(name: str, host: str, timeout: float, dest: Path) -> None:
    client, base = _client(host, timeout)
    what = f"saving {name} from docker daemon at {host}"
    url = f"{base}/images/{quote(name, safe='/:@')}/get"
    try:
        with client, client.stream("GET", url) as response:
            if response.status_code != 200:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ERROR_BODY:
                        break
                detail = _error_message(body)
                if response.status_code == 404:
                    raise ImageNotFoundError(f"image not found in docker daemon at {host}: {name}")
                raise ImageError(
                    f"{what}: {response.status_code} {detail or response.reason_phrase}".rstrip()
                )
            with dest.open("wb") as out:
                for chunk in response.iter_raw(SPOOL_CHUNK):
                    out.write(chunk)
    except httpx.TimeoutException as err:
        raise ImageError(f"{what}: timed out after {timeout:g}s") from err
    except httpx.HTTPError as err:
        text = str(err).strip().splitlines()[0].lower() if str(err).strip() else "failed"
        raise ImageError(f"{what}: {text}") from err
    except OSError as err:
        raise ImageError(f"{what}: writing {dest}: {err.strerror or err}") from err


def _check_platform(core: ImageCore, platform: str | None, name: str) -> None:
    # docker save gives one platform, the one stored; say so instead of analysing another.
    if platform is None:
        return
    from finalstage.image.platform import Platform

    want = Platform.parse(platform)
    try:
        cfg = json.loads(core.raw_config())
        have = Platform(
            str(cfg.get("os", "")), str(cfg.get("architecture", "")), cfg.get("variant") or None
        )
    except (ValueError, AttributeError):
        return
    if not want.matches(have):
        raise ImageNotFoundError(
            f"docker-daemon:{name}: no image for platform {want}; available: {have}"
        )


def open_core(
    name: str, *, platform: str | None = None, host: str | None = None, timeout: float = 300.0
) -> DaemonCore:
    """Save ``name`` from the daemon into a private temp file and open it as a docker-archive."""
    if not name or any(c.isspace() or ord(c) < 0x20 for c in name):
        raise UsageError(f"invalid image name {name!r} for docker-daemon:")
    host = host or _default_host()
    spool_dir = tempfile.TemporaryDirectory(prefix="finalstage-daemon-")
    try:
        tar = Path(spool_dir.name) / "image.tar"
        _spool(name, host, timeout, tar)
        from finalstage.image import archive  # lazy: only this source needs it

        inner = archive.open_core(str(tar))
        _check_platform(inner, platform, name)
    except BaseException:
        spool_dir.cleanup()
        raise
    return DaemonCore(name, inner, spool_dir)


_: type[ImageCore] = DaemonCore
