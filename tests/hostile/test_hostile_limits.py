"""The resource limits, each tripped on purpose through the public ``Image`` API.

The default limits are generous (2 000 000 entries, 64 GiB per layer); the corpus samples that
would need gigabytes to reach them are re-read here with small ``Limits`` so every limit is
shown to stop the read early, with ``UnsafeArchiveError`` and a message naming the limit.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from finalstage.errors import UnsafeArchiveError
from finalstage.fs.merge import merged_tree
from finalstage.image.image import Image
from finalstage.image.open import open_core
from finalstage.limits import DEFAULT_LIMITS, Limits

pytestmark = pytest.mark.timeout(120)


def read(root: Path, rel: str, limits: Limits) -> None:
    fmt = "oci" if rel.startswith("oci/") else "docker-archive"
    merged_tree(Image(open_core(f"{fmt}:{root / rel}"), limits=limits))


@pytest.mark.parametrize(("rel", "limits", "words"), [
    ("docker-archive/many_entries.tar", Limits(max_entries=1000), "more than 1000 entries"),
    ("oci/many_entries", Limits(max_entries=1000), "more than 1000 entries"),
    ("docker-archive/deep_long_path.tar", Limits(max_header_bytes=4096), "exceeds limit 4096"),
    ("docker-archive/deep_long_path.tar", DEFAULT_LIMITS, "path of 8004 bytes exceeds limit 4096"),
    ("docker-archive/deep_long_path.tar", Limits(max_path_length=10000),
     "path of 4001 components exceeds limit 256"),
    ("docker-archive/many_entries.tar", Limits(max_image_entries=1000),
     "more than 1000 entries in all layers"),
    ("docker-archive/many_entries.tar", Limits(max_image_decompressed=1 << 20),
     "decompress past 1048576 bytes in all"),
    ("docker-archive/gzip_bomb.tar", Limits(max_decompressed=8 << 20), "decompresses past"),
    ("oci/zstd_bomb", Limits(max_decompressed=8 << 20), "decompresses past"),
    ("docker-archive/gzip_bomb.tar", Limits(ratio_after=4 << 20), "likely a compression bomb"),
    ("oci/zstd_bomb", Limits(ratio_after=4 << 20), "likely a compression bomb"),
], ids=["entries-archive", "entries-oci", "pax-header", "path-length", "path-depth",
        "image-entries", "image-bytes", "bytes-gzip", "bytes-zstd", "ratio-gzip", "ratio-zstd"])
def test_limit_stops_early(hostile_root: Path, rel: str, limits: Limits, words: str) -> None:
    start = time.monotonic()
    with pytest.raises(UnsafeArchiveError) as info:
        read(hostile_root, rel, limits)
    assert words in str(info.value)
    assert "\n" not in str(info.value)
    assert "(raise with --limit " in str(info.value)  # every limit names the flag that raises it
    assert time.monotonic() - start < 10


def test_default_limits_are_the_documented_ones() -> None:
    # SECURITY.md quotes these numbers; change both together.
    assert DEFAULT_LIMITS == Limits(max_entries=2_000_000, max_header_bytes=1 << 20,
                                    max_decompressed=64 << 30, max_ratio=250,
                                    ratio_after=256 << 20, max_path_length=4096,
                                    max_path_depth=256, max_image_entries=5_000_000,
                                    max_image_decompressed=256 << 30)
    security = (Path(__file__).resolve().parents[2] / "SECURITY.md").read_text()
    for text in ("2 000 000", "1 MiB", "64 GiB", "250 : 1", "256 MiB", "4096 bytes",
                 "256 components", "5 000 000", "256 GiB", "--limit max-image-decompressed"):
        assert text in security, text
