"""Shared settings of the property-based fuzz tests.

``FINALSTAGE_FUZZ_EXAMPLES`` sets how many examples each property runs (default 200, so the
normal suite stays quick; ``make fuzz`` raises it). The database is off so a run never writes
into the repository; a failure prints its reproducing example instead.
"""

from __future__ import annotations

import io
import os

from hypothesis import HealthCheck, settings

from finalstage.limits import Limits

EXAMPLES = int(os.environ.get("FINALSTAGE_FUZZ_EXAMPLES", "200"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)


def one_line(err: BaseException) -> None:
    """A user-facing error is one non-empty line."""
    text = str(err)
    assert text and "\n" not in text, repr(text)


# Small limits so bombs and floods stop within a fuzz iteration's budget.
SMALL = Limits(max_entries=5000, max_header_bytes=1 << 16, max_decompressed=8 << 20,
               max_ratio=50, ratio_after=1 << 20)


class MemSource:
    """A ByteSource over bytes (what the layer reader gives iter_tar)."""

    def __init__(self, data: bytes) -> None:
        self.f = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self.f.read(n)

    def skip(self, n: int) -> int:
        return len(self.f.read(n))
