"""The JSON of each command's own payload (``Report.detail``), merged at the top level of the
document next to the findings: inspect's summary, ls's rows, check's verdicts, the rules."""

from __future__ import annotations

import dataclasses
from typing import Any

from finalstage.engine.verdicts import CheckDetail
from finalstage.facts.listing import Listing
from finalstage.facts.summary import InspectResult
from finalstage.findings import Report
from finalstage.report.catalog import catalog_json
from finalstage.report.inspect_json import to_json
from finalstage.report.listing import listing_json
from finalstage.rules.docs import RuleCatalog


def detail_json(report: Report, finding_json: Any = None) -> dict[str, Any]:
    """The payload of ``report.detail`` as JSON-ready keys (empty when there is none);
    ``finding_json`` converts the findings a payload holds (diff's new and resolved ones)."""
    detail = report.detail
    kind = type(detail).__name__  # diff, slim and scan load their renderers only when shown
    if kind == "DiffResult":
        # heavy optional dependency: a model and renderer only this command shows
        from finalstage.report.diff_json import diff_json  # noqa: PLC0415

        return diff_json(report, detail, finding_json)  # type: ignore[arg-type]
    if kind == "SlimResult":
        # heavy optional dependency: a model and renderer only this command shows
        from finalstage.report.slim_json import slim_json  # noqa: PLC0415

        return slim_json(detail)  # type: ignore[arg-type]
    if kind == "FleetReport":
        # heavy optional dependency: a model and renderer only this command shows
        from finalstage.report.scan_json import fleet_json  # noqa: PLC0415

        return fleet_json(detail)  # type: ignore[arg-type]
    if isinstance(detail, InspectResult):
        return to_json(detail)
    if isinstance(detail, Listing):
        return listing_json(detail)
    if isinstance(detail, CheckDetail):
        return check_json(report, detail)
    if isinstance(detail, RuleCatalog):
        return catalog_json(detail)
    return {}


def check_json(report: Report, detail: CheckDetail) -> dict[str, Any]:
    """``check``'s verdicts, structure tests, attribution, sizes and the rules' outcomes."""
    attribution = detail.attribution.layers if detail.attribution is not None else ()
    return {
        "image": detail.image,
        "policy": detail.policy,
        "clauses": [dataclasses.asdict(v) for v in detail.verdicts],
        "structure_tests": [
            {"name": r.name, "file": r.test.file, "status": r.status, "errors": list(r.errors)}
            for r in detail.structure_tests],
        "attribution": [
            {"layer": a.layer, "line": a.instruction.line if a.instruction else None,
             "is_base": a.is_base, "confidence": a.confidence.value}
            for a in attribution],
        "size": detail.size,
        "compressed_size": detail.compressed_size,
        "baselined": len(report.suppressed),
        "rules": [dataclasses.asdict(o) for o in report.outcomes],
    }


__all__ = ["check_json", "detail_json"]
