"""``rules``: every check the engine knows, or one rule's documentation.

::

    >>> from finalstage.api.rules import rules
    >>> report = rules("copy-entire-context")
    >>> [r.code for r in report.detail.rules], report.detail.is_page
    (['FS103'], True)
"""

from __future__ import annotations

from finalstage.findings import Report
from finalstage.rules import ALL_RULES, get
from finalstage.rules.docs import RuleCatalog


def rules(rule: str | None = None) -> Report:
    """The rule registry as a report: every rule (Dockerfile rules, image rules and policy
    budgets alike), or the one ``rule`` names (a code, a name or a retired alias; UsageError
    when none matches)."""
    chosen = RuleCatalog((get(rule),), is_page=True) if rule else RuleCatalog(tuple(ALL_RULES))
    return Report(command="rules", findings=(), detail=chosen)


__all__ = ["rules"]
