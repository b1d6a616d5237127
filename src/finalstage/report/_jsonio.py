"""JSON encoding shared by the json and sarif reporters: deterministic and terminal-safe."""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from pathlib import PurePath

# json.dumps(ensure_ascii=False) escapes C0 controls itself but writes DEL, C1 controls, bidi
# overrides and lone surrogates raw. They can only occur inside JSON strings, where \uXXXX is
# the same value, so rewriting them keeps the document identical for parsers, safe for `cat`,
# and encodable as UTF-8 (a surrogate would make the write fail).
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _default(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return value.as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(document: object) -> str:
    """``document`` as indented JSON text ending in a newline, with unsafe characters escaped."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=_default)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


__all__ = ["dumps"]
