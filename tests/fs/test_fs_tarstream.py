"""The hand-written tar header reader: formats, edge cases, limits, and bad input."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile

import pytest
from make_layers import F, fix_checksum, layer, raw_header

from finalstage.errors import CorruptImageError, UnsafeArchiveError
from finalstage.image.tarheader import RawEntry, normalise
from finalstage.image.tarstream import iter_tar
from finalstage.limits import Limits


class Src:
    """A plain in-memory ByteSource."""

    def __init__(self, data: bytes) -> None:
        self.f = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self.f.read(n)

    def skip(self, n: int) -> int:
        before = self.f.tell()
        end = len(self.f.getbuffer())
        self.f.seek(min(before + n, end))
        return self.f.tell() - before


def entries(data: bytes, **kw) -> list[RawEntry]:
    return list(iter_tar(Src(data), context="reading layer test", **kw))


def test_matches_tarfile_on_every_kind() -> None:
    data = layer(
        [
            F("etc/", kind="d", mode=0o755),
            F("etc/passwd", b"root:x:0:0\n", mode=0o600, uid=1, gid=2),
            F("bin/sh", kind="l", link="/bin/busybox"),
            F("bin/ls", kind="h", link="etc/passwd"),
            F("dev/null", kind="c"),
            F("dev/sda", kind="b"),
            F("run/fifo", kind="p"),
        ]
    )
    got = entries(data)
    ref = tarfile.open(fileobj=io.BytesIO(data)).getmembers()  # noqa: SIM115
    assert [e.path for e in got] == [m.name.rstrip("/") for m in ref]
    assert [e.kind for e in got] == ["d", "f", "l", "h", "c", "b", "p"]
    passwd = got[1]
    assert (passwd.size, passwd.mode, passwd.uid, passwd.gid) == (11, 0o600, 1, 2)
    assert got[2].link == "/bin/busybox"
    assert got[3].link == "etc/passwd"
    assert (got[4].devmajor, got[4].devminor) == (1, 3)


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT], ids=["pax", "gnu"])
def test_long_names_and_link_names(fmt: int) -> None:
    long_dir = "/".join(["d" * 60] * 4)
    long_name = f"{long_dir}/{'f' * 120}"
    data = layer([F(long_name, b"x"), F("short", kind="l", link=long_name + "-target")], fmt=fmt)
    got = entries(data)
    assert got[0].path == long_name and got[0].size == 1
    assert got[1].link == long_name + "-target"


def test_ustar_prefix_field() -> None:
    name = "p" * 90 + "/" + "n" * 90
    data = layer([F(name, b"abc")], fmt=tarfile.USTAR_FORMAT)
    assert entries(data)[0].path == name


def test_non_utf8_names_round_trip_as_surrogateescape() -> None:
    raw_name = b"caf\xe9-\xff.txt".decode("utf-8", "surrogateescape")
    data = layer([F(raw_name, b"1")], fmt=tarfile.GNU_FORMAT)
    got = entries(data)[0].path
    assert got.encode("utf-8", "surrogateescape") == b"caf\xe9-\xff.txt"


def test_base256_size_field() -> None:
    payload = b"hello"
    field = bytes([0x80]) + (5).to_bytes(11, "big")
    data = raw_header("b256.txt", 5, size_field=field) + payload.ljust(512, b"\0") + bytes(1024)
    (e,) = entries(data)
    assert e.path == "b256.txt" and e.size == 5


def test_old_style_directory_with_trailing_slash() -> None:
    data = raw_header("olddir/", 0, typeflag=b"\0") + bytes(1024)
    assert entries(data)[0].kind == "d"


@pytest.mark.parametrize("name", ["../etc/passwd", "a/../../b", "/../x", "\\windows", "C:/evil"])
def test_traversal_names_are_unsafe(name: str) -> None:
    data = raw_header(name, 0) + bytes(1024)
    with pytest.raises(UnsafeArchiveError, match="reading layer test"):
        entries(data)


def test_hardlink_escaping_root_is_unsafe() -> None:
    data = layer([F("x", kind="h", link="../../etc/shadow")])
    with pytest.raises(UnsafeArchiveError):
        entries(data)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("./a/b", "a/b"),
        ("/abs/file", "abs/file"),
        ("a//b/./c/", "a/b/c"),
        ("a/x/../b", "a/b"),
        (".", ""),
    ],
)
def test_normalise(name: str, expected: str) -> None:
    assert normalise(name, "ctx") == expected


def test_absurd_pax_header_size_is_refused_without_reading_it() -> None:
    data = raw_header("PaxHeader", 2 << 30, typeflag=b"x") + bytes(512)
    with pytest.raises(UnsafeArchiveError, match="exceeds limit"):
        entries(data)


def test_entry_limit() -> None:
    data = layer([F(f"f{i}", b"") for i in range(10)])
    with pytest.raises(UnsafeArchiveError, match="more than 5 entries"):
        entries(data, limits=Limits(max_entries=5))


def test_truncated_member_data() -> None:
    data = layer([F("big", b"x" * 5000)])
    with pytest.raises(CorruptImageError, match="unexpected end of tar stream"):
        entries(data[:2048])


def test_bad_checksum_is_corrupt() -> None:
    data = bytearray(layer([F("a", b"1"), F("b", b"2")]))
    data[1024 + 10] ^= 0xFF  # inside the second header's name
    with pytest.raises(CorruptImageError, match="checksum"):
        entries(bytes(data))


def test_garbage_is_not_a_tar() -> None:
    with pytest.raises(CorruptImageError, match="not a tar stream"):
        entries(b"insert binary content here\n")


def test_empty_stream_is_an_empty_layer() -> None:
    assert entries(b"") == []
    assert entries(bytes(1024)) == []


def test_want_hook_captures_first_bytes_only_of_selected_files() -> None:
    data = layer([F("a.txt", b"A" * 3000), F("b.bin", b"B" * 10), F("c.txt", b"C" * 10)])
    seen: list[tuple[str, int]] = []

    def want(path: str, size: int, mode: int) -> int:
        seen.append((path, size))
        return 100 if path.endswith(".txt") else 0

    captured: dict[str, bytes] = {}
    got = entries(data, want=want, captured=captured)
    assert [e.path for e in got] == ["a.txt", "b.bin", "c.txt"]
    assert seen == [("a.txt", 3000), ("b.bin", 10), ("c.txt", 10)]
    assert captured == {"a.txt": b"A" * 100, "c.txt": b"C" * 10}


def test_pax_overrides_header_fields() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo("short")
        ti.size = 3
        ti.uid = 3_000_000  # > octal 7 digits: forces a pax uid record
        ti.pax_headers = {"path": "from/pax/header"}
        tf.addfile(ti, io.BytesIO(b"abc"))
    (e,) = entries(buf.getvalue())
    assert (e.path, e.uid, e.size) == ("from/pax/header", 3_000_000, 3)


@pytest.mark.skipif(shutil.which("tar") is None, reason="GNU tar not installed")
@pytest.mark.parametrize("fmt", ["gnu", "pax"])
def test_sparse_files_report_their_real_size(tmp_path, fmt: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    sparse = src / "sparse.img"
    with open(sparse, "wb") as f:
        f.write(b"head")
        f.seek(10 << 20)
        f.write(b"tail")
    (src / "after.txt").write_bytes(b"after")
    out = tmp_path / "s.tar"
    subprocess.run(
        [
            "tar",
            f"--format={fmt}",
            "--sparse",
            "-cf",
            str(out),
            "-C",
            str(src),
            "sparse.img",
            "after.txt",
        ],
        check=True,
    )
    got = {e.path: e for e in entries(out.read_bytes())}
    assert got["sparse.img"].size == os.path.getsize(sparse) == (10 << 20) + 4
    assert got["after.txt"].size == 5
    # Stored data is much smaller than the apparent size: the sparse map was honoured.
    assert out.stat().st_size < 1 << 20


def test_fix_checksum_helper_produces_valid_headers() -> None:
    h = fix_checksum(bytearray(raw_header("x", 0)))
    assert tarfile.TarInfo.frombuf(bytes(h), "utf-8", "strict").name == "x"


def test_pread_window_lists_what_the_stream_lists(tmp_path) -> None:
    """A local layer is read through a pread window that grows over runs of small files and
    starts small after a big file is skipped: whatever the mix, and inside a bigger file whose
    bytes after the layer are garbage, it lists exactly what the streaming reader lists and
    captures the same bytes."""
    from finalstage.image.tarreaders import PreadReader

    members = [F(f"small/{i}", bytes([i % 251]) * (i * 37 % 900)) for i in range(300)]
    members += [F("big/blob", b"\x01" * (3 << 20)), F("after/one", b"x" * 5000)]
    members += [F(f"tail/{i}", b"y" * 100) for i in range(200)]
    members += [F("last/blob", b"\x02" * (70 << 10)), F("last/file", b"#!/bin/sh\necho hi\n")]
    data = layer(members)
    path = tmp_path / "outer"
    path.write_bytes(b"\xee" * 1000 + data + b"\xff" * 4096)
    want = lambda p, size, mode: 16 if p.startswith(("last/", "small/29")) else 0  # noqa: E731
    by_stream: dict[str, bytes] = {}
    expected = entries(data, want=want, captured=by_stream)
    by_window: dict[str, bytes] = {}
    fd = os.open(path, os.O_RDONLY)
    try:
        reader = PreadReader(fd, 1000, len(data), "reading layer test")
        got = list(iter_tar(reader, context="reading layer test", want=want, captured=by_window))
    finally:
        os.close(fd)
    assert got == expected
    assert len(got) == len(members) == len(tarfile.open(fileobj=io.BytesIO(data)).getmembers())
    assert by_window == by_stream
    assert by_window["last/file"] == b"#!/bin/sh\necho h"
    assert by_window["last/blob"] == b"\x02" * 16
    assert by_window["small/29"] == bytes([29]) * 16
