"""Streaming one layer: compression sniffing, digest/diff_id verification, bombs, truncation."""

from __future__ import annotations

import io
import lzma

import pytest
import zstandard
from make_layers import F, gz, layer, sha

from finalstage.errors import CorruptImageError, DigestMismatchError, UnsafeArchiveError
from finalstage.image.compression import sniff
from finalstage.image.core import LayerHandle
from finalstage.image.layers import scan_layer
from finalstage.limits import Limits

TAR = layer(
    [
        F("etc/", kind="d"),
        F("etc/os-release", b"ID=test\n"),
        F("bin/app", b"\x7fELF" + b"x" * 70000),
    ]
)


def handle(
    blob: bytes,
    *,
    digest: str | None = "auto",
    diff_id: str | None = "auto",
    size: int | None = None,
    seekable: bool = True,
) -> LayerHandle:
    def opener() -> io.BufferedIOBase:
        return io.BytesIO(blob) if seekable else _Pipe(blob)

    return LayerHandle(
        media_type=None,
        digest=sha(blob) if digest == "auto" else digest,
        diff_id=sha(TAR) if diff_id == "auto" else diff_id,
        size=size,
        open=opener,
    )


class _Pipe(io.RawIOBase):
    """A non-seekable stream, like a registry response body."""

    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._f.read(n)


@pytest.mark.parametrize(
    ("compress", "kind"),
    [
        (lambda b: b, "tar"),
        (gz, "gzip"),
        (lambda b: zstandard.ZstdCompressor().compress(b), "zstd"),
        (lambda b: lzma.compress(b), "xz"),
        (lambda b: gz(b[:3000]) + gz(b[3000:]), "gzip"),  # concatenated members (pigz style)
    ],
    ids=["plain", "gzip", "zstd", "xz", "multi-member-gzip"],
)
def test_every_compression_lists_the_same_entries(compress, kind: str) -> None:
    blob = compress(TAR)
    scan = scan_layer(handle(blob), 0)
    assert scan.compression == kind
    assert [e.path for e in scan.entries] == ["etc", "etc/os-release", "bin/app"]
    assert scan.compressed_size == len(blob)
    assert scan.uncompressed_size == len(TAR)


def test_sniff_ignores_media_type() -> None:
    assert sniff(gz(b"x")) == "gzip"
    assert sniff(TAR) == "tar"


def test_flipped_byte_in_plain_layer_is_a_diff_id_mismatch() -> None:
    bad = bytearray(TAR)
    bad[-2000] ^= 0x01  # inside file data: the tar still parses
    with pytest.raises(
        DigestMismatchError, match=r"reading layer 0 \(sha256:.*\): blob: digest mismatch"
    ):
        scan_layer(handle(bytes(bad), digest=sha(TAR)), 0)


def test_flipped_byte_in_file_data_detected_by_diff_id_when_no_blob_digest() -> None:
    bad = bytearray(TAR)
    bad[-2000] ^= 0x01
    with pytest.raises(DigestMismatchError, match="diff_id"):
        scan_layer(handle(bytes(bad), digest=None), 0)


def test_flipped_byte_in_gzip_blob() -> None:
    blob = bytearray(gz(TAR))
    blob[len(blob) // 2] ^= 0x40
    with pytest.raises(CorruptImageError) as info:  # digest mismatch or a broken deflate stream
        scan_layer(handle(bytes(blob), digest=sha(gz(TAR))), 0)
    assert "reading layer 0" in str(info.value) and "\n" not in str(info.value)


def test_wrong_diff_id_in_config() -> None:
    with pytest.raises(DigestMismatchError, match="diff_id: digest mismatch: expected sha256:0000"):
        scan_layer(handle(gz(TAR), diff_id="sha256:" + "0" * 64), 0)


def test_file_data_is_read_to_eof_even_after_the_end_marker() -> None:
    # Garbage after the tar end-of-archive marker still changes the digest: it must be read.
    blob = TAR + b"tail"
    with pytest.raises(DigestMismatchError):
        scan_layer(handle(blob, digest=sha(TAR), diff_id=sha(TAR)), 0)


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.99])
def test_truncated_gzip(keep: float) -> None:
    full = gz(TAR)
    blob = full[: int(len(full) * keep)]
    with pytest.raises(CorruptImageError, match="reading layer 0") as info:
        scan_layer(handle(blob, digest=None), 0)
    assert "unexpected end" in str(info.value)


def test_truncated_zstd() -> None:
    blob = zstandard.ZstdCompressor().compress(TAR)[:-20]
    with pytest.raises(CorruptImageError, match="reading layer 0"):
        scan_layer(handle(blob, digest=None), 0)


def test_trailing_garbage_after_gzip() -> None:
    with pytest.raises(CorruptImageError, match="trailing data"):
        scan_layer(handle(gz(TAR) + b"\x01garbage", digest=None), 0)


def test_gzip_bomb_stops_on_ratio() -> None:
    # 96 MiB of zeros inside one tar member compresses ~1000:1: well past 250:1.
    bomb_tar = _zero_tar(96 << 20)
    blob = gz(bomb_tar, level=9)
    del bomb_tar
    h = LayerHandle(None, None, None, None, lambda: io.BytesIO(blob))
    with pytest.raises(UnsafeArchiveError, match="decompression ratio above 250:1"):
        scan_layer(h, 0, limits=Limits(ratio_after=32 << 20))


def test_decompressed_size_limit() -> None:
    blob = gz(TAR)
    with pytest.raises(UnsafeArchiveError, match="decompresses past 1000 bytes"):
        scan_layer(handle(blob, digest=None), 0, limits=Limits(max_decompressed=1000))


def test_size_mismatch_with_descriptor() -> None:
    with pytest.raises(CorruptImageError, match="size mismatch"):
        scan_layer(handle(gz(TAR), size=5), 0)


def test_non_seekable_stream_gives_the_same_result() -> None:
    a = scan_layer(handle(TAR), 0)
    b = scan_layer(handle(TAR, seekable=False), 0)
    assert a.entries == b.entries and a.uncompressed_size == b.uncompressed_size


def test_no_verify_seeks_and_lists_the_same() -> None:
    a = scan_layer(handle(TAR), 0, verify=True)
    b = scan_layer(handle(TAR), 0, verify=False)
    assert a.entries == b.entries
    assert b.uncompressed_size == len(TAR) == b.compressed_size


def test_want_hook_through_gzip() -> None:
    scan = scan_layer(handle(gz(TAR)), 0, want=lambda p, s, m: 4 if p == "bin/app" else 0)
    assert scan.captured == {"bin/app": b"\x7fELF"}


def _zero_tar(size: int) -> bytes:
    from make_layers import raw_header

    return raw_header("zeros", size) + bytes(size + (-size % 512)) + bytes(1024)


def test_truncated_zstd_is_an_error_even_without_digests() -> None:
    full = zstandard.ZstdCompressor().compress(TAR)
    blob = full[: len(full) - 20]
    h = LayerHandle(None, None, None, None, lambda: io.BytesIO(blob))
    with pytest.raises(CorruptImageError, match="reading layer 0"):
        scan_layer(h, 0)
