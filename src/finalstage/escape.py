"""Make untrusted text (file names from images, Dockerfile lines) safe for a terminal.

File names inside an image are chosen by whoever built it: they can hold ESC sequences that
rewrite the screen, newlines that forge extra output lines, bidi overrides that reorder what a
reviewer reads ("trojan source"), and bytes that are not UTF-8 at all (decoded with
``surrogateescape`` by the tar reader). Every reporter passes such text through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# C0/C1 controls and DEL (except tab), Unicode line/paragraph separators, bidi embedding,
# override and isolate controls, and lone surrogates (undecodable bytes kept by
# surrogateescape, which would crash a UTF-8 write).
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: show the original byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """Replace control characters by visible ``\\xNN`` (or ``\\uNNNN``) escapes.

    Tabs are kept. Undecodable bytes carried as surrogates (``surrogateescape``) come back
    as ``\\xNN`` of the original byte, so the result always encodes to UTF-8.
    """
    return _CONTROL.sub(_escape_one, text)


def names(items: Iterable[str]) -> str:
    """Names read from an image (tags, index names, platforms), escaped and joined by ", " for
    an error message's "available:" list: a name holding a newline cannot split the line."""
    return ", ".join(map(escape_control, items))


def one_line(text: str) -> str:
    """A message as one printable line: newlines become spaces, controls are escaped."""
    return escape_control(" ".join(text.split("\n")).strip())
