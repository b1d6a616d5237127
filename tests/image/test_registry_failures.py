"""Registry failures. Real servers where the failure can be caused for real (redirect to another
host, a server that never answers); ``httpx.MockTransport`` only for what a real docker-registry
will not do on demand (500, 429, dropped or truncated bodies, schema 1, oversized manifests)."""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from make_layers import F, gz, layer
from tests.harness.registry import (
    SINGLE_OCI,
    RegistryServer,
    expected_from_layout,
    open_registry,  # noqa: F401 - pytest fixture
    sha256,
    sha256_stream,
    write_auth_file,
)

from finalstage.errors import (
    CorruptImageError,
    DigestMismatchError,
    ImageNotFoundError,
    RegistryAuthError,
    RegistryError,
    UnsupportedMediaTypeError,
)
from finalstage.image.core import LayerHandle
from finalstage.image.layers import scan_layer
from finalstage.image.registry import RetryPolicy, open_core
from finalstage.image.registry.blob import MAX_STALLS, open_blob
from finalstage.image.registry.remote import RegistryCore

pytestmark = pytest.mark.timeout(60)

HOST = "registry.test:5000"
# Incompressible (hash-derived) content, so the blob is big enough to cut in the middle.
LAYER = gzip.compress(b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(3000)), mtime=0)
DIFF_ID = sha256(gzip.decompress(LAYER))
CONFIG = json.dumps(
    {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [DIFF_ID]}}
).encode()
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256(CONFIG),
            "size": len(CONFIG),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": sha256(LAYER),
                "size": len(LAYER),
            }
        ],
    }
).encode()
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


pytestmark = pytest.mark.usefixtures("no_ambient_credentials")


class _Broken(httpx.SyncByteStream):
    """A body that sends ``data`` and then drops the connection."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self.data
        raise httpx.ReadError("connection reset by peer")


def _registry(
    overrides: Callable[[httpx.Request], httpx.Response | None] | None = None,
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A fake registry serving MANIFEST/CONFIG/LAYER; ``overrides`` may answer first."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if overrides and (response := overrides(request)) is not None:
            return response
        path = request.url.path
        if path == "/v2/":
            return httpx.Response(200)
        if path.startswith("/v2/repo/manifests/"):
            return httpx.Response(200, content=MANIFEST, headers={"Content-Type": OCI_MANIFEST})
        if path == f"/v2/repo/blobs/{sha256(CONFIG)}":
            return httpx.Response(200, content=CONFIG)
        if path == f"/v2/repo/blobs/{sha256(LAYER)}":
            return httpx.Response(200, content=LAYER)
        return httpx.Response(404, json={"errors": [{"code": "BLOB_UNKNOWN", "message": "x"}]})

    return httpx.MockTransport(handler), seen


def _open(transport: httpx.MockTransport, **kw: Any) -> tuple[RegistryCore, list[float]]:
    core = open_core(
        f"{HOST}/repo:1",
        transport=transport,
        tls_verify=True,
        retry=kw.pop("retry", RetryPolicy(attempts=3, base=0.01)),
        **kw,
    )
    sleeps: list[float] = []
    core.transport._sleep = sleeps.append  # record backoff instead of sleeping
    return core, sleeps


def _read_layer(core: RegistryCore) -> bytes:
    with core.layers()[0].open() as fh:
        return fh.read()


def test_mock_happy_path_uses_https_when_verifying() -> None:
    transport, seen = _registry()
    core, _ = _open(transport)
    assert _read_layer(core) == LAYER
    assert {r.url.scheme for r in seen} == {"https"}
    assert "application/vnd.oci.image.index.v1+json" in seen[1].headers["Accept"]


def test_500_is_retried_then_structured_error() -> None:
    body = {"errors": [{"code": "UNKNOWN", "message": "Storage Driver Failed"}]}
    transport, seen = _registry(
        lambda r: httpx.Response(500, json=body) if "manifests" in r.url.path else None
    )
    core, sleeps = _open(transport)
    with pytest.raises(RegistryError) as info:
        core.raw_manifest()
    err = info.value
    assert err.status == 500 and err.codes == ("UNKNOWN",) and err.is_temporary
    assert str(err) == f"fetching manifest {HOST}/repo:1: 500 storage driver failed (UNKNOWN)"
    assert sum("manifests" in r.url.path for r in seen) == 3
    assert sleeps == [0.01, 0.02]


def test_429_honours_retry_after_then_succeeds() -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response | None:
        if "manifests" in request.url.path and calls["n"] < 2:
            calls["n"] += 1
            return httpx.Response(
                429,
                headers={"Retry-After": "2"},
                json={"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
            )
        return None

    transport, _ = _registry(flaky)
    core, sleeps = _open(transport)
    assert sha256(core.raw_manifest()) == sha256(MANIFEST)
    assert sleeps == [2.0, 2.0]


def test_retry_after_is_capped() -> None:
    transport, _ = _registry(
        lambda r: (
            httpx.Response(429, headers={"Retry-After": "86400"})
            if "manifests" in r.url.path
            else None
        )
    )
    core, sleeps = _open(transport, retry=RetryPolicy(attempts=2, base=0.01, cap=5.0))
    with pytest.raises(RegistryError) as info:
        core.raw_manifest()
    assert info.value.status == 429 and sleeps == [5.0]


def test_huge_error_body_is_bounded() -> None:
    transport, _ = _registry(
        lambda r: (
            httpx.Response(400, content=b"x" * (20 << 20)) if "manifests" in r.url.path else None
        )
    )
    core, _ = _open(transport)
    with pytest.raises(RegistryError) as info:
        core.raw_manifest()
    assert info.value.status == 400 and len(str(info.value)) < 200


def test_403_is_auth_error() -> None:
    transport, _ = _registry(
        lambda r: (
            httpx.Response(403, json={"errors": [{"code": "DENIED", "message": "no"}]})
            if "manifests" in r.url.path
            else None
        )
    )
    core, _ = _open(transport)
    with pytest.raises(RegistryAuthError, match=r"403 access denied \(DENIED\)"):
        core.raw_manifest()


def test_blob_404_names_blob() -> None:
    transport, _ = _registry(lambda r: httpx.Response(404) if sha256(LAYER) in r.url.path else None)
    core, _ = _open(transport)
    with pytest.raises(ImageNotFoundError, match=f"blob unknown: {HOST}/repo@{sha256(LAYER)}"):
        _read_layer(core)


def test_dropped_connection_resumes_with_range() -> None:
    ranges: list[str | None] = []

    def drop_once(request: httpx.Request) -> httpx.Response | None:
        if sha256(LAYER) not in request.url.path:
            return None
        ranges.append(request.headers.get("Range"))
        if len(ranges) == 1:
            return httpx.Response(200, stream=_Broken(LAYER[:1000]))
        start = int(request.headers["Range"].split("=")[1].rstrip("-"))
        return httpx.Response(206, content=LAYER[start:], headers={
            "Content-Range": f"bytes {start}-{len(LAYER) - 1}/{len(LAYER)}"})

    transport, _ = _registry(drop_once)
    core, sleeps = _open(transport)
    assert _read_layer(core) == LAYER
    assert ranges == [None, "bytes=1000-"]
    assert sleeps == [0.01]  # one backoff before the resume


@pytest.mark.parametrize("content_range", [None, "bytes 900-{last}/{size}", "bytes */{size}"])
def test_partial_answer_from_elsewhere_restarts_the_blob(content_range: str | None) -> None:
    # A 206 must start at the byte asked for; one that does not (or says nothing) is not
    # trusted: the blob is read again from its start and what was read is skipped.
    asked: list[str | None] = []

    def wrong_range(request: httpx.Request) -> httpx.Response | None:
        if sha256(LAYER) not in request.url.path:
            return None
        asked.append(request.headers.get("Range"))
        if len(asked) == 1:
            return httpx.Response(200, stream=_Broken(LAYER[:1000]))
        if request.headers.get("Range"):
            headers = {"Content-Range": content_range.format(last=len(LAYER) - 1,
                                                             size=len(LAYER))} \
                if content_range else {}
            return httpx.Response(206, content=LAYER[900:], headers=headers)
        return httpx.Response(200, content=LAYER)

    transport, _ = _registry(wrong_range)
    core, _ = _open(transport)
    assert _read_layer(core) == LAYER
    assert asked == [None, "bytes=1000-", None]


def test_resume_budget_starts_afresh_when_bytes_arrive() -> None:
    # A link that drops every 1000 bytes: far more drops than MAX_STALLS, each after progress.
    def drop_every_1000(request: httpx.Request) -> httpx.Response | None:
        if sha256(LAYER) not in request.url.path:
            return None
        start = int((request.headers.get("Range") or "bytes=0-")[6:-1])
        headers = {"Content-Range": f"bytes {start}-{len(LAYER) - 1}/{len(LAYER)}"}
        if start + 1000 >= len(LAYER):
            return httpx.Response(206 if start else 200, content=LAYER[start:], headers=headers)
        return httpx.Response(206 if start else 200, headers=headers,
                              stream=_Broken(LAYER[start : start + 1000]))

    transport, seen = _registry(drop_every_1000)
    core, sleeps = _open(transport)
    assert _read_layer(core) == LAYER
    drops = len(LAYER) // 1000
    assert drops > 2 * MAX_STALLS
    assert len(sleeps) == drops and set(sleeps) == {0.01}  # the first backoff step each time


def test_lost_connection_is_a_network_error_not_a_bad_gzip_stream() -> None:
    # Through the layer reader (a gzip tar): a connection that never comes back is a
    # RegistryError naming the lost connection, not "invalid gzip stream".
    blob = gz(layer([F("data", b"".join(hashlib.sha256(b"%d" % i).digest()
                                        for i in range(200)))]))
    digest = sha256(blob)

    def always_drop(request: httpx.Request) -> httpx.Response | None:
        if digest not in request.url.path:
            return None
        start = int((request.headers.get("Range") or "bytes=0-")[6:-1])
        headers = {"Content-Range": f"bytes {start}-{len(blob) - 1}/{len(blob)}"}
        return httpx.Response(206 if start else 200, headers=headers,
                              stream=_Broken(blob[start : start + 500] if start < 1500 else b""))

    transport, _ = _registry(always_drop)
    core, sleeps = _open(transport)
    handle = LayerHandle("application/vnd.oci.image.layer.v1.tar+gzip", digest, None, len(blob),
                         lambda: open_blob(core.transport, digest, len(blob)), is_remote=True)
    with pytest.raises(RegistryError) as info:
        scan_layer(handle, 0)
    assert info.value.is_temporary
    assert "connection lost at byte 1500 of" in str(info.value)
    assert f"({MAX_STALLS} resumes without progress)" in str(info.value)
    assert "gzip" not in str(info.value)
    assert sleeps[-MAX_STALLS:] == [min(0.01 * 2**n, 10.0) for n in range(MAX_STALLS)]


def test_truncated_body_without_error_is_corrupt() -> None:
    transport, _ = _registry(
        lambda r: httpx.Response(200, content=LAYER[:-10]) if sha256(LAYER) in r.url.path else None
    )
    core, _ = _open(transport)
    with pytest.raises(CorruptImageError, match=f"body ended at byte {len(LAYER) - 10} of"):
        _read_layer(core)


def test_connection_lost_for_good_is_registry_error() -> None:
    transport, _ = _registry(
        lambda r: httpx.Response(200, stream=_Broken(b"")) if sha256(LAYER) in r.url.path else None
    )
    core, _ = _open(transport)
    with pytest.raises(RegistryError, match="connection lost at byte 0"):
        _read_layer(core)


def test_longer_body_is_corrupt() -> None:
    transport, _ = _registry(
        lambda r: (
            httpx.Response(200, content=LAYER + b"extra") if sha256(LAYER) in r.url.path else None
        )
    )
    core, _ = _open(transport)
    with pytest.raises(CorruptImageError, match="body longer than"):
        _read_layer(core)


def test_oversized_manifest_is_refused() -> None:
    transport, _ = _registry(
        lambda r: (
            httpx.Response(200, content=b" " * (5 << 20)) if "manifests" in r.url.path else None
        )
    )
    core, _ = _open(transport)
    with pytest.raises(CorruptImageError, match="response larger than"):
        core.raw_manifest()


HELM_MANIFEST = (
    b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
    b'"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json",'
    b'"digest":"sha256:aa","size":1},"layers":[]}'
)
EMPTY_INDEX = (
    b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}'
)
SCHEMA1 = b'{"schemaVersion":1,"name":"repo","fsLayers":[]}'
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SCHEMA1_TYPE = "application/vnd.docker.distribution.manifest.v1+prettyjws"


@pytest.mark.parametrize(
    ("body", "content_type", "error", "message"),
    [
        (SCHEMA1, SCHEMA1_TYPE, UnsupportedMediaTypeError, "schema 1"),
        (b"not json", OCI_MANIFEST, CorruptImageError, "invalid json"),
        (b"[]", OCI_MANIFEST, CorruptImageError, "not a json object"),
        (HELM_MANIFEST, OCI_MANIFEST, UnsupportedMediaTypeError, "not a container image"),
        (EMPTY_INDEX, OCI_INDEX, CorruptImageError, "no manifests"),
        (
            b'{"schemaVersion":2,"mediaType":"text/plain"}',
            "text/plain",
            UnsupportedMediaTypeError,
            "unsupported manifest media type",
        ),
    ],
)
def test_bad_manifests(
    body: bytes, content_type: str, error: type[Exception], message: str
) -> None:
    transport, _ = _registry(
        lambda r: (
            httpx.Response(200, content=body, headers={"Content-Type": content_type})
            if "manifests" in r.url.path
            else None
        )
    )
    core, _ = _open(transport)
    with pytest.raises(error, match=message):
        core.raw_config()


def test_content_digest_header_mismatch() -> None:
    transport, _ = _registry(
        lambda r: (
            httpx.Response(
                200,
                content=MANIFEST,
                headers={
                    "Content-Type": OCI_MANIFEST,
                    "Docker-Content-Digest": "sha256:" + "1" * 64,
                },
            )
            if "manifests" in r.url.path
            else None
        )
    )
    core, _ = _open(transport)
    with pytest.raises(DigestMismatchError):
        core.raw_manifest()


def test_bad_token_realm() -> None:
    transport, _ = _registry(
        lambda r: (
            httpx.Response(401, headers={"WWW-Authenticate": 'Bearer realm="ftp://x/token"'})
            if r.url.path == "/v2/"
            else None
        )
    )
    core, _ = _open(transport)
    with pytest.raises(RegistryAuthError, match="bad token realm"):
        core.raw_manifest()


def test_server_that_never_answers_times_out_bounded() -> None:
    # A real socket that accepts connections and never replies.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    try:
        start = time.monotonic()
        core = open_core(
            f"127.0.0.1:{port}/repo:1", timeout=0.5, retry=RetryPolicy(attempts=2, base=0.05)
        )
        with pytest.raises(RegistryError, match="timed out"):
            core.raw_manifest()
        assert time.monotonic() - start < 10
    finally:
        listener.close()


# --- redirect to another host: two real servers on different ports -------------------------


class _Recorder(ThreadingHTTPServer):
    authorizations: list[str | None]


def _serve(handler: type[BaseHTTPRequestHandler]) -> _Recorder:
    server = _Recorder(("127.0.0.1", 0), handler)
    server.authorizations = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_redirect_to_other_host_drops_authorization(
    open_registry: RegistryServer, tmp_path: Path
) -> None:
    """A Basic-auth front (port A) redirects blobs to a storage server (port B).

    Both proxy a real docker-registry. B must never see the credentials meant for A.
    """
    upstream = f"http://{open_registry.host}"
    creds = "Basic " + __import__("base64").b64encode(b"alice:pw").decode()

    class Storage(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            assert isinstance(self.server, _Recorder)
            self.server.authorizations.append(self.headers.get("Authorization"))
            upstream_response = httpx.get(upstream + self.path)
            self.send_response(upstream_response.status_code)
            self.send_header("Content-Length", str(len(upstream_response.content)))
            self.end_headers()
            self.wfile.write(upstream_response.content)

    storage = _serve(Storage)

    class Front(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            assert isinstance(self.server, _Recorder)
            self.server.authorizations.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != creds:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="front"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if "/blobs/" in self.path:
                self.send_response(307)
                self.send_header("Location", f"http://127.0.0.1:{storage.server_port}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            upstream_response = httpx.get(
                upstream + self.path, headers={"Accept": self.headers.get("Accept", "")}
            )
            self.send_response(upstream_response.status_code)
            for name in ("Content-Type", "Docker-Content-Digest"):
                if name in upstream_response.headers:
                    self.send_header(name, upstream_response.headers[name])
            self.send_header("Content-Length", str(len(upstream_response.content)))
            self.end_headers()
            self.wfile.write(upstream_response.content)

    front = _serve(Front)
    try:
        host = f"127.0.0.1:{front.server_port}"
        auth = write_auth_file(tmp_path / "auth.json", host, "alice", "pw")
        core = open_core(f"{host}/test/single:1", auth_file=str(auth))
        want = expected_from_layout(SINGLE_OCI)
        assert sha256(core.raw_config()) == want.config_digest
        for layer in core.layers():
            with layer.open() as fh:
                assert sha256_stream(fh)[0] == layer.digest
        assert creds in front.authorizations
        assert storage.authorizations, "blobs were not redirected"
        assert storage.authorizations == [None] * len(storage.authorizations)
    finally:
        for server in (front, storage):
            server.shutdown()
            server.server_close()


def test_digest_helper_matches_hashlib() -> None:
    assert sha256(b"x") == "sha256:" + hashlib.sha256(b"x").hexdigest()


def _https_refused(request: httpx.Request) -> httpx.Response | None:
    if request.url.scheme == "https":
        raise httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number")
    return None


def test_tls_verify_false_falls_back_to_http() -> None:
    transport, seen = _registry(_https_refused)
    core = open_core(f"{HOST}/repo:1", transport=transport, tls_verify=False)
    assert _read_layer(core) == LAYER
    assert seen[0].url.scheme == "https" and {r.url.scheme for r in seen[1:]} == {"http"}


def test_remote_host_never_falls_back_to_http() -> None:
    transport, seen = _registry(_https_refused)
    core = open_core(f"{HOST}/repo:1", transport=transport)  # tls_verify unset, not loopback
    with pytest.raises(RegistryError, match=f"connecting to {HOST}: .*wrong version number"):
        core.raw_manifest()
    assert {r.url.scheme for r in seen} == {"https"}


def test_tls_verify_true_on_plain_http_loopback(open_registry: RegistryServer) -> None:
    core = open_core(f"{open_registry.host}/test/single:1", tls_verify=True)
    with pytest.raises(RegistryError) as info:
        core.raw_manifest()
    assert str(info.value).startswith(f"connecting to {open_registry.host}: ")
    assert "\n" not in str(info.value)


def test_anonymous_bearer_token_and_refresh_on_401() -> None:
    tokens = iter(["tok-1", "tok-2"])
    issued: list[httpx.Request] = []
    rejected: list[str] = []

    def bearer(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == "auth.test":
            issued.append(request)
            return httpx.Response(200, json={"token": next(tokens), "expires_in": 300})
        challenge = {"WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="reg"'}
        auth = request.headers.get("Authorization")
        if request.url.path == "/v2/":
            return httpx.Response(401, headers=challenge)
        if auth == "Bearer tok-1" and "manifests" in request.url.path:
            rejected.append(auth)  # as if tok-1 had expired early
            return httpx.Response(401, headers=challenge)
        if auth not in ("Bearer tok-1", "Bearer tok-2"):
            return httpx.Response(401, headers=challenge)
        return None

    transport, _ = _registry(bearer)
    core, _ = _open(transport)
    assert _read_layer(core) == LAYER
    assert rejected == ["Bearer tok-1"]
    assert len(issued) == 2
    assert "Authorization" not in issued[0].headers  # anonymous token
    assert issued[0].url.params["scope"] == "repository:repo:pull"
    assert issued[0].url.params["service"] == "reg"


def test_basic_credentials_go_to_registry_and_token_realm_only(tmp_path: Path) -> None:
    auth = write_auth_file(tmp_path / "auth.json", HOST, "bob", "pw")
    issued: list[httpx.Request] = []

    def bearer(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == "auth.test":
            issued.append(request)
            return httpx.Response(200, json={"access_token": "t"})
        if request.headers.get("Authorization") != "Bearer t":
            return httpx.Response(
                401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token"'}
            )
        return None

    transport, seen = _registry(bearer)
    core, _ = _open(transport, auth_file=str(auth))
    assert _read_layer(core) == LAYER
    assert issued[0].headers["Authorization"].startswith("Basic ")
    assert issued[0].url.params["account"] == "bob"
    registry_auth = {r.headers.get("Authorization") for r in seen if r.url.host != "auth.test"}
    assert registry_auth == {None, "Bearer t"}  # never the Basic credentials themselves


def test_token_endpoint_error_is_auth_error() -> None:
    def bearer(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == "auth.test":
            return httpx.Response(200, json={"nothing": True})
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token"'}
        )

    transport, _ = _registry(bearer)
    core, _ = _open(transport)
    with pytest.raises(RegistryAuthError, match="token response has no token"):
        core.raw_manifest()


def test_real_dropped_connection_resumes(tmp_path: Path) -> None:
    """A real HTTP server that cuts the first blob response half-way, then honours Range."""
    ranges: list[str | None] = []

    class Flaky(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/v2/":
                self._send(200, b"")
            elif "/manifests/" in self.path:
                self._send(200, MANIFEST, {"Content-Type": OCI_MANIFEST})
            elif self.path.endswith(sha256(CONFIG)):
                self._send(200, CONFIG)
            elif self.path.endswith(sha256(LAYER)):
                ranges.append(self.headers.get("Range"))
                if len(ranges) == 1:  # promise everything, send half, hang up
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(LAYER)))
                    self.end_headers()
                    self.wfile.write(LAYER[: len(LAYER) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-"))
                self._send(
                    206,
                    LAYER[start:],
                    {"Content-Range": f"bytes {start}-{len(LAYER) - 1}/{len(LAYER)}"},
                )
            else:
                self._send(404, b"")

    server = _serve(Flaky)
    try:
        core = open_core(f"127.0.0.1:{server.server_port}/repo:1", timeout=5)
        assert _read_layer(core) == LAYER
        assert ranges[0] is None and len(ranges) == 2
        assert ranges[1] is not None and int(ranges[1][6:-1]) > 0
    finally:
        server.shutdown()
        server.server_close()
