"""Local uncompressed layers: headers read by pread while a side thread hashes every byte.

The digests must still be checked byte for byte, errors must still come in layer order, and a
file rewritten during the read must be an error rather than a verdict on mixed bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from make_layers import F, docker_archive, layer, sha

from finalstage.errors import CorruptImageError, DigestMismatchError
from finalstage.fs.merge import merged_tree
from finalstage.image.archive import open_core
from finalstage.image.core import LayerHandle
from finalstage.image.image import Image
from finalstage.image.layers import scan_layer, start_scan

TAR = layer(
    [
        F("etc/", kind="d"),
        F("etc/os-release", b"ID=test\n"),
        F("bin/app", b"\x7fELF" + b"x" * 700_000),  # bigger than one header read
        F("bin/sh", kind="l", link="app"),
    ]
)
OTHER = layer([F("srv/", kind="d"), F("srv/data", b"d" * 5000)])


def file_handle(path: Path, *, diff_id: str | None = None, digest: str | None = None) -> LayerHandle:
    return LayerHandle(
        media_type=None,
        digest=digest,
        diff_id=diff_id or sha(path.read_bytes()),
        size=path.stat().st_size,
        open=lambda: open(path, "rb"),
    )


def test_file_layer_lists_the_same_entries_as_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "layer.tar"
    path.write_bytes(TAR)
    scan = scan_layer(file_handle(path, digest=sha(TAR)), 0)
    assert [(e.path, e.kind, e.size, e.link) for e in scan.entries] == [
        ("etc", "d", 0, None),
        ("etc/os-release", "f", 8, None),
        ("bin/app", "f", 700_004, None),
        ("bin/sh", "l", 0, "app"),
    ]
    assert scan.compressed_size == scan.uncompressed_size == len(TAR)


def test_file_layer_whose_bytes_do_not_match_fails(tmp_path: Path) -> None:
    path = tmp_path / "layer.tar"
    # The same headers, one byte of file data changed: only hashing every byte can see it.
    bad = bytearray(TAR)
    at = bytes(TAR).index(b"xxxx")
    bad[at] = ord("y")
    path.write_bytes(bytes(bad))
    with pytest.raises(DigestMismatchError, match="diff_id"):
        scan_layer(file_handle(path, diff_id=sha(TAR)), 0)


def test_truncated_file_layer_fails(tmp_path: Path) -> None:
    path = tmp_path / "layer.tar"
    path.write_bytes(TAR[: len(TAR) // 2])
    with pytest.raises(CorruptImageError, match="unexpected end"):
        scan_layer(file_handle(path, diff_id=sha(TAR)), 0)


def test_file_changed_while_hashing_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "layer.tar"
    path.write_bytes(TAR)
    pending = start_scan(file_handle(path), 0)
    assert pending.unverified.entries  # listed before the digest is known
    os.utime(path, ns=(1, 1))  # any write moves mtime/ctime: the bytes can no longer be trusted
    with pytest.raises(CorruptImageError, match="changed while it was read"):
        pending.result()


def test_earlier_digest_mismatch_wins_over_later_parse_error(tmp_path: Path) -> None:
    broken = TAR[:1024]  # a later layer that is not a complete tar
    archive = docker_archive(
        str(tmp_path / "img.tar"),
        [OTHER, broken],
        diff_ids=["sha256:" + "0" * 64, sha(broken)],
    )
    with pytest.raises(DigestMismatchError, match="layer 0"):
        Image(open_core(archive)).scan()


def test_tree_waits_for_digests(tmp_path: Path) -> None:
    archive = docker_archive(
        str(tmp_path / "img.tar"), [TAR, OTHER], diff_ids=[sha(TAR), "sha256:" + "1" * 64]
    )
    image = Image(open_core(archive))
    with pytest.raises(DigestMismatchError, match="layer 1"):
        merged_tree(image)
    # Nothing half-verified is kept for a second call either.
    with pytest.raises(DigestMismatchError):
        merged_tree(image)


def test_unverified_tree_then_wait(tmp_path: Path) -> None:
    archive = docker_archive(str(tmp_path / "img.tar"), [TAR, OTHER])
    image = Image(open_core(archive))
    tree = merged_tree(image, wait=False)
    image.wait_verified()
    assert tree.get("srv/data") is not None and tree.get("bin/app") is not None


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("max-decompressed=1KiB", "exceeds limit 1024 (raise with --limit max-decompressed=N)"),
        ("max-image-decompressed=1KiB", "(raise with --limit max-image-decompressed=N)"),
    ],
)
def test_local_layer_limits_from_the_command_line(tmp_path: Path, key: str, message: str) -> None:
    """The pread path counts a local layer's bytes without reading them: the byte limits
    still apply, with the same one-line error and exit 2."""
    import subprocess
    import sys

    archive = docker_archive(str(tmp_path / "img.tar"), [TAR, OTHER])
    run = subprocess.run(
        [sys.executable, "-m", "finalstage", "inspect", f"docker-archive:{archive}", "--no-cache",
         "--limit", key],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_side_hash_spans_buffers_shortens_the_switch_interval_and_restores_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The side thread hashes in buffers: a layer many buffers long is hashed byte for byte
    (one flipped byte in its last buffer is a mismatch). While it runs the GIL switch interval
    is short (the parse thread would otherwise hold the GIL for 5 ms per hash call); afterwards
    it is what it was."""
    import hashlib
    import sys

    from finalstage.image import localfile

    monkeypatch.setattr(localfile.SideHash, "BUFFER", 4096)
    data = layer([F(f"f{i}", bytes([i]) * 9000) for i in range(40)])
    path = tmp_path / "layer.tar"
    path.write_bytes(data)
    before = sys.getswitchinterval()
    seen: list[float] = []

    class Probe:
        def __init__(self) -> None:
            self.h = hashlib.sha256()

        def update(self, chunk: memoryview) -> None:
            seen.append(sys.getswitchinterval())
            self.h.update(chunk)

        def hexdigest(self) -> str:
            return self.h.hexdigest()

    fd = os.open(path, os.O_RDONLY)
    try:
        side = localfile.SideHash(fd, 0, len(data), [Probe()], "reading layer 0")
        assert side.view(0).hexdigest() == hashlib.sha256(data).hexdigest()
    finally:
        os.close(fd)
    assert len(seen) == -(-len(data) // 4096)
    assert max(seen) <= localfile._QuickSwitch.INTERVAL < before
    assert sys.getswitchinterval() == before
    assert scan_layer(file_handle(path), 0).entries  # verified against its diff_id
    flipped = bytearray(data)
    flipped[data.rindex(bytes([39]) * 100)] ^= 1  # in the last file's data, the last buffers
    path.write_bytes(bytes(flipped))
    with pytest.raises(DigestMismatchError):
        scan_layer(file_handle(path, diff_id=sha(data)), 0)
    assert sys.getswitchinterval() == before
