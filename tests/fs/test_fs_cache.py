"""The per-layer index cache: round trip, corruption, eviction, concurrency, and its use by Image."""

from __future__ import annotations

import hashlib
import marshal
import os
import subprocess
import sys
import threading
import time
import zlib
from array import array
from pathlib import Path

import pytest
from make_layers import F, docker_archive, layer, sha

from finalstage.fs.cache import _HEADER, FORMAT_VERSION, MAGIC, TMP_MAX_AGE, LayerCache, to_cached
from finalstage.image.image import Image
from finalstage.image.open import open_core
from finalstage.image.tarheader import RawEntry

ENTRIES = [
    RawEntry("etc", "d", 0o755, 0, 0, 0, 1, None, 0, 0),
    RawEntry("etc/app.conf", "f", 0o644, 1000, 1000, 300, 1_700_000_000, None, 0, 0),
    RawEntry("bin/alias", "l", 0o777, 0, 0, 0, 2, "tool", 0, 0),
    RawEntry("dev/null", "c", 0o666, 0, 0, 0, 3, None, 1, 3),
    RawEntry("caf\udce9", "f", 0o4755, 2**40, 7, 2**35, -5, None, 0, 0),  # not UTF-8, setuid
    RawEntry("bin/hard", "h", 0o755, 0, 0, 0, 4, "bin/tool", 0, 0),
]


def _scan() -> object:
    return to_cached("gzip", 123, 4567, ENTRIES, {"etc/app.conf": b"x" * 300})


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    key = LayerCache.key("sha256:" + "a" * 64, "sha256:" + "b" * 64)
    assert key is not None
    cache.put(key, _scan())  # type: ignore[arg-type]
    got = cache.get(key)
    assert got is not None
    assert got.entries == ENTRIES
    assert (got.compression, got.compressed_size, got.uncompressed_size) == ("gzip", 123, 4567)
    assert got.captured == {"etc/app.conf": b"x" * 300}
    assert cache.hits == 1


def test_empty_layer_round_trip(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.put("k", to_cached("tar", 1024, 1024, [], {}))
    got = cache.get("k")
    assert got is not None and got.entries == [] and got.captured == {}


def test_key_depends_on_digests_and_tag() -> None:
    a = LayerCache.key("sha256:1", "sha256:2")
    assert a == LayerCache.key("sha256:1", "sha256:2")
    assert a != LayerCache.key("sha256:1", "sha256:3")
    assert a != LayerCache.key("sha256:1", "sha256:2", "analysis")
    assert LayerCache.key(None, None) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # payload bit flip: checksum
        lambda b: b[:40],  # truncated
        lambda b: b"NOTIDX" + b[6:],  # magic
        lambda b: b[:6] + (FORMAT_VERSION + 1).to_bytes(2, "little") + b[8:],  # other version
        lambda b: b"",
    ],
)
def test_corrupt_entry_is_a_miss_and_removed(tmp_path: Path, damage) -> None:
    cache = LayerCache(tmp_path)
    cache.put("k", _scan())  # type: ignore[arg-type]
    path = tmp_path / "k.fsidx"
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get("k") is None
    assert not path.exists()  # rebuilt on the next put
    cache.put("k", _scan())  # type: ignore[arg-type]
    assert cache.get("k") is not None


def test_eviction_removes_least_recently_used(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    for i in range(3):
        cache.put(f"k{i}", _scan())  # type: ignore[arg-type]
        os.utime(tmp_path / f"k{i}.fsidx", ns=(10**18 + i, 10**18 + i))
    size = (tmp_path / "k0.fsidx").stat().st_size
    os.utime(tmp_path / "k0.fsidx", ns=(2 * 10**18, 2 * 10**18))  # k0 used most recently
    small = LayerCache(tmp_path, max_bytes=2 * size)
    small.evict()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["k0.fsidx", "k2.fsidx"]


def test_concurrent_writers_leave_a_whole_entry(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(20):
                cache.put("k", _scan())  # type: ignore[arg-type]
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = LayerCache(tmp_path).get("k")
    assert got is not None and got.entries == ENTRIES
    assert [p.name for p in tmp_path.iterdir()] == ["k.fsidx"]  # no temporary files left


def test_unwritable_directory_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = LayerCache(blocker / "cache")
    cache.put("k", _scan())  # type: ignore[arg-type]
    assert cache.get("k") is None


def test_default_dir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from finalstage.fs.cache import default_dir

    monkeypatch.setenv("FINALSTAGE_CACHE_DIR", str(tmp_path / "x"))
    assert default_dir() == tmp_path / "x"
    monkeypatch.delenv("FINALSTAGE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == tmp_path / "xdg" / "finalstage"


L0 = layer([F("etc/", kind="d"), F("etc/a", b"a" * 700), F("bin/t", b"t" * 3000, mode=0o755)])
L1 = layer([F("etc/a", b"b" * 10), F("etc/.wh.gone")])


def test_image_warm_scan_equals_cold_and_reads_no_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0, L1])
    cold_cache = LayerCache(tmp_path / "c")
    cold = Image(open_core(f"docker-archive:{path}"), cache=cold_cache).scan()
    assert cold_cache.misses == 2 and cold_cache.hits == 0

    warm_cache = LayerCache(tmp_path / "c")
    img = Image(open_core(f"docker-archive:{path}"), cache=warm_cache)
    import finalstage.image.image as image_module

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("a layer was read on a warm cache")

    monkeypatch.setattr(image_module, "start_scan", no_read)
    warm = img.scan()
    assert warm_cache.hits == 4  # two witnesses, two scans
    assert [(s.index, s.diff_id, s.compression, s.uncompressed_size, s.entries) for s in warm] == [
        (s.index, s.diff_id, s.compression, s.uncompressed_size, s.entries) for s in cold
    ]


def test_unverified_scans_are_not_cached(tmp_path: Path) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0])
    cache = LayerCache(tmp_path / "c")
    Image(open_core(f"docker-archive:{path}"), cache=cache, verify=False).scan()
    assert not (tmp_path / "c").exists() or not list((tmp_path / "c").iterdir())


def test_layer_file_changed_after_caching_is_read_again(tmp_path: Path) -> None:
    """Same diff_id in the config, same size, other bytes: the witness no longer matches."""
    from finalstage.errors import DigestMismatchError

    path = tmp_path / "img.tar"
    docker_archive(str(path), [L1])
    cache_dir = tmp_path / "c"
    Image(open_core(f"docker-archive:{path}"), cache=LayerCache(cache_dir)).scan()
    data = path.read_bytes()
    pos = data.index(b"b" * 10)
    path.write_bytes(data[:pos] + b"c" + data[pos + 1 :])  # one byte of file data, same size
    with pytest.raises(DigestMismatchError):
        Image(open_core(f"docker-archive:{path}"), cache=LayerCache(cache_dir)).scan()


def test_swapped_layer_of_other_size_is_read_and_fails(tmp_path: Path) -> None:
    from finalstage.errors import DigestMismatchError

    good = docker_archive(str(tmp_path / "good.tar"), [L1])
    cache = LayerCache(tmp_path / "c")
    Image(open_core(f"docker-archive:{good}"), cache=cache).scan()
    bad = docker_archive(str(tmp_path / "bad.tar"), [L0], diff_ids=[sha(L1)])
    with pytest.raises(DigestMismatchError):
        Image(open_core(f"docker-archive:{bad}"), cache=LayerCache(tmp_path / "c")).scan()


def test_parallel_scan_reports_first_failing_layer_in_order(tmp_path: Path) -> None:
    from finalstage.errors import DigestMismatchError

    bad = docker_archive(
        str(tmp_path / "bad.tar"), [L0, L1, L0], diff_ids=[sha(L0), sha(L0), sha(L1)]
    )
    with pytest.raises(DigestMismatchError, match="layer 1"):
        Image(open_core(f"docker-archive:{bad}"), workers=2).scan()


def test_values_beyond_64_bits_are_not_cached(tmp_path: Path) -> None:
    # Base-256 tar fields can hold numbers no int64 column can: such a layer is just not cached.
    huge = RawEntry("f", "f", 0o644, 0, 0, 1, 2**80, None, 0, 0)
    cache = LayerCache(tmp_path)
    cache.put("k", to_cached("tar", 1, 1, [huge], {}))
    assert cache.get("k") is None


# -- entries whose checksum holds but whose contents do not: crafted, then read ----------------


def _write_payload(path: Path, doc: object) -> None:
    """An entry file with a valid header and checksum around ``doc`` (marshalled, zlib'd)."""
    payload = zlib.compress(marshal.dumps(doc), 1)
    header = _HEADER.pack(MAGIC, FORMAT_VERSION, len(payload),
                          hashlib.blake2b(payload, digest_size=16).digest())
    path.write_bytes(header + payload)


def _scan_doc(path: Path) -> list | None:
    """The document of a scan entry (None for witnesses and reports)."""
    try:
        doc = marshal.loads(zlib.decompress(path.read_bytes()[_HEADER.size:]))
    except (ValueError, EOFError, zlib.error):
        return None
    return list(doc) if isinstance(doc, tuple) and len(doc) == 10 and doc[0] else None


def _good_doc() -> list:
    one = array("q", [0]).tobytes()
    return [1, "gzip", 10, 512, b"etc/a", "f", (one,) * 5, {}, {}, {}]


_CRAFTED = {
    "link of an entry that does not exist": (7, {3: "target"}),  # IndexError once
    "device of an entry that does not exist": (8, {5: (1, 3)}),
    "negative link index": (7, {-3: "x"}),
    "unknown kind": (5, "z"),
    "kinds of another length": (5, "ff"),
    "paths not bytes": (4, "etc/a"),
    "column of the wrong width": (6, (b"\0" * 7,) * 5),
    "four integer columns": (6, (array("q", [0]).tobytes(),) * 4),
    "count not an int": (0, "1"),
    "negative sizes": (2, -1),
    "captured value of an unknown type": (9, {"etc/a": 42}),
    "captured value of an unregistered class": (9, {"etc/a": ("\0dc", "nope", 1)}),
    "captured value rebuilt with the wrong fields": (9, {"etc/a": ("\0dc", "unreadable")}),
    "link table not a dict": (7, [(0, "x")]),
}


@pytest.mark.parametrize("why", sorted(_CRAFTED))
def test_inconsistent_entry_with_valid_checksum_is_a_miss(tmp_path: Path, why: str) -> None:
    cache = LayerCache(tmp_path)
    path = tmp_path / "k.fsidx"
    _write_payload(path, tuple(_good_doc()))
    assert cache.get("k") is not None  # the uncrafted document reads
    index, value = _CRAFTED[why]
    doc = _good_doc()
    doc[index] = value
    _write_payload(path, tuple(doc))
    assert cache.get("k") is None
    assert not path.exists()  # dropped, to be rebuilt


@pytest.mark.parametrize("doc", [None, 5, (1, 2, 3), "text", ((),) * 10])
def test_entry_that_is_not_a_scan_is_a_miss(tmp_path: Path, doc: object) -> None:
    _write_payload(tmp_path / "k.fsidx", doc)
    assert LayerCache(tmp_path).get("k") is None
    assert not (tmp_path / "k.fsidx").exists()


def test_image_reindexes_a_layer_whose_entry_is_inconsistent(tmp_path: Path) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0, L1])
    cold = Image(open_core(f"docker-archive:{path}"), cache=LayerCache(tmp_path / "c")).scan()
    scans = {p: doc for p in (tmp_path / "c").iterdir() if (doc := _scan_doc(p)) is not None}
    assert len(scans) == 2
    for p, doc in scans.items():  # valid checksums, a link index past the end
        doc[7] = {doc[0] + 10: "nowhere"}
        _write_payload(p, tuple(doc))
    cache = LayerCache(tmp_path / "c")
    warm = Image(open_core(f"docker-archive:{path}"), cache=cache).scan()
    assert [s.entries for s in warm] == [s.entries for s in cold]
    assert cache.misses >= 2  # read again ...
    again = LayerCache(tmp_path / "c")
    Image(open_core(f"docker-archive:{path}"), cache=again).scan()
    assert again.misses == 0  # ... and stored again


def test_cli_inspect_with_an_inconsistent_entry_is_not_an_internal_error(
        tmp_path: Path) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0, L1])
    env = {**os.environ, "FINALSTAGE_CACHE_DIR": str(tmp_path / "c"),
           "FINALSTAGE_REPORT_CACHE": "0"}
    args = [sys.executable, "-m", "finalstage", "inspect", "--format", "json", str(path)]
    cold = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert cold.returncode == 0, cold.stderr
    crafted = 0
    for p in (tmp_path / "c").iterdir():
        if (doc := _scan_doc(p)) is not None:
            doc[7] = {doc[0] + 5: "nowhere"}
            _write_payload(p, tuple(doc))
            crafted += 1
    assert crafted >= 2
    warm = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert (warm.returncode, warm.stderr) == (0, "")
    assert warm.stdout == cold.stdout


# -- temporary files of killed runs -------------------------------------------------------------


def test_orphan_temporary_files_are_removed_and_young_ones_count(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    cache.put("k0", _scan())  # type: ignore[arg-type]
    size = (tmp_path / "k0.fsidx").stat().st_size
    old = tmp_path / ".tmp-killed.fsidx"
    old.write_bytes(b"x" * 10 * size)
    stale = time.time() - TMP_MAX_AGE - 60
    os.utime(old, (stale, stale))
    young = tmp_path / ".tmp-writing.fsidx"
    young.write_bytes(b"y" * size)
    LayerCache(tmp_path, max_bytes=3 * size).evict()
    assert not old.exists()  # a killed run's leftover: gone
    assert young.exists() and (tmp_path / "k0.fsidx").exists()  # 2 sizes: within the cap

    cache.put("k1", _scan())  # type: ignore[arg-type]
    os.utime(tmp_path / "k0.fsidx", ns=(10**18, 10**18))  # the least recently used
    LayerCache(tmp_path, max_bytes=2 * size + size // 2).evict()
    # k0 + k1 + the temporary file are 3 sizes: over the cap, so an entry goes (never the
    # temporary file of a write that may still be running).
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-writing.fsidx", "k1.fsidx"]
