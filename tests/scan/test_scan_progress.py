"""The scan's status line (cli/scan.py ``progress_line``) at given moments: written by hand."""

from __future__ import annotations

from finalstage.cli.scan import progress_line
from finalstage.scan.run import ScanProgress


def at(phase: str, images: int, layers: int, read: int) -> ScanProgress:
    return ScanProgress(phase, images, 12, layers, 31, read, 6_000_000_000, started=100.0)


def test_manifests_then_layers_with_bytes_and_time_left_then_images() -> None:
    assert progress_line(at("manifests", 5, 0, 0), 101.0) == "manifests 5/12"
    # nothing read yet, or not for a second: no ETA
    assert progress_line(at("layers", 0, 0, 0), 100.5) == "layers 0/31 · 0 B of 6 GB read"
    # 2 GB in 40 s: 4 GB left at 50 MB/s is 80 s
    assert progress_line(at("layers", 0, 10, 2_000_000_000), 140.0) == (
        "layers 10/31 · 2 GB of 6 GB read · ETA 1m20s")
    assert progress_line(at("images", 7, 31, 6_000_000_000), 200.0) == "judging images 7/12"
