"""The progress line on a terminal's stderr while layers are read.

One line, redrawn in place: a bar, the layers read so far, and — once stored bytes have been
flowing for a second (a registry download; a local file is read before that) — the bytes
read, the rate and the time left::

    reading layers [#########---------------------] 1/5  3.1 MB of 9.8 MB  210 kB/s  ETA 32s

``LayerProgress`` is a ``ByteProgress`` (``finalstage.image.image``): ``Image.scan`` tells it
what to expect and the reading threads add bytes as they arrive; redraws are throttled.
The line is wiped when the last layer is read, so only the result remains.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from finalstage.units import format_size

WIDTH = 30
INTERVAL = 0.1  # seconds between redraws for bytes (a layer done redraws at once)
RATE_AFTER = 1.0  # seconds of bytes before a rate (and so a time left) means anything


def format_eta(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``."""
    total = max(0, int(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class LayerProgress:
    """The progress line (see the module doc); safe to call from several threads."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.done = 0
        self.total = 0
        self.bytes = 0
        self.total_bytes: int | None = None
        self.started = clock()
        self._lock = threading.Lock()
        self._drawn_at = 0.0
        self._shown = 0  # length of the line on screen

    def expect(self, total_bytes: int | None) -> None:
        with self._lock:
            self.total_bytes = total_bytes
            self.bytes = 0
            self.started = self.clock()

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes += n
            if self.clock() - self._drawn_at >= INTERVAL:
                self._draw()

    def __call__(self, done: int, total: int, layer: Any) -> None:
        with self._lock:
            self.done, self.total = done, total
            if done >= total:  # finished: wipe the line so only the result remains
                self.stream.write("\r" + " " * self._shown + "\r")
                self.stream.flush()
                self._shown = 0
                return
            self._draw()

    def line(self) -> str:
        """The text of the line as it stands."""
        known = self.total_bytes
        fraction = (self.done / self.total) if self.total else 1.0
        if known:
            fraction = min(1.0, self.bytes / known)
        filled = int(WIDTH * fraction)
        text = f"reading layers [{'#' * filled}{'-' * (WIDTH - filled)}] {self.done}/{self.total}"
        elapsed = self.clock() - self.started
        if not self.bytes or elapsed < RATE_AFTER:
            return text
        text += f"  {format_size(self.bytes)}" + (f" of {format_size(known)}" if known else "")
        rate = self.bytes / elapsed
        text += f"  {format_size(int(rate))}/s"
        if known and rate > 0 and self.bytes < known:
            text += f"  ETA {format_eta((known - self.bytes) / rate)}"
        return text

    def _draw(self) -> None:
        text = self.line()
        pad = " " * max(0, self._shown - len(text))  # cover what a longer line left
        self.stream.write("\r" + text + pad)
        self.stream.flush()
        self._shown = len(text)
        self._drawn_at = self.clock()


__all__ = ["LayerProgress", "format_eta"]
