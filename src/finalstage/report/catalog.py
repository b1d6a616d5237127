"""``rules`` as text (a table, or one rule's documentation page) and as JSON rows (documented in
docs/json-schema.md, schema ``rules-v1.schema.json``)."""

from __future__ import annotations

from typing import Any

from finalstage.rules.docs import RuleCatalog, render_page


def render_catalog(catalog: RuleCatalog) -> str:
    """One line per rule (code, name, severity, what it needs, title), or the page of the one
    rule asked for."""
    if catalog.is_page:
        return "".join(render_page(rule) for rule in catalog.rules)
    if not catalog.rules:
        return ""
    width = max(len(r.name) for r in catalog.rules)
    return "".join(f"{r.code}  {r.name:<{width}}  {r.severity.value:<7}  "
                   f"{r.needs.value:<19}  {r.title()}\n" for r in catalog.rules)


def catalog_json(catalog: RuleCatalog) -> dict[str, Any]:
    """The rules as JSON rows, merged at the top level of the document."""
    return {"rules": [
        {"code": r.code, "name": r.name, "severity": r.severity.value, "title": r.title(),
         "groups": list(r.groups), "needs": r.needs.value, "aliases": list(r.aliases),
         "status": r.status.value, "since": r.since,
         "options": sorted(r.options), "doc": r.doc()}
        for r in catalog.rules]}


__all__ = ["catalog_json", "render_catalog"]
