"""One verdict per ``[policy]`` key — what `check` prints under its findings and JUnit counts as
a test case — derived from the outcomes of the rules that key configured. A key fails when one
of its rules left a finding; it is skipped when all of them were (the facts were missing)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from finalstage.findings import RuleOutcome
from finalstage.settings.model import Settings

if TYPE_CHECKING:  # field types only: lint never loads attribution or structure tests
    from finalstage.attribution import Attribution
    from finalstage.cst import CstResult
    from finalstage.facts.summary import InspectResult


@dataclass(frozen=True)
class PolicyVerdict:
    """The verdict of one policy key: "pass", "fail" or "skip", with a one-line detail."""

    key: str
    code: str                   # the (first) rule the key configured
    name: str
    rules: tuple[str, ...]
    status: str
    detail: str
    findings: int = 0


@dataclass(frozen=True)
class CheckDetail:
    """What ``check`` reports beside its findings: the verdict of every policy key, the
    structure tests, how layers were attributed, and the sizes the budgets were checked on."""

    image: str
    policy: str | None
    verdicts: tuple[PolicyVerdict, ...]
    structure_tests: tuple[CstResult, ...]
    attribution: Attribution | None
    size: int
    compressed_size: int
    # What inspect would show (layers, the merged tree, packages), made when first asked: the
    # HTML page pictures it, the other formats never pay for it (0.2 s on a 1.6 GB image).
    summary: Callable[[], InspectResult] | None = field(default=None, repr=False, compare=False)


def policy_verdicts(settings: Settings,
                    outcomes: Sequence[RuleOutcome]) -> tuple[PolicyVerdict, ...]:
    """A verdict for every key of the settings' policy, in the order the keys were written."""
    by_code = {o.code: o for o in outcomes}
    out: list[PolicyVerdict] = []
    for key in settings.policy:
        ran = [by_code[c] for c in key.rules if c in by_code]
        if not ran:
            continue
        found = sum(o.findings for o in ran)
        statuses = {o.status for o in ran}
        status = ("skip" if statuses == {"skip"} else "fail" if "fail" in statuses
                  else "warn" if "warn" in statuses else "pass")
        out.append(PolicyVerdict(key.key, ran[0].code, ran[0].name, key.rules, status,
                                 _detail(ran, status, found), found))
    return tuple(out)


def _detail(ran: Sequence[RuleOutcome], status: str, found: int) -> str:
    details = [o.detail for o in ran if o.detail]
    if details and len(ran) == 1:
        return details[0]
    if status == "skip":
        return next((o.detail for o in ran if o.detail), "skipped")
    if not found:
        return f"nothing found by {', '.join(o.name for o in ran)}"
    failing = [o.name for o in ran if o.status == "fail"]
    return f"{found} finding(s) from {', '.join(failing)}"


__all__ = ["CheckDetail", "PolicyVerdict", "policy_verdicts"]
