"""Sizes as people write and read them; everywhere else sizes are ``int`` bytes.

``format_size`` is the one formatter every output uses (the units ``docker images`` prints);
``parse_size`` reads what people write in a policy or on the command line (``"80MB"``).
"""

from __future__ import annotations

import math
import re

# Decimal (SI) units, as `docker images` prints them (go-units HumanSize): 1 kB = 1000 B.
_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def format_size(n: int, *, sign: bool = False) -> str:
    """Format a byte count with three significant digits in decimal units: ``12.3 MB``.

    Bytes below 1000 print exactly (``512 B``); trailing zeros are dropped (``1 MB``,
    ``1.5 GB``). Negative counts (a diff that shrank) keep their sign; ``sign=True`` also
    prefixes ``+`` to positive counts, for diffs.
    """
    prefix = "-" if n < 0 else ("+" if sign and n > 0 else "")
    value = float(abs(n))
    unit = 0
    while value >= 1000 and unit < len(_UNITS) - 1:
        value /= 1000
        unit += 1
    if unit == 0:
        return f"{prefix}{abs(n)} B"
    # Three significant digits; rounding can carry into the next unit (999.96 kB -> 1 MB).
    digits = 2 if value < 10 else 1 if value < 100 else 0
    rounded = round(value, digits)
    if rounded >= 1000 and unit < len(_UNITS) - 1:
        rounded, unit, digits = round(rounded / 1000, 2), unit + 1, 2
    text = f"{rounded:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{prefix}{text} {_UNITS[unit]}"


# Decimal units as `docker images` prints them; binary units as `du -h` means them. A bare
# "M" or "G" is refused: docker (1024) and SI (1000) disagree on it, and a budget must be exact.
_PARSE_UNITS = {
    "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$")


def parse_size(value: int | str) -> int:
    """Bytes from an int or a string like ``"80MB"``, ``"1.5GiB"``, ``"512 kB"``, ``"100"``;
    ValueError (with the accepted units) for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"expected a size (bytes or a string like \"80MB\"), got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size cannot be negative, got {value}")
        return value
    match = _SIZE.match(value)
    unit = match.group(2).lower() if match else ""
    if match is None or (unit and unit not in _PARSE_UNITS):
        raise ValueError(f"bad size {value!r} (expected a number with a unit: B, kB, MB, GB, "
                         "TB (×1000) or KiB, MiB, GiB, TiB (×1024))")
    amount = float(match.group(1)) * _PARSE_UNITS[unit or "b"]
    if not math.isfinite(amount):
        raise ValueError(f"bad size {value!r}")
    return round(amount)


__all__ = ["format_size", "parse_size"]
