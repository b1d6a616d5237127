"""Fuzz the hand-written tar reader: any bytes give entries or a FinalstageError, never a crash.

Seeds are real tars written by Python's ``tarfile`` in every format it knows (ustar, GNU, PAX,
long names, links, devices), then mutated byte by byte, truncated and spliced; the same bytes are
also fed through the layer reader with gzip and zstd on top, which adds the decompression,
digest and limit code to what is fuzzed.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
from collections.abc import Callable
from functools import cache

import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz._fuzz import FUZZ, SMALL, MemSource, one_line

from finalstage.errors import FinalstageError
from finalstage.image.core import LayerHandle
from finalstage.image.layers import scan_layer
from finalstage.image.tarheader import normalise
from finalstage.image.tarreaders import PreadReader
from finalstage.image.tarstream import iter_tar

pytestmark = pytest.mark.fuzz


def _add(tf: tarfile.TarFile, name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"",
         link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.mtime = 1_700_000_000
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    tf.addfile(info, io.BytesIO(data) if data else None)


@cache
def seeds() -> tuple[bytes, ...]:
    out = []
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
            _add(tf, "etc", tarfile.DIRTYPE)
            _add(tf, "etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n")
            _add(tf, "usr/lib/" + "long" * 30 + "/file", data=b"x" * 700)
            _add(tf, "bin/sh", tarfile.SYMTYPE, link="busybox")
            _add(tf, "bin/ash", tarfile.LNKTYPE, link="etc/passwd")
            if fmt != tarfile.USTAR_FORMAT:
                _add(tf, "lnk", tarfile.SYMTYPE, link="t" * 150)
            _add(tf, "dev/null", tarfile.CHRTYPE)
            _add(tf, "run/fifo", tarfile.FIFOTYPE)
            _add(tf, "app/.wh.old")
            _add(tf, "app/.wh..wh..opq")
            if fmt == tarfile.PAX_FORMAT:
                tf.pax_headers = {}
                info = tarfile.TarInfo("é-ünïcode-\udcff")
                info.pax_headers = {"mtime": "1.5", "uid": "7"}
                tf.addfile(info)
        out.append(buf.getvalue())
    return tuple(out)


@st.composite
def mutated_tar(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(0, 12))):
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
    if draw(st.booleans()):  # overwrite a numeric field with base-256 or junk
        block = draw(st.integers(0, len(data) // 512 - 1)) * 512
        field = draw(st.sampled_from([(124, 12), (100, 8), (108, 8), (136, 12), (329, 8)]))
        value = draw(st.binary(min_size=field[1], max_size=field[1]))
        data[block + field[0] : block + sum(field)] = value
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()):  # splice a PAX record set of our own in front
        key = draw(st.sampled_from(["path", "linkpath", "size", "uid", "gid", "mtime",
                                    "GNU.sparse.realsize", "GNU.sparse.name", "x"]))
        value = draw(st.text(max_size=30)).encode("utf-8", "surrogateescape")
        body = key.encode() + b"=" + value + b"\n"
        record = b"%d " % (len(body) + 3 + len(str(len(body)))) + body
        hdr = tarfile.TarInfo("././@PaxHeader")
        hdr.type = tarfile.XHDTYPE
        hdr.size = len(record)
        data = bytearray(hdr.tobuf(tarfile.USTAR_FORMAT) + record + b"\0" * (-len(record) % 512)) + data
    return bytes(data)


def _check_entries(entries: list) -> None:
    for e in entries:
        assert ".." not in e.path.split("/"), e.path
        assert not e.path.startswith("/"), e.path
        assert normalise(e.path, "x") == e.path
        assert e.size >= 0


def _read(data: bytes) -> None:
    try:
        entries = list(iter_tar(MemSource(data), context="fuzz", limits=SMALL))
    except FinalstageError as err:
        one_line(err)
        return
    _check_entries(entries)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    _read(data)


@FUZZ
@given(mutated_tar())
def test_mutated_tars(data: bytes) -> None:
    _read(data)


@FUZZ
@given(mutated_tar(), st.sampled_from(["tar", "gzip", "zstd"]), st.booleans(), st.integers(0, 64))
def test_layer_reader(data: bytes, compression: str, verify: bool, cut: int) -> None:
    stored = {"tar": lambda b: b, "gzip": lambda b: gzip.compress(b, mtime=0),
              "zstd": lambda b: zstandard.ZstdCompressor().compress(b)}[compression](data)
    if cut:
        stored = stored[:-cut]
    handle = LayerHandle(media_type=None, digest=None, diff_id=None, size=None,
                         open=lambda: io.BytesIO(stored))
    try:
        scan = scan_layer(handle, 0, limits=SMALL, verify=verify)
    except FinalstageError as err:
        one_line(err)
        return
    _check_entries(scan.entries)


def _outcome(make_source: Callable[[], object]) -> tuple[str, object]:
    try:
        return "ok", list(iter_tar(make_source(), context="fuzz", limits=SMALL))  # type: ignore[arg-type]
    except FinalstageError as err:
        one_line(err)
        return type(err).__name__, None


@FUZZ
@given(mutated_tar(), st.integers(0, 64))
def test_pread_reader_agrees_with_the_stream_reader(data: bytes, cut: int) -> None:
    """Local files are read by ``PreadReader`` (a pread window over the headers, data skipped by
    arithmetic): for any bytes it must list exactly what the streaming reader lists, or fail
    with the same error class."""
    data = data[: len(data) - cut] if cut else data
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.flush()
        fd = f.fileno()
        # A window inside a bigger file, as a layer inside a docker-archive.
        os.pwrite(fd, b"\xff" * 512, len(data))
        by_pread = _outcome(lambda: PreadReader(fd, 0, len(data), "fuzz"))
    assert by_pread == _outcome(lambda: MemSource(data))


@FUZZ
@given(st.text(max_size=200))
def test_normalise(name: str) -> None:
    try:
        out = normalise(name, "fuzz")
    except FinalstageError as err:
        one_line(err)
        return
    assert ".." not in out.split("/") and not out.startswith("/")
    assert normalise(out, "fuzz") == out
