"""The regexes of the structure tests, compiled once each."""

from __future__ import annotations

import re

_CACHE: dict[str, re.Pattern[str]] = {}


def regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled (cached); raises ``re.error`` when it is not a valid regex."""
    # Go's RE2 and Python's re agree on the syntax configs use; RE2's \z is Python's \Z.
    if pattern not in _CACHE:
        _CACHE[pattern] = re.compile(pattern.replace(r"\z", r"\Z"))
    return _CACHE[pattern]


__all__ = ["regex"]
