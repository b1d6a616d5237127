"""Make untrusted text (file names from images, Dockerfile lines) safe for a terminal."""

from __future__ import annotations

import re

# C0/C1 controls and DEL, except tab: an ESC from an image file name must never reach a terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def escape_control(text: str) -> str:
    """Replace control characters by visible ``\\xNN`` escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def one_line(text: str) -> str:
    """A message as one printable line: newlines become spaces, controls are escaped."""
    return escape_control(" ".join(text.split("\n")).strip())
