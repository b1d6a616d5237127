"""Typed rule options: what ``[rules.<name>] key = value`` (or a ``[policy]`` key) may hold.

Each ``Option`` knows its kind and parses a configured value once, when the settings are loaded:
a wrong type is a ``UsageError`` naming the file and the key before any image is read, and a
rule reads ``self.settings[key]`` already typed.

Kinds: ``bool``, ``int`` (≥ 0), ``number`` (≥ 0, int or float), ``string``, ``names`` (a list
of strings; a lone string counts as a list of one), ``size`` (bytes, or ``"80MB"``),
``percent`` (0–100). ``None`` as a default means "not set": a budget rule with no budget is
skipped as not configured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from finalstage.errors import UsageError
from finalstage.units import parse_size

KINDS = ("bool", "int", "number", "string", "names", "size", "percent")


def _kind_of(default: Any) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "number"
    if isinstance(default, (tuple, list, frozenset, set)):
        return "names"
    if isinstance(default, str):
        return "string"
    raise TypeError(f"option default {default!r} needs an explicit kind")


@dataclass(frozen=True)
class Option:
    """One configuration key of a rule: its default, a one-line definition and its kind."""

    default: Any
    definition: str
    kind: str = ""

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", _kind_of(self.default))
        if self.kind not in KINDS:
            raise TypeError(f"unknown option kind {self.kind!r}")

    def parse(self, value: Any, where: str) -> Any:
        """``value`` as this option's kind; UsageError naming ``where`` when it is not one."""
        try:
            return _PARSERS[self.kind](value)
        except (TypeError, ValueError) as err:
            raise UsageError(f"{where} must be {_WANTED[self.kind]}: {err}") from None


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"got {value!r}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"got {value!r}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise TypeError(f"got {value!r}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"got {value!r}")
    return value


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"got {value!r}")
    if any(not v.strip() for v in value):
        raise ValueError("empty string in the list")
    return tuple(value)


def _percent(value: Any) -> float:
    number = _number(value)
    if number > 100:
        raise ValueError(f"a percentage above 100 makes no sense, got {value!r}")
    return number


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "bool": _bool, "int": _int, "number": _number, "string": _string, "names": _names,
    "size": parse_size, "percent": _percent,
}
_WANTED = {
    "bool": "a boolean (true or false)", "int": "a non-negative integer",
    "number": "a non-negative number", "string": "a string",
    "names": "a list of strings", "size": "a size (bytes, or a string like \"80MB\")",
    "percent": "a percentage (0-100)",
}

__all__ = ["KINDS", "Option"]
