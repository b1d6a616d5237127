"""The JSON of a fleet scan (``FleetReport``), merged at the top level of the document.

No timing and no backend name: the same fleet scanned on a process pool or on Ray gives the
same document, byte for byte. ``--fail-on-error`` with an unreadable image sets the top-level
``failed``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from finalstage.scan.model import Fix, FleetReport, KindBytes


def _kinds(kinds: tuple[KindBytes, ...]) -> list[dict[str, Any]]:
    return [{"kind": k.kind, "bytes": k.bytes, "paths": list(k.paths)} for k in kinds]


def _fix(rank: int, fix: Fix) -> dict[str, Any]:
    return {"rank": rank, "layer": fix.layer, "kind": fix.kind, "bytes": fix.bytes,
            "saving": fix.saving, "image_count": len(fix.images), "images": list(fix.images),
            "kinds": _kinds(fix.kinds), "created_by": fix.created_by,
            "position": fix.position, "hidden_by": fix.hidden_by}


def fleet_json(fleet: FleetReport) -> dict[str, Any]:
    """The fleet report as JSON-ready keys."""
    return {
        "source": fleet.source,
        "policy": fleet.policy,
        "totals": dataclasses.asdict(fleet.totals),
        "removable": [{"kind": k.kind, "bytes": k.bytes} for k in fleet.removable],
        "fixes": [_fix(i, fix) for i, fix in enumerate(fleet.fixes, start=1)],
        "images": [dataclasses.asdict(row) for row in fleet.images],
        "errors": [dataclasses.asdict(e) for e in fleet.errors],
        "stats": dataclasses.asdict(fleet.stats),
    }


__all__ = ["fleet_json"]
