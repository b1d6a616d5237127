"""Helpers image rules share: reading their options, wording counts, splitting commands."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from finalstage.errors import UsageError


def command_words(argv: Sequence[str]) -> list[str]:
    """The words of a runtime command, with ``sh -c "…"`` strings split as the shell would
    (best effort: unbalanced quotes fall back to whitespace splitting)."""
    words: list[str] = []
    for arg in argv:
        if " " in arg or "\t" in arg or ";" in arg or "&" in arg:
            try:
                words.extend(shlex.split(arg, comments=False))
            except ValueError:
                words.extend(arg.split())
        else:
            words.append(arg)
    out: list[str] = []
    for word in words:
        out.extend(w for w in _split_operators(word) if w)
    return out


def _split_operators(word: str) -> list[str]:
    for op in ("&&", "||", ";", "|"):
        if op in word:
            return [part for piece in word.split(op) for part in _split_operators(piece)]
    return [word]




def plural(n: int, word: str) -> str:
    """``1 file``, ``3 files``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"



def number_option(rule: Any, key: str) -> float:
    """A numeric option of ``rule`` (a configured value is untrusted: UsageError if wrong)."""
    value = rule.settings.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise UsageError(f"rules.{rule.name}: option {key} must be a non-negative number, "
                         f"not {value!r}")
    return float(value)


def names_option(rule: Any, key: str) -> set[str]:
    """A list-of-names option of ``rule`` (a lone string counts as a list of one)."""
    value = rule.settings.get(key) or ()
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple, set, frozenset)) or \
            not all(isinstance(v, str) for v in value):
        raise UsageError(f"rules.{rule.name}: option {key} must be a list of names, "
                         f"not {value!r}")
    return set(value)


__all__ = ["command_words", "names_option", "number_option", "plural"]
