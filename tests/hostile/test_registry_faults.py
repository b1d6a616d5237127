"""The registry source against a real, misbehaving HTTP server on 127.0.0.1 (tests/harness/faultserver).

Real sockets and real httpx, no mock transport: slow and dripping answers, truncated bodies,
lying Content-Length, wrong digests, redirect loops, a redirect to another host that must not
receive the credentials, endless 401s, 429 with Retry-After, 5xx. Short client timeouts and
retry policies keep every test to a few seconds; each asserts the exact error class and that
the failure arrives in bounded time.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.harness.faultserver import FaultServer, SmallImage
from tests.hostile import _support

from finalstage.errors import (
    CorruptImageError,
    DigestMismatchError,
    FinalstageError,
    RegistryAuthError,
    RegistryError,
)
from finalstage.fs.merge import merged_tree
from finalstage.image.image import Image
from finalstage.image.registry import RetryPolicy, open_core
from finalstage.image.registry.blob import MAX_STALLS

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 0.5
RETRY = RetryPolicy(attempts=3, base=0.01, cap=0.05)
PASSWORD = "s3cr3t-pa55w0rd"


pytestmark = pytest.mark.usefixtures("no_ambient_credentials")


def pull(server: FaultServer, *, auth_file: Path | None = None, timeout: float = TIMEOUT,
         retry: RetryPolicy = RETRY) -> list[str]:
    """Open, read and merge the image; return the merged paths."""
    core = open_core(f"{server.host}/{server.repo}:{server.tag}", timeout=timeout, retry=retry,
                     tls_verify=False, auth_file=str(auth_file) if auth_file else None)
    try:
        return sorted(e.path for e in merged_tree(Image(core)).walk() if e.path)
    finally:
        core.close()


def failing(server: FaultServer, **kw: object) -> tuple[FinalstageError, float]:
    start = time.monotonic()
    with pytest.raises(FinalstageError) as info:
        pull(server, **kw)  # type: ignore[arg-type]
    err = info.value
    assert "\n" not in str(err) and str(err)
    return err, time.monotonic() - start


def auth_file(tmp_path: Path, host: str) -> Path:
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    path = tmp_path / "auth.json"
    path.write_text(json.dumps({"auths": {host: {"auth": token}}}))
    return path


def test_happy_path(registry: FaultServer, small_image: SmallImage) -> None:
    assert pull(registry) == sorted(small_image.files)


# -- slow servers ---------------------------------------------------------------------------


def test_slow_manifest_times_out(registry: FaultServer) -> None:
    registry.fault("manifest", "slow", delay=10)
    err, seconds = failing(registry)
    assert type(err) is RegistryError and err.is_temporary
    assert "timed out" in str(err)
    assert seconds < TIMEOUT * RETRY.attempts + 3


def test_slow_layer_times_out(registry: FaultServer) -> None:
    registry.fault("layer", "slow", delay=10)
    err, seconds = failing(registry)
    assert type(err) is RegistryError
    assert seconds < 8


def test_dripping_manifest_is_cut_off(registry: FaultServer) -> None:
    # 1 byte every 0.1 s: each read is well inside the 0.5 s timeout, the whole manifest would
    # take minutes. The server gives up after 8 s, so a client without an overall deadline
    # fails only then (with a truncated body) instead of after a few timeouts' worth.
    registry.fault("manifest", "drip", interval=0.1, max_seconds=8)
    err, seconds = failing(registry)
    assert type(err) is RegistryError
    assert seconds < 5, f"took {seconds:.1f} s"


# -- bodies that lie ------------------------------------------------------------------------


def test_truncated_manifest(registry: FaultServer) -> None:
    registry.fault("manifest", "truncate", keep=0.5)
    err, _ = failing(registry)
    assert type(err) is RegistryError


def test_truncated_layer_every_time(registry: FaultServer) -> None:
    registry.fault("layer", "truncate", keep=0.3)
    err, _ = failing(registry)
    assert type(err) is RegistryError
    # the blob reader resumed with Range, but a bounded number of times: config, the first
    # layer GET, then MAX_STALLS resumes that bring nothing new
    assert len(registry.seen(f"/v2/{registry.repo}/blobs/sha256:")) == 2 + MAX_STALLS
    assert "connection lost" in str(err)


def test_truncated_layer_once_is_resumed(registry: FaultServer, small_image: SmallImage) -> None:
    registry.fault("layer", "truncate", keep=0.4, times=1)
    assert pull(registry) == sorted(small_image.files)
    ranges = [r.range for r in registry.seen(f"/v2/{registry.repo}/blobs/") if r.range]
    assert ranges, "the second request should have asked for the rest with Range"


def test_content_length_longer_than_body(registry: FaultServer) -> None:
    registry.fault("config", "content_length", delta=+100)
    err, _ = failing(registry)
    assert type(err) is RegistryError


def test_content_length_shorter_than_body(registry: FaultServer) -> None:
    # httpx reads exactly Content-Length bytes: the manifest is cut and no longer matches the
    # Docker-Content-Digest header the server sent.
    registry.fault("manifest", "content_length", delta=-10)
    err, _ = failing(registry)
    assert type(err) is DigestMismatchError


def test_layer_content_length_shorter(registry: FaultServer) -> None:
    registry.fault("layer", "content_length", delta=-10)
    err, _ = failing(registry)
    assert isinstance(err, CorruptImageError | RegistryError)


@pytest.mark.parametrize("target", ["manifest", "config", "layer"])
def test_wrong_digest(registry: FaultServer, target: str) -> None:
    registry.fault(target, "wrong_content", honest_header=False)
    err, _ = failing(registry)
    # The manifest by tag is checked against Docker-Content-Digest only when the server sends
    # one; here it sends the digest of the bad bytes, so the manifest itself "matches" and the
    # lie is caught one step later, when its config or layer does not parse or match. A
    # flipped bit in a gzip layer is caught by gzip's own CRC before the digest is compared.
    assert isinstance(err, CorruptImageError), err
    if target == "config":
        assert type(err) is DigestMismatchError


def test_wrong_manifest_with_honest_header(registry: FaultServer) -> None:
    registry.fault("manifest", "wrong_content", honest_header=True)
    err, _ = failing(registry)
    assert type(err) is DigestMismatchError


DEEP = b"[" * 50_000 + b"]" * 50_000


def test_deeply_nested_manifest(registry: FaultServer) -> None:
    registry.fault("manifest", "replace", body=DEEP)
    with pytest.raises(CorruptImageError):
        pull(registry)


def test_deeply_nested_error_body(registry: FaultServer) -> None:
    registry.fault("manifest", "status", status=400, body=DEEP[:30_000] + DEEP[-30_000:])
    with pytest.raises(RegistryError):
        pull(registry)


def test_deeply_nested_token_response(registry: FaultServer) -> None:
    registry.fault("manifest", "unauthorized", times=1)
    registry.fault("token", "replace", body=b'{"token":' + DEEP + b"}")
    with pytest.raises(RegistryAuthError):
        pull(registry)


# -- redirects -------------------------------------------------------------------------------


def test_redirect_loop_is_bounded(registry: FaultServer) -> None:
    registry.fault("layer", "redirect")
    err, _ = failing(registry)
    assert type(err) is RegistryError and "redirects" in str(err)
    assert len(registry.seen(f"/v2/{registry.repo}/blobs/sha256:")) <= 8


def test_redirect_to_other_host_drops_authorization(small_image: SmallImage,
                                                    tmp_path: Path) -> None:
    with FaultServer(image=small_image, basic_auth=("alice", PASSWORD)) as home, \
            FaultServer(image=small_image) as other:
        layer_path = f"/v2/{home.repo}/blobs/{_digest(small_image.layer)}"
        home.fault("layer", "redirect", status=307, location=f"{other.url}{layer_path}")
        paths = pull(home, auth_file=auth_file(tmp_path, home.host))
        assert paths == sorted(small_image.files)
        home_layer = home.seen(layer_path)
        assert home_layer and all(r.has_authorization for r in home_layer)
        moved = other.seen(layer_path)
        assert moved, "the redirect was not followed"
        assert not any(r.has_authorization for r in other.seen()), "credentials leaked"


def _digest(data: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- auth ------------------------------------------------------------------------------------


def test_401_loop_is_bounded(registry: FaultServer) -> None:
    registry.fault("manifest", "unauthorized")
    err, _ = failing(registry)
    assert type(err) is RegistryAuthError
    assert len(registry.seen(f"/v2/{registry.repo}/manifests/")) <= 3
    assert len(registry.seen("/token")) <= 3


def test_wrong_password_is_auth_error_and_not_printed(small_image: SmallImage,
                                                      tmp_path: Path) -> None:
    with FaultServer(image=small_image, basic_auth=("alice", "another-password")) as server:
        err, _ = failing(server, auth_file=auth_file(tmp_path, server.host))
    assert type(err) is RegistryAuthError
    assert PASSWORD not in str(err) and PASSWORD not in repr(err.args)


# -- rate limits and server errors -----------------------------------------------------------


def test_429_retry_after_then_success(registry: FaultServer, small_image: SmallImage) -> None:
    registry.fault("manifest", "status", status=429, retry_after=3600, times=2)
    start = time.monotonic()
    assert pull(registry) == sorted(small_image.files)
    assert time.monotonic() - start < 5, "Retry-After must be capped by the retry policy"


def test_429_forever(registry: FaultServer) -> None:
    registry.fault("manifest", "status", status=429, retry_after=1)
    err, _ = failing(registry)
    assert type(err) is RegistryError and err.status == 429 and err.is_temporary
    assert len(registry.seen(f"/v2/{registry.repo}/manifests/")) == RETRY.attempts


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_forever(registry: FaultServer, status: int) -> None:
    registry.fault("layer", "status", status=status)
    err, _ = failing(registry)
    assert type(err) is RegistryError and err.status == status and err.is_temporary


def test_5xx_once_recovers(registry: FaultServer, small_image: SmallImage) -> None:
    registry.fault("config", "status", status=503, times=1)
    assert pull(registry) == sorted(small_image.files)


# -- through the CLI -------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "kind", "params"), [
    ("manifest", "status", {"status": 500}),
    ("layer", "wrong_content", {}),
    ("layer", "redirect", {}),
    ("manifest", "unauthorized", {}),
])
def test_cli_one_line(registry: FaultServer, tmp_path: Path, target: str, kind: str,
                      params: dict[str, Any]) -> None:
    registry.fault(target, kind, **params)
    run = _support.run_cli(["inspect", f"docker://{registry.host}/{registry.repo}:{registry.tag}"],
                           cwd=tmp_path, timeout=30)
    assert not run.timed_out
    assert run.returncode == 2
    lines = run.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("finalstage: "), lines
    assert "Traceback" not in run.stderr.decode()
