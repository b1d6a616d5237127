"""format_size: decimal units with three significant digits, like `docker images`."""

from __future__ import annotations

import pytest

from finalstage.units import format_size


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (999, "999 B"),
        (1000, "1 kB"),
        (1500, "1.5 kB"),
        (1234, "1.23 kB"),
        (12_345, "12.3 kB"),
        (123_456, "123 kB"),
        (999_499, "999 kB"),
        (999_950, "1 MB"),  # rounds up into the next unit, not "1000 kB"
        (12_345_678, "12.3 MB"),
        (45_678_901, "45.7 MB"),
        (100_000_000, "100 MB"),
        (1_500_000_000, "1.5 GB"),
        (2 * 10**12, "2 TB"),
        (10**18, "1 EB"),
        (10**21, "1000 EB"),  # no larger unit
        (-12_345_678, "-12.3 MB"),
        (-5, "-5 B"),
    ],
)
def test_format_size(n: int, expected: str) -> None:
    assert format_size(n) == expected


def test_format_size_sign_for_diffs() -> None:
    assert format_size(1000, sign=True) == "+1 kB"
    assert format_size(-1000, sign=True) == "-1 kB"
    assert format_size(0, sign=True) == "0 B"
