"""Real registries on 127.0.0.1 for the registry-source tests (pytest fixtures).

Three ``/usr/bin/docker-registry`` (distribution 2.8) instances, each started once per session on
a free loopback port and stopped at session end (and killed with us if pytest dies: PDEATHSIG):

- ``open_registry``: anonymous pull and push;
- ``basic_registry``: htpasswd Basic auth. The bcrypt hash comes from Python's own ``crypt``
  module (libxcrypt's ``$2b$``, which Go's bcrypt accepts), so no bcrypt package or
  apache2-utils is needed;
- ``token_registry``: Bearer token auth. A small token server we run on 127.0.0.1 checks Basic
  credentials and issues RS256 JWTs signed with a throw-away key (openssl CLI); the registry
  trusts the matching self-signed certificate through ``rootcertbundle`` and finds the key by
  its libtrust key id (``kid``).

Images are pushed with ``skopeo copy --dest-tls-verify=false`` from OCI layouts of the shared
corpus: a single-arch image (trivy's ``test.oci``, one gzip layer) as ``test/single:1`` and a
multi-arch index (regclient's ``testrepo:v3``: linux/amd64, linux/arm64, linux/arm/v7,
linux/arm/v6; gzip layers) as ``test/multi:latest``.

Tests import the fixtures from this module (``from tests.harness.registry import …``).
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

import pytest

from finalstage.image.core import ImageCore

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus"
IMAGES = CORPUS / "images"
SINGLE_OCI = IMAGES / "aquasecurity__trivy/pkg/fanal/test/testdata/test.oci"
MULTI_OCI = IMAGES / "regclient__regclient/testdata/testrepo"
MULTI_REF = "v3"
REGISTRY_BIN = "/usr/bin/docker-registry"

USERNAME = "alice"
PASSWORD = "s3cret-pw"


@dataclass
class TokenServer:
    """Our own token endpoint (``auth: token:`` realm) with a count of tokens issued."""

    url: str
    issued: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None


@dataclass(frozen=True)
class RegistryServer:
    """One running docker-registry: ``host`` is ``127.0.0.1:PORT``."""

    host: str
    root: Path
    auth: str  # "none" | "basic" | "token"
    username: str | None = None
    password: str | None = None
    token_server: TokenServer | None = None

    def creds_args(self) -> list[str]:
        return [f"--dest-creds={self.username}:{self.password}"] if self.username else []


def need_tools(*tools: str) -> None:
    """Skip the calling test when a real tool or the corpus is missing."""
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (see scripts/system-deps.sh)")
    if not IMAGES.is_dir():
        pytest.skip(f"shared corpus not found at {IMAGES}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    # Linux only: the child gets SIGTERM when pytest exits for any reason, so no registry
    # outlives a crashed or killed test session.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _wait_listening(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port}")


def start_registry(workdir: Path, auth_yaml: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start docker-registry with ``auth_yaml`` (an indented ``auth:`` block or "")."""
    port = free_port()
    store = workdir / "store"
    store.mkdir(parents=True, exist_ok=True)
    cfg = workdir / "config.yml"
    cfg.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {store}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: test-only-secret\n" + auth_yaml
    )
    log = open(workdir / "registry.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [REGISTRY_BIN, "serve", str(cfg)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads yet at fixture start
    )
    _wait_listening(port, proc, "docker-registry")
    return proc, f"127.0.0.1:{port}"


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def skopeo_push(server: RegistryServer, src: str, dest: str, *, all_images: bool = False) -> None:
    """Copy ``src`` (a containers-image reference) to ``server``/``dest`` over plain HTTP."""
    cmd = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", *server.creds_args()]
    if all_images:
        cmd.append("--all")
    cmd += [src, f"docker://{server.host}/{dest}"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"skopeo push to {server.host}/{dest} failed: {res.stderr.strip()}")


def push_fixtures(server: RegistryServer) -> None:
    skopeo_push(server, f"oci:{SINGLE_OCI}", "test/single:1")
    skopeo_push(server, f"oci:{MULTI_OCI}:{MULTI_REF}", "test/multi:latest", all_images=True)


def bcrypt_htpasswd(user: str, password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # deprecated in 3.11, removed in 3.13; enough for a test fixture

        # Cost 4 (the minimum): the registry checks the hash on every request.
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    if not hashed or not hashed.startswith("$2"):
        pytest.skip("libc crypt() has no bcrypt support: cannot make an htpasswd file")
    return f"{user}:{hashed}\n"


# --- test oracle: the facts of an image read straight from its OCI layout ------------------


@dataclass(frozen=True)
class Expected:
    manifest_digest: str
    config_digest: str
    diff_ids: tuple[str, ...]
    layer_digests: tuple[str, ...]


def _blob(layout: Path, digest: str) -> bytes:
    algo, hexd = digest.split(":", 1)
    return (layout / "blobs" / algo / hexd).read_bytes()


def _resolve(layout: Path, desc: dict[str, Any], platform: tuple[str, str]) -> dict[str, Any]:
    while "index" in desc["mediaType"] or "list" in desc["mediaType"]:
        index = json.loads(_blob(layout, desc["digest"]))
        desc = next(
            d
            for d in index["manifests"]
            if (d.get("platform", {}).get("os"), d.get("platform", {}).get("architecture"))
            == platform
        )
    return desc


def expected_from_layout(
    layout: Path, ref: str | None = None, platform: tuple[str, str] = ("linux", "amd64")
) -> Expected:
    index = json.loads((layout / "index.json").read_text())
    descs = index["manifests"]
    if ref is not None:
        descs = [
            d
            for d in descs
            if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref
        ]
    desc = _resolve(layout, descs[0], platform)
    manifest = json.loads(_blob(layout, desc["digest"]))
    config = json.loads(_blob(layout, manifest["config"]["digest"]))
    return Expected(
        manifest_digest=desc["digest"],
        config_digest=manifest["config"]["digest"],
        diff_ids=tuple(config["rootfs"]["diff_ids"]),
        layer_digests=tuple(layer["digest"] for layer in manifest["layers"]),
    )


def sha256_stream(fh: BinaryIO, chunk: int = 65536) -> tuple[str, int]:
    """Digest and length of a stream read in ``chunk``-sized ``read`` calls."""
    h = hashlib.sha256()
    total = 0
    while data := fh.read(chunk):
        h.update(data)
        total += len(data)
    return f"sha256:{h.hexdigest()}", total


def sha256(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


# --- token server -------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _libtrust_kid(cert: Path) -> str:
    # distribution looks the signing key up by libtrust's key id: base32 of the first 30 bytes
    # of sha256(DER SubjectPublicKeyInfo), in groups of four joined with ':'.
    pub = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"], capture_output=True, check=True
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True, check=True
    ).stdout
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i : i + 4] for i in range(0, len(s), 4))


def _make_key(workdir: Path) -> tuple[Path, Path]:
    key, cert = workdir / "token.key", workdir / "token.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=finalstage-test-token",
            "-days",
            "2",
        ],
        capture_output=True,
        check=True,
    )
    return key, cert


def start_token_server(
    key: Path, cert: Path, *, service: str, issuer: str, user: str, password: str
) -> TokenServer:
    kid = _libtrust_kid(cert)
    ts = TokenServer(url="")
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def sign(claims: dict[str, object]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "kid": kid}
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(key)],
            input=signing_input.encode(),
            capture_output=True,
            check=True,
        ).stdout
        return f"{signing_input}.{_b64url(sig)}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                body = b'{"details":"invalid credentials"}'
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            query = parse_qs(urlsplit(self.path).query)
            access = []
            for scope in query.get("scope", []):
                kind, _, rest = scope.partition(":")
                name, _, actions = rest.rpartition(":")
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
            now = int(time.time())
            token = sign(
                {
                    "iss": issuer,
                    "sub": user,
                    "aud": query.get("service", [service])[0],
                    "exp": now + 600,
                    "nbf": now - 10,
                    "iat": now,
                    "jti": uuid.uuid4().hex,
                    "access": access,
                }
            )
            ts.issued.append(self.path)
            body = json.dumps({"token": token, "expires_in": 600}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ts.server = server
    ts.url = f"http://127.0.0.1:{server.server_address[1]}/token"
    return ts


# --- fixtures -----------------------------------------------------------------------------

_SHARED: dict[str, Any] = {}


@contextmanager
def shared(key: str, start: Callable[[], AbstractContextManager[Any]]) -> Iterator[Any]:
    """Start a service once per process even when several test modules import the fixture.

    pytest registers an imported fixture once per importing module, so a session fixture would
    otherwise start one server per module. The first user starts it and, being set up first,
    is torn down last.
    """
    if key in _SHARED:
        yield _SHARED[key]
        return
    with start() as value:
        _SHARED[key] = value
        try:
            yield value
        finally:
            del _SHARED[key]


@pytest.fixture(scope="session")
def open_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """An anonymous registry holding test/single:1 and test/multi:latest."""
    with shared("open_registry", lambda: _start_open_registry(tmp_path_factory)) as server:
        yield server


@contextmanager
def _start_open_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    need_tools(REGISTRY_BIN, "skopeo")
    workdir = tmp_path_factory.mktemp("registry-open")
    proc, host = start_registry(workdir, "")
    try:
        server = RegistryServer(host=host, root=workdir, auth="none")
        push_fixtures(server)
        yield server
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry with htpasswd Basic auth (alice / s3cret-pw) holding the same images."""
    with shared("basic_registry", lambda: _start_basic_registry(tmp_path_factory)) as server:
        yield server


@contextmanager
def _start_basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    need_tools(REGISTRY_BIN, "skopeo")
    workdir = tmp_path_factory.mktemp("registry-basic")
    htpasswd = workdir / "htpasswd"
    htpasswd.write_text(bcrypt_htpasswd(USERNAME, PASSWORD))
    auth = f"auth:\n  htpasswd:\n    realm: finalstage-test\n    path: {htpasswd}\n"
    proc, host = start_registry(workdir, auth)
    try:
        server = RegistryServer(host, workdir, "basic", USERNAME, PASSWORD)
        push_fixtures(server)
        yield server
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry with Bearer token auth through our own token server."""
    with shared("token_registry", lambda: _start_token_registry(tmp_path_factory)) as server:
        yield server


@contextmanager
def _start_token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    need_tools(REGISTRY_BIN, "skopeo", "openssl")
    workdir = tmp_path_factory.mktemp("registry-token")
    key, cert = _make_key(workdir)
    service, issuer = "finalstage-test-registry", "finalstage-test-issuer"
    ts = start_token_server(
        key, cert, service=service, issuer=issuer, user=USERNAME, password=PASSWORD
    )
    auth = (
        "auth:\n  token:\n"
        f"    realm: {ts.url}\n    service: {service}\n    issuer: {issuer}\n"
        f"    rootcertbundle: {cert}\n"
    )
    proc, host = start_registry(workdir, auth)
    try:
        server = RegistryServer(host, workdir, "token", USERNAME, PASSWORD, ts)
        push_fixtures(server)
        yield server
    finally:
        stop(proc)
        assert ts.server is not None
        ts.server.shutdown()
        ts.server.server_close()


def write_auth_file(
    path: Path, host: str, user: str, password: str, *, split: bool = False
) -> Path:
    """A docker/containers auth file for ``host``: base64 ``auth`` or username/password."""
    if split:
        entry: dict[str, str] = {"username": user, "password": password}
    else:
        entry = {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}
    path.write_text(json.dumps({"auths": {host: entry}}))
    os.chmod(path, 0o600)
    return path


def assert_uncompressed_copy_of_layout(
    core: ImageCore, layout: Path, *, blob_digest_known: bool, **kw: object
) -> None:
    """``core`` (a daemon save or a storage copy) holds ``layout``'s image with plain-tar layers.

    Same config and diff_ids; every layer's bytes are the diff_id's tar, their size the declared
    one; with ``blob_digest_known`` the source also declares the blob digest, which must match.
    """
    want = expected_from_layout(layout, **kw)  # type: ignore[arg-type]
    assert sha256(core.raw_config()) == want.config_digest
    layers = core.layers()
    assert tuple(layer.diff_id for layer in layers) == want.diff_ids
    for layer in layers:
        with layer.open() as fh:
            digest, size = sha256_stream(fh)
        assert digest == layer.diff_id
        if blob_digest_known:
            assert digest == layer.digest
        if layer.size is not None:
            assert size == layer.size
