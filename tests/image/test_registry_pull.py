"""Pulling from real docker-registry instances on 127.0.0.1: every auth mode, indexes, digests."""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.harness.registry import (  # noqa: F401 - pytest fixtures
    MULTI_OCI,
    MULTI_REF,
    PASSWORD,
    SINGLE_OCI,
    USERNAME,
    RegistryServer,
    basic_registry,
    expected_from_layout,
    open_registry,
    sha256,
    sha256_stream,
    token_registry,
    write_auth_file,
)

from finalstage.errors import (
    DigestMismatchError,
    ImageNotFoundError,
    InvalidReferenceError,
    RegistryAuthError,
)
from finalstage.image.core import ImageCore
from finalstage.image.registry import open_core

pytestmark = [pytest.mark.engine, pytest.mark.corpus, pytest.mark.timeout(120)]


pytestmark = pytest.mark.usefixtures("no_ambient_credentials")


def _assert_same_as_layout(core: ImageCore, layout: Path, **kw: object) -> None:
    want = expected_from_layout(layout, **kw)  # type: ignore[arg-type]
    assert sha256(core.raw_config()) == want.config_digest
    manifest = core.raw_manifest()
    assert manifest is not None and sha256(manifest) == want.manifest_digest
    layers = core.layers()
    assert tuple(layer.digest for layer in layers) == want.layer_digests
    assert tuple(layer.diff_id for layer in layers) == want.diff_ids
    for layer in layers:
        with layer.open() as fh:
            digest, size = sha256_stream(fh, 7)  # odd read size: exercise read(n) buffering
        assert digest == layer.digest and size == layer.size
        with layer.open() as fh:  # re-openable, and the diff_id matches the decompressed bytes
            raw = fh.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        assert f"sha256:{hashlib.sha256(raw).hexdigest()}" == layer.diff_id


def _auth(tmp_path: Path, server: RegistryServer, password: str = PASSWORD) -> str:
    return str(write_auth_file(tmp_path / "auth.json", server.host, USERNAME, password))


def test_anonymous_pull_matches_layout(open_registry: RegistryServer) -> None:
    core = open_core(f"{open_registry.host}/test/single:1")
    assert isinstance(core, ImageCore)
    assert core.describe() == f"docker://{open_registry.host}/test/single:1"
    _assert_same_as_layout(core, SINGLE_OCI)


def test_docker_transport_prefix_and_digest_reference(open_registry: RegistryServer) -> None:
    want = expected_from_layout(SINGLE_OCI)
    core = open_core(f"docker://{open_registry.host}/test/single@{want.manifest_digest}")
    assert sha256(core.raw_config()) == want.config_digest


def test_wrong_pinned_digest_is_not_found(open_registry: RegistryServer) -> None:
    core = open_core(f"{open_registry.host}/test/single@sha256:{'0' * 64}")
    with pytest.raises(ImageNotFoundError, match="manifest unknown"):
        core.raw_config()


def test_index_default_platform_is_linux_amd64(open_registry: RegistryServer) -> None:
    core = open_core(f"{open_registry.host}/test/multi:latest")
    _assert_same_as_layout(core, MULTI_OCI, ref=MULTI_REF, platform=("linux", "amd64"))


def test_index_with_platform(open_registry: RegistryServer) -> None:
    core = open_core(f"{open_registry.host}/test/multi:latest", platform="linux/arm64")
    _assert_same_as_layout(core, MULTI_OCI, ref=MULTI_REF, platform=("linux", "arm64"))
    assert json.loads(core.raw_config())["architecture"] == "arm64"


def test_index_missing_platform_lists_what_exists(open_registry: RegistryServer) -> None:
    core = open_core(f"{open_registry.host}/test/multi:latest", platform="linux/s390x")
    with pytest.raises(ImageNotFoundError) as info:
        core.raw_manifest()
    assert "linux/s390x" in str(info.value)
    assert "linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64" in str(info.value)


def test_missing_tag_and_repository(open_registry: RegistryServer) -> None:
    with pytest.raises(ImageNotFoundError) as info:
        open_core(f"{open_registry.host}/test/single:nope").raw_manifest()
    assert str(info.value) == f"manifest unknown: {open_registry.host}/test/single:nope"
    with pytest.raises(ImageNotFoundError, match="manifest unknown"):
        open_core(f"{open_registry.host}/no/such:1").raw_manifest()


def test_basic_auth_from_auth_file(basic_registry: RegistryServer, tmp_path: Path) -> None:
    core = open_core(
        f"{basic_registry.host}/test/single:1", auth_file=_auth(tmp_path, basic_registry)
    )
    _assert_same_as_layout(core, SINGLE_OCI)


def test_basic_auth_from_docker_config(
    basic_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docker_dir = tmp_path / "home" / ".docker"
    docker_dir.mkdir(parents=True)
    write_auth_file(docker_dir / "config.json", basic_registry.host, USERNAME, PASSWORD, split=True)
    core = open_core(f"{basic_registry.host}/test/multi:latest", platform="linux/arm/v7")
    assert json.loads(core.raw_config())["architecture"] == "arm"


def test_basic_auth_from_registry_auth_file(
    basic_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_AUTH_FILE", _auth(tmp_path, basic_registry))
    _assert_same_as_layout(open_core(f"{basic_registry.host}/test/single:1"), SINGLE_OCI)


def test_basic_without_credentials_is_auth_error(basic_registry: RegistryServer) -> None:
    with pytest.raises(RegistryAuthError) as info:
        open_core(f"{basic_registry.host}/test/single:1").raw_manifest()
    assert info.value.status == 401
    assert "no credentials for" in str(info.value)


def test_basic_wrong_password_is_auth_error(basic_registry: RegistryServer, tmp_path: Path) -> None:
    auth = _auth(tmp_path, basic_registry, password="wrong-password")
    with pytest.raises(RegistryAuthError) as info:
        open_core(f"{basic_registry.host}/test/single:1", auth_file=auth).raw_manifest()
    assert info.value.status == 401
    assert "wrong username or password" in str(info.value)
    assert "wrong-password" not in str(info.value)


def test_token_auth_pull_and_token_cached(token_registry: RegistryServer, tmp_path: Path) -> None:
    assert token_registry.token_server is not None
    issued = token_registry.token_server.issued
    before = len(issued)
    core = open_core(
        f"{token_registry.host}/test/single:1", auth_file=_auth(tmp_path, token_registry)
    )
    _assert_same_as_layout(core, SINGLE_OCI)
    # manifest + config + 2 opens of the layer: one token for them all
    assert len(issued) - before == 1
    assert "scope=repository%3Atest%2Fsingle%3Apull&" in issued[-1] + "&"


def test_token_auth_index(token_registry: RegistryServer, tmp_path: Path) -> None:
    core = open_core(
        f"{token_registry.host}/test/multi:latest",
        platform="linux/arm64",
        auth_file=_auth(tmp_path, token_registry),
    )
    _assert_same_as_layout(core, MULTI_OCI, ref=MULTI_REF, platform=("linux", "arm64"))


def test_token_auth_without_credentials(token_registry: RegistryServer) -> None:
    with pytest.raises(RegistryAuthError, match="no credentials for"):
        open_core(f"{token_registry.host}/test/single:1").raw_manifest()


def test_token_auth_wrong_password(token_registry: RegistryServer, tmp_path: Path) -> None:
    auth = _auth(tmp_path, token_registry, password="nope")
    with pytest.raises(RegistryAuthError, match="wrong username or password"):
        open_core(f"{token_registry.host}/test/single:1", auth_file=auth).raw_manifest()


def test_tampered_blob_is_digest_mismatch(open_registry: RegistryServer) -> None:
    # Corrupt the stored config blob on disk: the registry serves it, we must refuse it.
    want = expected_from_layout(SINGLE_OCI)
    hexd = want.config_digest.split(":")[1]
    data = open_registry.root / "store/docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"
    original = data.read_bytes()
    try:
        data.write_bytes(original.replace(b"}", b" }", 1))
        with pytest.raises(DigestMismatchError, match="config of"):
            open_core(f"{open_registry.host}/test/single:1").raw_config()
    finally:
        data.write_bytes(original)


def test_connection_refused_is_one_line(tmp_path: Path) -> None:
    from tests.harness.registry import free_port

    from finalstage.errors import RegistryError
    from finalstage.image.registry import RetryPolicy

    policy = RetryPolicy(attempts=2, base=0.05)
    with pytest.raises(RegistryError) as info:
        open_core(f"127.0.0.1:{free_port()}/x/y:1", timeout=2, retry=policy).raw_manifest()
    assert str(info.value).startswith("connecting to 127.0.0.1:")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "ref",
    ["", "UPPER/case:1", "host:5000/repo:bad tag", "repo@sha256:short", "a/b:" + "x" * 200],
)
def test_invalid_references(ref: str) -> None:
    with pytest.raises(InvalidReferenceError):
        open_core(ref)


def test_open_image_verifies_layers_while_streaming(
    basic_registry: RegistryServer, tmp_path: Path
) -> None:
    open_mod = pytest.importorskip("finalstage.image.open")
    image = open_mod.open_image(
        f"docker://{basic_registry.host}/test/multi:latest",
        platform="linux/arm64",
        auth_file=_auth(tmp_path, basic_registry),
    )
    want = expected_from_layout(MULTI_OCI, ref=MULTI_REF, platform=("linux", "arm64"))
    assert image.config_digest == want.config_digest
    assert image.digest == want.manifest_digest
    scans = image.scan()  # blob digest and diff_id checked by Image while streaming
    assert [s.diff_id for s in scans] == list(want.diff_ids)


def test_basic_auth_through_credential_helper(
    basic_registry: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-test"
    helper.write_text(
        "#!/bin/sh\nread server\n"
        f'[ "$server" = "{basic_registry.host}" ] || {{ echo "credentials not found"; exit 1; }}\n'
        f'printf \'{{"Username":"{USERNAME}","Secret":"{PASSWORD}"}}\'\n'
    )
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    docker_dir = tmp_path / "home" / ".docker"
    docker_dir.mkdir(parents=True)
    (docker_dir / "config.json").write_text('{"credsStore": "test"}')
    _assert_same_as_layout(open_core(f"{basic_registry.host}/test/single:1"), SINGLE_OCI)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG")}
    return subprocess.run(
        [sys.executable, "-m", "finalstage", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_cli_inspect_from_registry(open_registry: RegistryServer) -> None:
    pytest.importorskip("finalstage.cli.inspect")
    res = _cli("inspect", f"docker://{open_registry.host}/test/single:1", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert expected_from_layout(SINGLE_OCI).config_digest.split(":")[1][:12] in res.stdout


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("test/single:nope", "manifest unknown: {host}/test/single:nope"),
        ("test/multi:latest --platform linux/s390x", "no image for platform linux/s390x"),
    ],
)
def test_cli_errors_are_one_line(open_registry: RegistryServer, path: str, message: str) -> None:
    pytest.importorskip("finalstage.cli.inspect")
    ref, *extra = path.split(" ")
    res = _cli("inspect", f"docker://{open_registry.host}/{ref}", *extra)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert message.format(host=open_registry.host) in res.stderr


def test_cli_401_is_one_line(basic_registry: RegistryServer, tmp_path: Path) -> None:
    pytest.importorskip("finalstage.cli.inspect")
    res = _cli("inspect", f"docker://{basic_registry.host}/test/single:1")
    assert res.returncode == 2
    assert res.stderr.startswith("finalstage: fetching manifest")
    assert "401 unauthorized" in res.stderr and res.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["inspect", "ls", "check"])
def test_cli_authfile_flag(basic_registry: RegistryServer, tmp_path: Path, command: str) -> None:
    # The same pull that fails with 401 above succeeds with --authfile, on every image command;
    # the password never appears in any output.
    auth = write_auth_file(tmp_path / "auth.json", basic_registry.host,
                           basic_registry.username or "", basic_registry.password or "")
    ref = f"docker://{basic_registry.host}/test/single:1"
    extra = ["--policy", str(tmp_path / "p.toml")] if command == "check" else []
    (tmp_path / "p.toml").write_text("[policy]\nmax-layers = 100\n")
    res = _cli(command, ref, "--authfile", str(auth), "--no-tls-verify", *extra)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()
    assert (basic_registry.password or "\0") not in res.stdout + res.stderr
