"""A counting, fault-injecting HTTP proxy in front of a real registry on 127.0.0.1.

``FaultServer`` (faultserver.py) *is* a small registry; this proxy instead sits in front of the
real ``docker-registry`` (registry.py) and passes every request through, so the registry's own
answers (Content-Length, ``Range`` and ``Content-Range``, digests) reach the client unchanged
unless a fault says otherwise. It records every request (method, path, ``Range``) so tests can
count blob GETs, and misbehaves on blob requests on demand (``inject``, any mix of):

- ``rate``: send the body at ``rate`` bytes per second (headers at once): a trickle;
- ``every``: hang up after every ``every`` bytes of one response (a link that drops);
- ``status``: answer ``status`` (503, 404…) without asking the registry;
- ``shift``: answer a ``Range`` request with a 206 that starts ``shift`` bytes earlier than
  asked, with an honest ``Content-Range`` for what it sends.

``hangups`` counts the responses the client closed before their end (a client that stops a
download must close its connection).

Every loop is bounded by the proxy's stop event, and the proxy stops itself after ``lifetime``
seconds, so a client bug fails a test instead of hanging it.

Also here: ``five_layer_layout``, a 5-layer OCI layout of incompressible files written in Python,
pushed to the registry with ``skopeo`` by the tests.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import os
import tarfile
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.harness.faultserver import Fault, LoopbackServer

BLOB = "/blobs/sha256:"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te",
              "trailer", "upgrade", "host"}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    range: str | None


@dataclass
class ProxyFault(Fault):
    """What to do wrong on blob requests; ``digests`` None means every blob."""

    digests: frozenset[str] | None = None


class RegistryProxy(LoopbackServer):
    """A threaded HTTP proxy on 127.0.0.1:<free port> to ``upstream`` (``HOST:PORT``)."""

    def __init__(self, upstream: str, *, lifetime: float = 120.0) -> None:
        self.upstream = upstream
        self.requests: list[Seen] = []
        self.hangups = 0
        self.fault: ProxyFault | None = None
        super().__init__(lifetime)

    def inject(self, *, digests: set[str] | None = None, times: int | None = None,
               **params: Any) -> None:
        """Misbehave on blob requests (``digests``: only these blobs; ``times``: only the
        first requests); ``params`` as in the module doc."""
        self.fault = ProxyFault("proxy", times, params,
                                frozenset(digests) if digests is not None else None)

    def clear(self) -> None:
        with self._lock:
            self.fault = None
            self.requests.clear()
            self.hangups = 0

    def blob_gets(self, digests: set[str] | None = None) -> list[Seen]:
        """The GETs of blobs seen so far (of ``digests`` only, when given)."""
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and BLOB in r.path
                    and (digests is None or r.path.rsplit("/", 1)[1] in digests)]

    def _take_fault(self, path: str) -> ProxyFault | None:
        with self._lock:
            f = self.fault
            if f is None or BLOB not in path:
                return None
            if f.digests is not None and path.rsplit("/", 1)[1] not in f.digests:
                return None
            return f if f.use() else None

    def _client_gone(self) -> None:
        with self._lock:
            self.hangups += 1

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(Seen(h.command, path, h.headers.get("Range")))
        fault = self._take_fault(path)
        params = fault.params if fault is not None else {}
        if "status" in params:
            body = b'{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}'
            return self._send(h, params["status"], body)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
        if "shift" in params and "Range" in h.headers:
            start = int(h.headers["Range"][6:-1])
            headers["Range"] = f"bytes={max(0, start - params['shift'])}-"
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            conn.request(h.command, h.path, headers=headers)
            resp = conn.getresponse()
            out = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
            length = resp.getheader("Content-Length")
            if length is None:  # not streamed: read it all and send it with a length
                self._send(h, resp.status, resp.read(), out)
                return
            self._head(h, resp.status, int(length), out)
            if h.command != "HEAD":
                self._pump(h, resp, int(length), params)
        finally:
            conn.close()

    def _pump(self, h: BaseHTTPRequestHandler, resp: http.client.HTTPResponse, length: int,
              params: dict[str, Any]) -> None:
        """Copy the body, trickled or cut as the fault says."""
        rate, every = params.get("rate", 0), params.get("every", 0)
        step = max(1, rate // 20) if rate else 64 * 1024
        sent = 0
        while sent < length and not self._stopped.is_set():
            want = min(step, length - sent)
            if every:
                want = min(want, every - sent % every if sent % every else every)
            chunk = resp.read(want)
            if not chunk:
                break
            h.wfile.write(chunk)
            h.wfile.flush()
            sent += len(chunk)
            if every and sent % every == 0 and sent < length:
                break  # the link drops
            if rate:
                self._stopped.wait(len(chunk) / rate)
        if sent < length:
            h.close_connection = True

# --- a 5-layer image, written as an OCI layout ---------------------------------------------


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer(n: int, size: int) -> bytes:
    """A tar with one incompressible file ``layer<n>/data`` of ``size`` bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo(f"layer{n}")
        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
        tf.addfile(info)
        data = os.urandom(size)
        info = tarfile.TarInfo(f"layer{n}/data")
        info.size, info.mode, info.mtime = size, 0o644, 1_700_000_000
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def five_layer_layout(root: Path, *, layer_bytes: int = 256 * 1024,
                      layers: int = 5) -> dict[str, Any]:
    """Write an OCI layout of ``layers`` gzip layers (random files) at ``root``; return
    ``{"layers": [digest…], "config": digest, "sizes": [bytes…]}``."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> str:
        digest = _sha256(data)
        (blobs / digest.split(":")[1]).write_bytes(data)
        return digest

    tars = [_layer(n, layer_bytes) for n in range(layers)]
    gz = [gzip.compress(t, compresslevel=1, mtime=0) for t in tars]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"User": "1000"},
        "rootfs": {"type": "layers", "diff_ids": [_sha256(t) for t in tars]},
        "history": [{"created_by": f"COPY layer{n} /layer{n}"} for n in range(layers)],
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": put(g), "size": len(g)} for g in gz],
    }).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest),
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1"}}]}
    (root / "index.json").write_text(json.dumps(index))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return {"layers": [_sha256(g) for g in gz], "config": _sha256(config),
            "sizes": [len(g) for g in gz]}


def wait_until(predicate: Any, timeout: float, step: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
