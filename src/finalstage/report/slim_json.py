"""``slim`` as JSON: the kept-file manifest with reasons, the bytes removed by category, the
written image and the proof (keys documented in docs/json-schema.md)."""

from __future__ import annotations

import dataclasses
from typing import Any

from finalstage.redact import redact_text
from finalstage.slimming.model import ProbeRun, SlimResult, Verification


def slim_json(result: SlimResult) -> dict[str, Any]:
    """The payload of a slim report, merged at the top level of the JSON document."""
    plan = result.plan
    return {
        "source": plan.source,
        "source_digest": plan.source_digest,
        "dry_run": result.is_dry_run,
        "argv": list(plan.argv),
        "size_before": plan.source_bytes,
        "size_after": plan.kept_bytes,
        "removed_bytes": plan.removed_bytes,
        "removed_by_category": [dataclasses.asdict(c) for c in plan.removed],
        "kept": [{"path": k.path, "kind": k.kind, "size": k.size, "reasons": list(k.chain)}
                 for k in plan.kept],
        "warnings": list(plan.warnings),
        "dynamic_sites": [{**dataclasses.asdict(s), "text": redact_text(s.text)}
                          for s in plan.dynamic_sites],
        "explain": [dataclasses.asdict(e) for e in plan.explanations],
        "output": dataclasses.asdict(result.output) if result.output else None,
        "verification": _verification(result.verification),
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "slim_failed": result.is_failed,
    }


def _run(run: ProbeRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"image": run.image, "exit_code": run.exit_code, "stdout": redact_text(run.stdout),
            "stderr": redact_text(run.stderr), "error": run.error}


def _verification(v: Verification | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "status": v.status, "reason": v.reason, "probe": v.probe,
        "trace_method": v.trace_method, "source_run": _run(v.fat), "slim_run": _run(v.slim),
        "diff": redact_text(v.diff), "paths_read": v.opened,
        "missing": [dataclasses.asdict(m) for m in v.missing], "learned": list(v.learned),
        "check": {"status": v.check_status, "findings": list(v.check_findings)},
    }


__all__ = ["slim_json"]
