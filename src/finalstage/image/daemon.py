"""Docker Engine API image source (``docker-daemon:NAME``): Docker, or podman's compatible service.

``GET /images/{name}/get`` streams a ``docker save`` tar. That stream is not seekable and puts
``manifest.json`` at its end, so nothing can be read until the whole tar has arrived anyway: we
spool it to a private temporary file (disk, never memory) and hand it to the docker-archive
reader, which indexes it once and streams each layer out of it. The temporary directory lives
as long as the core (``close()`` or garbage collection removes it).

The daemon is found at ``host`` (``unix:///path`` or ``tcp://host:port``), else ``$DOCKER_HOST``,
else the first socket that exists of ``/var/run/docker.sock``, ``/run/podman/podman.sock`` and
``$XDG_RUNTIME_DIR/podman/podman.sock``.

Bounds come from the run's ``Limits``: ``daemon_timeout`` per Engine API operation,
``max_response_bytes`` for an error body, and the docker-archive limits for the saved tar.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import httpx

from finalstage.errors import ImageError, ImageNotFoundError, UsageError
from finalstage.image import archive
from finalstage.image.platform import check_single_platform
from finalstage.image.spooled import SpooledCore
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint

DEFAULT_SOCKETS = ("/var/run/docker.sock", "/run/podman/podman.sock")
SPOOL_CHUNK = 1 << 20


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


def _spool(name: str, host: str, limits: Limits, dest: Path) -> None:
    timeout = limits.daemon_timeout
    client, base = _client(host, timeout)
    what = f"saving {name} from docker daemon at {host}"
    url = f"{base}/images/{quote(name, safe='/:@')}/get"
    try:
        with client, client.stream("GET", url) as response:
            if response.status_code != 200:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limits.max_response_bytes:
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
        raise ImageError(
            f"{what}: timed out after {timeout:g} s ({limit_hint('daemon_timeout')})"
        ) from err
    except httpx.HTTPError as err:
        text = str(err).strip().splitlines()[0].lower() if str(err).strip() else "failed"
        raise ImageError(f"{what}: {text}") from err
    except OSError as err:
        raise ImageError(f"{what}: writing {dest}: {err.strerror or err}") from err


def open_core(
    name: str,
    *,
    platform: str | None = None,
    host: str | None = None,
    timeout: float | None = None,
    limits: Limits | None = None,
) -> SpooledCore:
    """Save ``name`` from the daemon into a private temp file and open it as a docker-archive.

    ``limits`` bound the daemon's answers and the saved archive; ``timeout``, when given,
    overrides ``limits.daemon_timeout``."""
    limits = limits or DEFAULT_LIMITS
    if timeout is not None:
        limits = replace(limits, daemon_timeout=timeout)
    if not name or any(c.isspace() or ord(c) < 0x20 for c in name):
        raise UsageError(f"invalid image name {name!r} for docker-daemon:")
    host = host or _default_host()
    spool_dir = tempfile.TemporaryDirectory(prefix="finalstage-daemon-")
    try:
        tar = Path(spool_dir.name) / "image.tar"
        _spool(name, host, limits, tar)
        inner = archive.open_core(str(tar), limits=limits)
        check_single_platform(inner.raw_config(), platform, f"docker-daemon:{name}")
    except BaseException:
        spool_dir.cleanup()
        raise
    return SpooledCore(f"docker-daemon:{name}", inner, spool_dir)

