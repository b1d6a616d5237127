"""A fault-injecting registry on 127.0.0.1 for the hostile-input tests.

It speaks the part of the registry v2 API a puller needs (``GET /v2/``, manifests by tag or
digest, blobs with ``Range``) for one small OCI image it builds in memory, and misbehaves on
request: slow answers, bodies dripped a byte at a time, truncated bodies, wrong
``Content-Length``, wrong content for a digest, redirect loops, redirects to another server,
endless 401s, 429 with ``Retry-After``, 5xx.

Every loop in it is bounded (a drip stops after ``max_seconds``, a sleep wakes when the server
stops) and the server shuts itself down after ``lifetime`` seconds, so a client bug can make a
test fail, never make the suite hang. ``requests`` records what each request carried (method,
path, whether it had an ``Authorization`` header), which is how the tests prove credentials
never reach another host.

::

    with FaultServer() as reg:
        reg.fault("layer", "status", status=500)        # every layer GET answers 500
        core = open_core(f"{reg.host}/{reg.repo}:{reg.tag}", timeout=0.5, retry=...)
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class SmallImage:
    """One gzip layer, its config and manifest, as bytes."""

    layer: bytes
    diff_id: str
    config: bytes
    manifest: bytes
    files: tuple[str, ...]

    @staticmethod
    def build() -> SmallImage:
        buf = io.BytesIO()
        files = ("app/", "app/main", "etc/", "etc/motd")
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for name in files:
                info = tarfile.TarInfo(name.rstrip("/"))
                info.mtime = 1_700_000_000
                if name.endswith("/"):
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    tf.addfile(info)
                else:
                    # Incompressible bytes, so the blob is big enough to cut in the middle.
                    data = b"".join(hashlib.sha256(b"%s%d" % (name.encode(), i)).digest()
                                    for i in range(256))
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
        tar_bytes = buf.getvalue()
        layer = gzip.compress(tar_bytes, mtime=0)
        config = json.dumps({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256(tar_bytes)]},
            "history": [{"created_by": "COPY app /app"}],
        }).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": sha256(config), "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": sha256(layer), "size": len(layer)}],
        }).encode()
        return SmallImage(layer, sha256(tar_bytes), config, manifest,
                          tuple(n.rstrip("/") for n in files))


@dataclass
class Fault:
    """What to do wrong for one kind of request; ``times`` None means every time."""

    kind: str
    times: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def use(self) -> bool:
        """Count one use; False once ``times`` uses are spent."""
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    has_authorization: bool
    range: str | None


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1:<free port> that stops itself after ``lifetime``
    seconds; use as a context manager. Subclasses give ``_handler_class``."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a TLS probe, or a client that hung up between requests

            def do_GET(self) -> None:
                try:
                    owner._serve(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                    owner._client_gone()

            do_HEAD = do_GET

        return Handler

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def _client_gone(self) -> None:
        """The client hung up in the middle of an answer (exactly what some faults provoke)."""

    @staticmethod
    def _head(h: BaseHTTPRequestHandler, status: int, length: int, headers: dict[str, str]) -> None:
        h.send_response(status)
        for k, v in headers.items():
            if k.lower() != "content-length":
                h.send_header(k, v)
        h.send_header("Content-Length", str(length))
        h.end_headers()

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes,
              headers: dict[str, str] | None = None) -> None:
        self._head(h, status, len(body), headers or {})
        if h.command != "HEAD":
            h.wfile.write(body)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def __enter__(self) -> Self:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._stopped.is_set():
            self._stopped.set()
            self._timer.cancel()
            self._server.shutdown()
            self._server.server_close()


class FaultServer(LoopbackServer):
    """A threaded registry on 127.0.0.1:<free port>; use as a context manager."""

    def __init__(self, *, image: SmallImage | None = None, repo: str = "hostile/app",
                 tag: str = "1", basic_auth: tuple[str, str] | None = None,
                 lifetime: float = 120.0) -> None:
        self.image = image or SmallImage.build()
        self.repo = repo
        self.tag = tag
        self.basic_auth = basic_auth
        self.faults: dict[str, Fault] = {}
        self.requests: list[Seen] = []
        super().__init__(lifetime)

    # -- configuration --------------------------------------------------------------------
    def fault(self, target: str, kind: str, *, times: int | None = None, **params: Any) -> None:
        """Misbehave on ``target`` (ping | manifest | config | layer | token | any)."""
        self.faults[target] = Fault(kind, times, params)

    def seen(self, prefix: str = "") -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def _take_fault(self, target: str) -> Fault | None:
        with self._lock:
            f = self.faults.get(target) or self.faults.get("any")
            return f if f is not None and f.use() else None

    def _sleep(self, seconds: float) -> None:
        self._stopped.wait(seconds)  # wakes at once when the server stops

    # -- the handler ----------------------------------------------------------------------
    def _target(self, path: str) -> tuple[str, bytes | None, str]:
        img = self.image
        base = f"/v2/{self.repo}"
        if path == "/v2/":
            return "ping", b"{}", "application/json"
        if path == "/token":
            return "token", None, "application/json"
        if path in (f"{base}/manifests/{self.tag}", f"{base}/manifests/{sha256(img.manifest)}"):
            return "manifest", img.manifest, OCI_MANIFEST
        if path == f"{base}/blobs/{sha256(img.config)}":
            return "config", img.config, "application/octet-stream"
        if path == f"{base}/blobs/{sha256(img.layer)}":
            return "layer", img.layer, "application/octet-stream"
        return "unknown", None, ""

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(Seen(h.command, path, "Authorization" in h.headers,
                                      h.headers.get("Range")))
        target, body, ctype = self._target(path)
        if self.basic_auth and target != "token" and not self._authorised(h):
            return self._send(h, 401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                              {"WWW-Authenticate": 'Basic realm="faultserver"'})
        if target == "token":
            fault = self._take_fault("token")
            if fault is not None and fault.kind == "replace":
                return self._send(h, 200, fault.params["body"])
            return self._send(h, 200, json.dumps({"token": "t0k3n", "expires_in": 300}).encode())
        if body is None:
            return self._send(h, 404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"unknown"}]}')
        fault = self._take_fault(target)
        headers = {"Content-Type": ctype, "Docker-Content-Digest": sha256(body)}
        if fault is None:
            return self._send_range(h, body, headers)
        self._apply(h, fault, body, headers, path)

    def _authorised(self, h: BaseHTTPRequestHandler) -> bool:
        assert self.basic_auth is not None
        user, password = self.basic_auth
        want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return h.headers.get("Authorization") == want

    def _apply(self, h: BaseHTTPRequestHandler, fault: Fault, body: bytes,
               headers: dict[str, str], path: str) -> None:
        p = fault.params
        kind = fault.kind
        if kind == "status":
            extra = {"Retry-After": str(p["retry_after"])} if "retry_after" in p else {}
            default = (b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
                       if p.get("status") == 429 else b"")
            return self._send(h, p.get("status", 500), p.get("body", default), extra)
        if kind == "replace":  # other bytes, with an honest Docker-Content-Digest for them
            new = p["body"]
            return self._send(h, 200, new, {**headers, "Docker-Content-Digest": sha256(new)})
        if kind == "slow":  # nothing at all until `delay` has passed
            self._sleep(p.get("delay", 5.0))
            return self._send(h, 200, body, headers)
        if kind == "drip":  # headers at once, then one byte per `interval`, for at most max_seconds
            self._head(h, 200, len(body), headers)
            end = time.monotonic() + p.get("max_seconds", 8.0)
            for i in range(len(body)):
                if time.monotonic() > end or self._stopped.is_set():
                    break
                h.wfile.write(body[i : i + 1])
                h.wfile.flush()
                self._sleep(p.get("interval", 0.1))
            h.close_connection = True
            return None
        if kind == "truncate":  # promise everything, send `keep` (a fraction) and hang up
            self._head(h, 200, len(body), headers)
            h.wfile.write(body[: int(len(body) * p.get("keep", 0.5))])
            h.wfile.flush()
            h.close_connection = True
            return None
        if kind == "content_length":  # a Content-Length that lies by `delta` bytes
            n = len(body) + p["delta"]
            self._head(h, 200, n, headers)
            h.wfile.write(body if p["delta"] < 0 else body[:])
            h.close_connection = True
            return None
        if kind == "wrong_content":  # the same length, one bit flipped
            bad = body[:-1] + bytes([body[-1] ^ 1])
            if not p.get("honest_header", True):
                headers = {**headers, "Docker-Content-Digest": sha256(bad)}
            return self._send(h, 200, bad, headers)
        if kind == "redirect":  # to `location` (default: the same path, a loop)
            return self._send(h, p.get("status", 302), b"",
                              {"Location": p.get("location", path)})
        if kind == "unauthorized":  # a 401 whatever the client sends
            challenge = p.get("challenge", f'Bearer realm="{self.url}/token",service="fault"')
            return self._send(h, 401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                              {"WWW-Authenticate": challenge})
        raise AssertionError(f"unknown fault {kind!r}")

    # -- responses ------------------------------------------------------------------------
    def _send_range(self, h: BaseHTTPRequestHandler, body: bytes, headers: dict[str, str]) -> None:
        rng = h.headers.get("Range", "")
        if rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            part = body[start:]
            headers = {**headers, "Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"}
            return self._send(h, 206, part, headers)
        return self._send(h, 200, body, headers)
