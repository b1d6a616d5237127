"""Human-readable quantities for reporters and commands (sizes stay ``int`` bytes elsewhere)."""

from __future__ import annotations

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


__all__ = ["format_size"]
