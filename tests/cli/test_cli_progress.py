"""The progress line drawn on a terminal while layers are read (cli/_progress.py), with a clock
the test controls. The same line against a real trickling registry on a pty is in
tests/image/test_registry_network.py."""

from __future__ import annotations

import io

from finalstage.cli._progress import LayerProgress, format_eta
from finalstage.image.image import ByteProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_format_eta() -> None:
    assert [format_eta(s) for s in (0, 0.4, 42, 185, 3725, 86399)] == [
        "0s", "0s", "42s", "3m05s", "1h02m", "23h59m"]


def test_layers_only_until_bytes_have_flowed_for_a_second() -> None:
    clock, out = Clock(), io.StringIO()
    bar = LayerProgress(out, clock)
    assert isinstance(bar, ByteProgress)  # Image.scan feeds it bytes
    bar(0, 4, None)
    bar.expect(4_000_000)
    bar.add_bytes(500_000)
    assert bar.line() == "reading layers [###---------------------------] 0/4"
    clock.now += 2.0  # 500 kB in 2 s: 250 kB/s, 3.5 MB left: 14 s
    assert bar.line() == ("reading layers [###---------------------------] 0/4"
                          "  500 kB of 4 MB  250 kB/s  ETA 14s")


def test_unknown_total_shows_bytes_and_rate_without_eta() -> None:
    clock, out = Clock(), io.StringIO()
    bar = LayerProgress(out, clock)
    bar(1, 2, None)
    bar.expect(None)
    bar.add_bytes(3_000_000)
    clock.now += 3.0
    assert bar.line() == ("reading layers [###############---------------] 1/2"
                          "  3 MB  1 MB/s")


def test_redraws_are_throttled_and_the_line_is_wiped_at_the_end() -> None:
    clock, out = Clock(), io.StringIO()
    bar = LayerProgress(out, clock)
    bar(0, 1, None)
    bar.expect(1000)
    drawn = out.getvalue().count("\r")
    for _ in range(50):  # 50 chunks within 10 ms: at most one more redraw
        bar.add_bytes(10)
        clock.now += 0.0002
    assert out.getvalue().count("\r") <= drawn + 1
    bar(1, 1, None)
    text = out.getvalue()
    assert text.endswith("\r") and text.rsplit("\r", 2)[-2].strip() == ""
