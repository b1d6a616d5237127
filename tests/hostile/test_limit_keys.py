"""Every ``--limit`` key trips through the CLI: exit 2, one line naming the key that raises it.

Each test lowers one limit against real parts — the fault-injecting registry on 127.0.0.1
(tests/harness/faultserver.py), OCI layouts and docker archives written here with
tests/data/make_layers.py, a unix socket that never answers for the Docker Engine API, real
``skopeo`` for containers-storage — and checks that the default lets the same input through
(through the library, which is faster than a second CLI run). The archive-level keys
(entries, bytes, ratio, paths, image totals) are tripped in tests/fs/test_fs_limits.py and
tests/hostile/test_hostile_limits.py; here only their outer-archive use is added.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import tarfile
import tempfile
from pathlib import Path

import pytest
from make_layers import F, docker_archive, layer, oci_layout
from tests.harness.faultserver import OCI_MANIFEST, FaultServer, SmallImage, sha256
from tests.hostile import _support

from finalstage.errors import CorruptImageError, UsageError
from finalstage.fs.merge import merged_tree
from finalstage.image.image import Image
from finalstage.image.open import open_core
from finalstage.image.registry import RetryPolicy
from finalstage.image.registry import open_core as open_registry_core
from finalstage.limits import (
    DEFAULT_LIMITS,
    LIMIT_KEYS,
    Limits,
    format_default,
    is_lowered,
    parse_limits,
)

pytestmark = pytest.mark.timeout(60)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
AMD64 = {"os": "linux", "architecture": "amd64"}
LAYER = layer([F("etc/motd", b"hello\n"), F("app/main", b"\x7fELF")])


def assert_limit_error(run: _support.Run, key: str) -> str:
    """Exit 2, one ``finalstage:`` line on stderr that names ``--limit KEY=N``; returns it."""
    assert not run.timed_out
    err = run.stderr.decode()
    assert run.returncode == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("finalstage: "), lines
    assert f"--limit {key}=N" in lines[0], lines[0]
    return lines[0]


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> _support.Run:
    return _support.run_cli(["inspect", "--no-cache", *args], cwd=tmp_path, timeout=40,
                            extra_env=env)


# -- registry: the fault server, with a chain of indexes when asked ------------------------------


class IndexServer(FaultServer):
    """The fault server whose tag names ``depth`` nested OCI indexes above the image manifest."""

    def __init__(self, *, depth: int, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.indexes: dict[str, bytes] = {}
        desc = {"mediaType": OCI_MANIFEST, "digest": sha256(self.image.manifest),
                "size": len(self.image.manifest), "platform": AMD64}
        self.top: bytes | None = None
        for _ in range(depth):
            body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                               "manifests": [desc]}).encode()
            self.indexes[f"/v2/{self.repo}/manifests/{sha256(body)}"] = body
            desc = {"mediaType": OCI_INDEX, "digest": sha256(body), "size": len(body),
                    "platform": AMD64}
            self.top = body

    def _target(self, path: str) -> tuple[str, bytes | None, str]:
        if self.top is not None and path == f"/v2/{self.repo}/manifests/{self.tag}":
            return "index", self.top, OCI_INDEX
        if path in self.indexes:
            return "index", self.indexes[path], OCI_INDEX
        return super()._target(path)


pytestmark = pytest.mark.usefixtures("no_ambient_credentials")


def ref(server: FaultServer) -> str:
    return f"docker://{server.host}/{server.repo}:{server.tag}"


def pull(server: FaultServer, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    core = open_registry_core(f"{server.host}/{server.repo}:{server.tag}", limits=limits,
                              retry=RetryPolicy(attempts=2, base=0.01, cap=0.05))
    try:
        return sorted(e.path for e in merged_tree(Image(core, limits=limits)).walk() if e.path)
    finally:
        core.close()


@pytest.mark.parametrize(("key", "value", "words"), [
    ("max-manifest-bytes", "100", "response larger than 100 bytes"),
    ("max-config-bytes", "50", "response larger than 50 bytes"),
])
def test_registry_json_bytes(registry: FaultServer, tmp_path: Path, key: str, value: str,
                             words: str) -> None:
    line = assert_limit_error(cli(tmp_path, "--limit", f"{key}={value}", ref(registry)), key)
    assert words in line


def test_registry_index_bytes_and_depth(small_image: SmallImage, tmp_path: Path) -> None:
    with IndexServer(image=small_image, depth=2, lifetime=60) as server:
        assert pull(server) == sorted(small_image.files)  # two nested indexes pass by default
        line = assert_limit_error(
            cli(tmp_path, "--limit", "max-index-depth=1", ref(server)), "max-index-depth")
        assert "indexes nested more than 1 deep" in line
        line = assert_limit_error(
            cli(tmp_path, "--limit", "max-index-bytes=100", ref(server)), "max-index-bytes")
        assert "larger than 100 bytes" in line


def test_registry_redirects(registry: FaultServer, small_image: SmallImage,
                            tmp_path: Path) -> None:
    layer_path = f"/v2/{registry.repo}/blobs/{sha256(small_image.layer)}"
    registry.fault("layer", "redirect", times=2, location=layer_path)
    assert pull(registry) == sorted(small_image.files)  # two hops: within the default 5
    registry.fault("layer", "redirect", times=2, location=layer_path)
    line = assert_limit_error(cli(tmp_path, "--limit", "max-redirects=1", ref(registry)),
                              "max-redirects")
    assert "more than 1 redirects" in line


def test_registry_response_bytes(registry: FaultServer, tmp_path: Path) -> None:
    # One 401 with a Bearer challenge: the token response (~40 bytes) is then over the limit.
    registry.fault("manifest", "unauthorized", times=1)
    line = assert_limit_error(cli(tmp_path, "--limit", "max-response-bytes=10", ref(registry)),
                              "max-response-bytes")
    assert "fetching token" in line and "larger than 10 bytes" in line


def test_registry_timeout(registry: FaultServer, tmp_path: Path) -> None:
    registry.fault("manifest", "slow", delay=20)
    run = cli(tmp_path, "--limit", "timeout=0.2", ref(registry))
    line = assert_limit_error(run, "timeout")
    assert "timed out after 0.2 s" in line
    assert run.seconds < 15  # 4 tries of 0.2 s and the default backoff, not 20 s


def test_registry_body_deadline(registry: FaultServer, tmp_path: Path) -> None:
    # A byte every 50 ms never trips the 1 s read timeout; the body deadline (1 × 1 s) does.
    registry.fault("manifest", "drip", interval=0.05, max_seconds=20)
    run = cli(tmp_path, "--limit", "timeout=1", "--limit", "body-deadline-reads=1",
              ref(registry))
    line = assert_limit_error(run, "body-deadline-reads")
    assert "body not received within 1 s" in line and "--limit timeout=N" in line
    assert run.seconds < 10


def test_registry_download_deadline(registry: FaultServer, small_image: SmallImage,
                                    tmp_path: Path) -> None:
    # A layer dripped a byte every 10 ms: every read arrives well inside the timeout, the whole
    # layer would take minutes; the download deadline stops it.
    registry.fault("layer", "drip", interval=0.01, max_seconds=30, times=1)
    run = cli(tmp_path, "--limit", "download-deadline=1.5", ref(registry))
    line = assert_limit_error(run, "download-deadline")
    assert "download deadline of 1.5 s reached" in line and "reading blob" in line
    assert run.seconds < 8
    assert pull(registry) == sorted(small_image.files)  # the default lets it through


# -- OCI layouts and docker archives: real files -------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("limit-keys")
    oci = Path(oci_layout(str(root / "oci"), [LAYER]))
    nested = Path(oci_layout(str(root / "nested"), [LAYER]))
    _nest(nested, depth=2)
    archive = root / "oci.tar"
    with tarfile.open(archive, "w") as tf:
        for path in sorted(oci.rglob("*")):
            tf.add(path, arcname=str(path.relative_to(oci)), recursive=False)
    docker = Path(docker_archive(str(root / "docker.tar"), [LAYER]))
    crowded = Path(docker_archive(str(root / "crowded.tar"), [LAYER]))
    with tarfile.open(crowded, "a") as tf:  # members docker load ignores
        for i in range(300):
            info = tarfile.TarInfo(f"junk/{i}")
            info.size = 1
            tf.addfile(info, io.BytesIO(b"x"))
    return {"oci": oci, "nested": nested, "oci-archive": archive, "docker": docker,
            "crowded": crowded}


def _nest(root: Path, *, depth: int) -> None:
    """Put ``depth`` OCI indexes between ``index.json`` and the image manifest."""
    index_path = root / "index.json"
    index = json.loads(index_path.read_text())
    desc = {**index["manifests"][0], "platform": AMD64}
    desc.pop("annotations", None)
    for _ in range(depth):
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                           "manifests": [desc]}).encode()
        (root / "blobs" / "sha256" / sha256(body)[7:]).write_bytes(body)
        desc = {"mediaType": OCI_INDEX, "digest": sha256(body), "size": len(body),
                "platform": AMD64}
    index["manifests"] = [desc]
    index_path.write_text(json.dumps(index))


def read(reference: str, limits: Limits = DEFAULT_LIMITS) -> int:
    img = Image(open_core(reference, limits=limits), limits=limits)
    return sum(1 for _ in merged_tree(img).walk())


@pytest.mark.parametrize(("fmt", "file", "key", "value", "words"), [
    ("oci", "oci", "max-manifest-bytes", "100", "manifest sha256:"),
    ("oci", "oci", "max-config-bytes", "100", "config sha256:"),
    ("oci", "oci", "max-index-bytes", "100", "index.json is larger than 100 bytes"),
    ("oci-archive", "oci-archive", "max-index-bytes", "100", "index.json is "),
    ("oci", "nested", "max-index-depth", "1", "indexes nested deeper than 1"),
    ("docker-archive", "docker", "max-index-bytes", "50", "manifest.json is "),
    ("docker-archive", "docker", "max-config-bytes", "50", ".json is "),
    ("docker-archive", "crowded", "max-entries", "100", "more than 100 entries"),
], ids=["oci-manifest", "oci-config", "oci-index", "oci-archive-index", "oci-index-depth",
        "docker-manifest-json", "docker-config", "outer-archive-entries"])
def test_file_sources(files: dict[str, Path], tmp_path: Path, fmt: str, file: str, key: str,
                      value: str, words: str) -> None:
    reference = f"{fmt}:{files[file]}"
    assert read(reference) >= 2  # the default lets it through
    line = assert_limit_error(cli(tmp_path, "--limit", f"{key}={value}", reference), key)
    assert words in line


def test_outer_archive_entries_through_the_library(files: dict[str, Path]) -> None:
    # The outer tar is indexed before any layer: the error names the archive, not a layer.
    with pytest.raises(Exception, match=r"reading archive .*more than 100 entries") as info:
        open_core(f"docker-archive:{files['crowded']}", limits=Limits(max_entries=100))
    assert "--limit max-entries=N" in str(info.value)


# -- the Docker Engine API and containers-storage ------------------------------------------------


def test_daemon_timeout(tmp_path: Path) -> None:
    # A unix socket whose listener never accepts: the client connects and waits for an answer.
    with tempfile.TemporaryDirectory(prefix="fs-", dir="/tmp") as short:
        path = os.path.join(short, "d.sock")
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path)
        listener.listen(8)
        try:
            run = _support.run_cli(
                ["inspect", "--limit", "daemon-timeout=0.3", "docker-daemon:app:1"],
                cwd=tmp_path, timeout=30, extra_env={"DOCKER_HOST": f"unix://{path}"})
        finally:
            listener.close()
    line = assert_limit_error(run, "daemon-timeout")
    assert "timed out after 0.3 s" in line


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_storage_timeout(tmp_path: Path) -> None:
    # An explicit, empty vfs store under tmp_path: skopeo never touches the user's storage.
    store = f"[vfs@{tmp_path / 'root'}+{tmp_path / 'run'}]"
    run = _support.run_cli(
        ["inspect", "--limit", "storage-timeout=0.001", f"containers-storage:{store}app:1"],
        cwd=tmp_path, timeout=30)
    line = assert_limit_error(run, "storage-timeout")
    assert "skopeo timed out after 0.001 s" in line


# -- parsing, help, documentation ---------------------------------------------------------------


@pytest.mark.parametrize(("spec", "words"), [
    ("timeout=abc", "expected seconds like 90 or 1.5"),
    ("timeout=0", "must be above 0"),
    ("timeout=-1", "must be above 0"),
    ("timeout=inf", "expected seconds"),
    ("timeout=nan", "expected seconds"),
    ("nope=1", "expected NAME=VALUE with NAME one of max-entries, "),
    ("max-redirects=1.5", "a whole number"),
    ("max-index-depth=2MiB", "a whole number"),
    ("max-manifest-bytes=lots", "a size like"),
])
def test_bad_values_are_one_line_usage_errors(tmp_path: Path, spec: str, words: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_limits([spec])
    assert words in str(info.value)
    run = _support.run_cli(["inspect", "--limit", spec, "docker-archive:/nonexistent.tar"],
                           cwd=tmp_path, timeout=30)
    err = run.stderr.decode()
    assert run.returncode == 2 and err.count("\n") == 1, err
    assert err.startswith("finalstage: invalid --limit") and "Traceback" not in err


@pytest.mark.parametrize(("spec", "field", "value"), [
    ("timeout=90", "timeout", 90.0),
    ("timeout=1.5", "timeout", 1.5),
    ("timeout=2s", "timeout", 2.0),
    ("daemon-timeout=600", "daemon_timeout", 600.0),
    ("storage-timeout=0.5", "storage_timeout", 0.5),
    ("max-manifest-bytes=8MiB", "max_manifest_bytes", 8 << 20),
    ("max-config-bytes=10MB", "max_config_bytes", 10 * 10**6),
    ("max-index-bytes=64MiB", "max_index_bytes", 64 << 20),
    ("max-index-depth=2", "max_index_depth", 2),
    ("max-redirects=10", "max_redirects", 10),
    ("max-response-bytes=64KiB", "max_response_bytes", 64 << 10),
    ("body-deadline-reads=10", "body_deadline_reads", 10),
    ("download-deadline=20s", "download_deadline", 20.0),
    ("download-deadline=3600", "download_deadline", 3600.0),
])
def test_new_keys_parse(spec: str, field: str, value: float) -> None:
    got = parse_limits([spec])
    assert getattr(got, field) == value
    assert [f for f in LIMIT_KEYS.values() if getattr(got, f) != getattr(DEFAULT_LIMITS, f)] \
        == [field]


def test_only_layer_scan_limits_bypass_the_layer_cache() -> None:
    # A cached layer scan was checked against the layer limits only: lowering one of those
    # must re-read the layer; lowering a JSON, network or per-image bound must not.
    assert is_lowered(Limits(max_entries=10))
    assert is_lowered(Limits(max_path_depth=3))
    for spec in ("max-manifest-bytes=1KiB", "max-config-bytes=1KiB", "max-index-bytes=1KiB",
                 "max-index-depth=1", "max-redirects=1", "max-response-bytes=1KiB",
                 "timeout=1", "body-deadline-reads=1", "daemon-timeout=1", "storage-timeout=1",
                 "download-deadline=1",
                 "max-image-entries=10", "max-image-decompressed=1MiB"):
        assert not is_lowered(parse_limits([spec])), spec
    assert not is_lowered(parse_limits(["max-entries=10000000", "timeout=90"]))  # raised


@pytest.mark.parametrize("command", ["inspect", "ls", "check"])
def test_help_lists_every_key_with_its_default(tmp_path: Path, command: str) -> None:
    run = _support.run_cli([command, "--help"], cwd=tmp_path, timeout=30)
    assert run.returncode == 0
    text = run.stdout.decode()
    for key, field in LIMIT_KEYS.items():  # one key a line, never split at a dash
        assert re.search(rf"(?m)^\s*{re.escape(key)}={re.escape(format_default(field))}$",
                         text), (command, key)
    if command == "inspect":
        assert len(text.splitlines()) < 80, "inspect --help must stay readable"


def test_security_md_lists_every_key_and_default() -> None:
    security = (Path(__file__).resolve().parents[2] / "SECURITY.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in security.splitlines()
            if line.startswith("| `")}
    for key, field in LIMIT_KEYS.items():
        row = rows.get(f"`{key}`")
        assert row is not None, f"SECURITY.md has no row for --limit {key}"
        assert f"`{format_default(field)}`" in row, (key, row)


def test_defaults_are_the_documented_ones() -> None:
    # The ones kept from before the move to finalstage/limits.py, and the new ones.
    assert DEFAULT_LIMITS.max_manifest_bytes == 4 << 20
    assert DEFAULT_LIMITS.max_config_bytes == 4 << 20
    assert DEFAULT_LIMITS.max_index_bytes == 16 << 20
    assert DEFAULT_LIMITS.max_index_depth == 8
    assert DEFAULT_LIMITS.max_redirects == 5
    assert DEFAULT_LIMITS.max_response_bytes == 1 << 20
    assert DEFAULT_LIMITS.timeout == 30.0
    assert DEFAULT_LIMITS.body_deadline_reads == 4
    assert DEFAULT_LIMITS.download_deadline == 6 * 3600.0
    assert DEFAULT_LIMITS.daemon_timeout == 300.0
    assert DEFAULT_LIMITS.storage_timeout == 1800.0


def test_lowered_registry_limits_reach_the_library(registry: FaultServer) -> None:
    with pytest.raises(CorruptImageError, match="--limit max-config-bytes=N"):
        pull(registry, Limits(max_config_bytes=10))


@pytest.mark.parametrize("command", ["ls", "check"])
def test_ls_and_check_pass_limits_to_the_source(files: dict[str, Path], tmp_path: Path,
                                                command: str) -> None:
    run = _support.run_cli([command, "--limit", "max-config-bytes=50",
                            f"docker-archive:{files['docker']}"], cwd=tmp_path, timeout=40)
    assert ".json is " in assert_limit_error(run, "max-config-bytes")
