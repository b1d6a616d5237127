"""``Settings``: everything a user configures about the rules, from one place.

A config file's ``select``/``ignore``/``[severity-overrides]``/``[rules.*]`` and its ``[policy]``
table are two spellings of the same thing: which rules run, at which severity, with which
options. The policy is sugar over rule options (``max-size`` is ``size-over-budget``'s
``max-bytes``), so the engine sees one ``Settings`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from finalstage.findings import Severity

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class PolicyKey:
    """One key of a ``[policy]`` table and the rules it configured (one verdict each run)."""

    key: str
    rules: tuple[str, ...]      # canonical rule codes


@dataclass(frozen=True)
class Settings:
    """Rule selection, severities, options, failure threshold and the policy keys set.

    ``options`` and ``severities`` are keyed by canonical rule code, values already parsed
    (``Option.parse``). ``required`` are rules a policy key turned on: they run even when
    ``select``/``ignore`` would leave them out, because a policy is a requirement.
    """

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    severities: Mapping[str, Severity] = field(default_factory=lambda: _EMPTY)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: _EMPTY)
    required: frozenset[str] = frozenset()
    policy: tuple[PolicyKey, ...] = ()
    fail_on: Severity | None = None
    disable_ignore_pragma: bool = False
    source: str | None = None

    @property
    def has_policy(self) -> bool:
        """True when a ``[policy]`` table set at least one key."""
        return bool(self.policy)

    def options_for(self, code: str) -> Mapping[str, Any]:
        """The configured options of rule ``code`` (empty: the defaults)."""
        return self.options.get(code, _EMPTY)


__all__ = ["PolicyKey", "Settings"]
