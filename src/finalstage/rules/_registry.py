"""Reference resolution: codes, names, groups and code prefixes → rules (sqlfluff/ruff).

A reference is resolved with the priority code > name > group > prefix: ``FS1`` is a prefix,
``FS101`` a code, ``sdk-base-image`` a name, ``base-image`` a group, ``ALL`` everything.
When ``select`` and ``ignore`` both match a rule, the more specific reference wins (ruff); on a
tie, ``ignore`` wins. Retired codes and names are followed through ``REDIRECTS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from finalstage.errors import UsageError
from finalstage.rules._base import Rule

# Retired code or name → its replacement. Codes are never reused (STYLE.md 6.4).
REDIRECTS: dict[str, str] = {}

_PREFIX = re.compile(r"^FS\d{0,2}$")

# Specificity of each kind of reference: higher overrides lower.
_CODE, _NAME, _GROUP, _PREFIX_BASE, _ALL = 100, 90, 50, 10, 0


def resolve(ref: str, rules: Sequence[type[Rule]]) -> tuple[int, tuple[type[Rule], ...]]:
    """Rules a reference denotes and its specificity; UsageError when it denotes nothing."""
    text = ref.strip()
    text = REDIRECTS.get(text.upper(), REDIRECTS.get(text.lower(), text))
    upper, lower = text.upper(), text.lower()
    if upper == "ALL":
        return _ALL, tuple(rules)
    by_code = tuple(r for r in rules if r.code == upper)
    if by_code:
        return _CODE, by_code
    by_name = tuple(r for r in rules if r.name == lower)
    if by_name:
        return _NAME, by_name
    by_group = tuple(r for r in rules if lower in r.groups)
    if by_group:
        return _GROUP, by_group
    if _PREFIX.match(upper):
        by_prefix = tuple(r for r in rules if r.code.startswith(upper))
        if by_prefix:
            return _PREFIX_BASE + len(upper), by_prefix
    raise UsageError(f"unknown rule selector: {ref!r} (see `finalstage rules`)")


def get(ref: str, rules: Sequence[type[Rule]]) -> type[Rule]:
    """The one rule with this code or name (or a redirect to it)."""
    text = ref.strip()
    text = REDIRECTS.get(text.upper(), REDIRECTS.get(text.lower(), text))
    for rule in rules:
        if rule.code == text.upper() or rule.name == text.lower():
            return rule
    raise UsageError(f"unknown rule: {ref!r} (see `finalstage rules`)")


def select(
    rules: Sequence[type[Rule]],
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> tuple[type[Rule], ...]:
    """The rules chosen by ``select`` (default: all) minus ``ignore``, in registry order."""
    decision: dict[str, tuple[int, bool]] = {}
    for refs, chosen in ((select if select is not None else ["ALL"], True), (ignore or (), False)):
        for ref in refs:
            weight, matched = resolve(ref, rules)
            for rule in matched:
                previous = decision.get(rule.code)
                # ``>=`` lets ignore (applied second) win a tie with select.
                if previous is None or weight >= previous[0]:
                    decision[rule.code] = (weight, chosen)
    return tuple(r for r in rules if decision.get(r.code, (0, False))[1])


__all__ = ["REDIRECTS", "get", "resolve", "select"]
