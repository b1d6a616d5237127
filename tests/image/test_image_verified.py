"""Verified once: a local layer file whose digests matched is not hashed again, until it changes.

Hashing is counted, never timed: every hash object the readers make comes from
``digest.hasher``, so the tests count its calls beside what the image says it hashed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from make_layers import F, docker_archive, layer, oci_layout

from finalstage.api.check import check
from finalstage.api.source import open_image
from finalstage.errors import DigestMismatchError
from finalstage.fs.cache import LayerCache
from finalstage.image import digest as dg
from finalstage.image.image import Image
from finalstage.image.open import open_core
from finalstage.image.parallel import ordered
from finalstage.settings import from_table

L0 = layer([F("etc/", kind="d"), F("etc/a", b"a" * 700), F("bin/t", b"t" * 300_000, mode=0o755)])
L1 = layer([F("etc/a", b"b" * 10), F("srv/big", b"x" * 900_000)])


@pytest.fixture
def hashers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The digests a hash object was made for, in the order they were made."""
    made: list[str] = []
    real = dg.hasher

    def counting(digest: str, context: str):  # type: ignore[no-untyped-def]
        made.append(digest)
        return real(digest, context)

    monkeypatch.setattr(dg, "hasher", counting)
    return made


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("FINALSTAGE_CACHE_DIR", str(directory))
    return directory


def listing(img: Image) -> list[list[tuple[str, str, int]]]:
    return [[(e.path, e.kind, e.size) for e in s.entries] for s in img.scan()]


def test_a_verified_archive_is_not_hashed_twice(tmp_path: Path, records: Path,
                                                hashers: list[str]) -> None:
    ref = "docker-archive:" + docker_archive(str(tmp_path / "img.tar"), [L0, L1])
    cold = open_image(ref, cache=True)
    first = listing(cold)
    assert cold.hashed_layers == (0, 1) and len(hashers) == 2
    hashers.clear()
    warm = open_image(ref, cache=False)  # reads the records (writes nothing)
    assert listing(warm) == first
    assert warm.hashed_layers == () and hashers == []


def test_a_changed_file_is_hashed_again(tmp_path: Path, records: Path,
                                        hashers: list[str]) -> None:
    path = Path(docker_archive(str(tmp_path / "img.tar"), [L0, L1]))
    ref = f"docker-archive:{path}"
    open_image(ref, cache=True).scan()
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touched, same bytes
    hashers.clear()
    again = open_image(ref)
    again.scan()
    assert again.hashed_layers == (0, 1) and len(hashers) == 2


def test_a_damaged_file_with_its_old_mtime_is_hashed_and_fails(
    tmp_path: Path, records: Path
) -> None:
    """One byte of file data changed in place, mtime put back: ctime still tells."""
    path = Path(docker_archive(str(tmp_path / "img.tar"), [L1]))
    ref = f"docker-archive:{path}"
    open_image(ref, cache=True).scan()
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[data.index(b"b" * 10)] = ord("c")
    with open(path, "r+b") as f:  # same inode, same size
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(DigestMismatchError):
        open_image(ref).scan()


def test_a_copy_of_a_verified_archive_is_hashed(tmp_path: Path, records: Path,
                                                hashers: list[str]) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0])
    open_image(f"docker-archive:{path}", cache=True).scan()
    shutil.copy2(path, tmp_path / "copy.tar")  # same bytes and mtime, another inode
    hashers.clear()
    copy = open_image(f"docker-archive:{tmp_path / 'copy.tar'}")
    copy.scan()
    assert copy.hashed_layers == (0,) and len(hashers) == 1


def test_reverify_hashes_every_layer_and_records_again(tmp_path: Path, records: Path,
                                                       hashers: list[str]) -> None:
    ref = "docker-archive:" + docker_archive(str(tmp_path / "img.tar"), [L0, L1])
    open_image(ref, cache=True).scan()
    hashers.clear()
    forced = open_image(ref, cache=True, reverify=True)  # neither record nor cached index
    forced.scan()
    assert forced.hashed_layers == (0, 1) and len(hashers) == 2
    hashers.clear()
    later = open_image(ref)
    later.scan()
    assert later.hashed_layers == () and hashers == []


def test_no_verify_records_nothing(tmp_path: Path, records: Path, hashers: list[str]) -> None:
    ref = "docker-archive:" + docker_archive(str(tmp_path / "img.tar"), [L0])
    open_image(ref, verify=False, cache=True).scan()
    assert hashers == []
    verified = open_image(ref)
    verified.scan()
    assert verified.hashed_layers == (0,) and len(hashers) == 1


def test_gzip_blobs_of_an_oci_layout_are_not_hashed_twice(
    tmp_path: Path, records: Path, hashers: list[str]
) -> None:
    ref = "oci:" + oci_layout(str(tmp_path / "oci"), [L0, L1])
    first = open_image(ref, keep_records=True)
    entries = listing(first)
    assert first.hashed_layers == (0, 1) and len(hashers) == 4  # blob digest and diff_id each
    hashers.clear()
    warm = open_image(ref)
    assert listing(warm) == entries and hashers == []


def test_inspect_after_check_costs_no_hashing(tmp_path: Path, records: Path,
                                              hashers: list[str]) -> None:
    ref = "docker-archive:" + docker_archive(str(tmp_path / "img.tar"), [L0, L1])
    check(ref, policy=from_table({}, "empty.toml"))
    assert len(hashers) == 2
    hashers.clear()
    after = open_image(ref)
    after.scan()
    assert after.hashed_layers == () and hashers == []


def test_no_cache_reads_records_but_writes_none(tmp_path: Path, records: Path,
                                                hashers: list[str]) -> None:
    ref = "docker-archive:" + docker_archive(str(tmp_path / "img.tar"), [L0])
    for _ in range(2):
        open_image(ref, cache=False).scan()
    assert len(hashers) == 2 and not records.exists()


def test_records_live_in_the_cache_of_a_bare_image(tmp_path: Path, hashers: list[str]) -> None:
    """``Image(core, cache=...)`` keeps its records in that cache: a warm scan of an unchanged
    file is served without hashing; without any store every read hashes."""
    path = docker_archive(str(tmp_path / "img.tar"), [L0])
    Image(open_core(f"docker-archive:{path}"), cache=LayerCache(tmp_path / "c")).scan()
    Image(open_core(f"docker-archive:{path}")).scan()
    assert len(hashers) == 2
    warm = Image(open_core(f"docker-archive:{path}"), cache=LayerCache(tmp_path / "c"))
    warm.scan()
    assert warm.hashed_layers == () and len(hashers) == 2


def test_the_largest_item_starts_first_and_results_keep_item_order() -> None:
    started: list[str] = []

    def fn(item: str) -> str:
        started.append(item)
        return item.upper()

    got = list(ordered(fn, ["a", "b", "c"], 1, discard=lambda v: None, name="t", start=[2, 0, 1]))
    assert started == ["c", "a", "b"]
    assert got == [("a", "A"), ("b", "B"), ("c", "C")]


def test_a_scan_starts_the_largest_layer_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               records: Path) -> None:
    import finalstage.image.image as image_module

    started: list[int] = []
    real = image_module.start_scan

    def recording(handle, index, **kwargs):  # type: ignore[no-untyped-def]
        started.append(index)
        return real(handle, index, **kwargs)

    monkeypatch.setattr(image_module, "start_scan", recording)
    small = layer([F("s", b"s")])
    path = docker_archive(str(tmp_path / "img.tar"), [small, L1, L0])  # sizes: small, big, mid
    img = Image(open_core(f"docker-archive:{path}"), workers=2)
    assert [s.index for s in img.scan()] == [0, 1, 2]
    assert started[0] == 1
