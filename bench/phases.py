"""Where the time of one cold ``finalstage inspect`` goes, phase by phase.

    python bench/phases.py IMAGE_REF [--no-verify] [--classify] [--runs N]

Runs in-process with the layer cache off and prints one line per run: wall seconds of each phase
on the main thread, plus the side threads that hash local uncompressed layers (their wall time
from start to end; they overlap the phases). Used by bench.py for the "where the time goes"
table of RESULTS.md; run it alone to profile one image.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

T_START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from finalstage.fs.merge import merged_tree  # noqa: E402
from finalstage.image import localfile  # noqa: E402
from finalstage.image.image import Image  # noqa: E402
from finalstage.image.open import open_core  # noqa: E402
from finalstage.api.inspect import inspect  # noqa: E402
from finalstage.report import render  # noqa: E402

T_IMPORTS = time.perf_counter() - T_START

_hash_spans: list[tuple[float, float, int]] = []
_lock = threading.Lock()
_original_run = localfile.SideHash._run


def _timed_run(self: localfile.SideHash) -> None:
    start = time.perf_counter()
    try:
        _original_run(self)
    finally:
        with _lock:
            _hash_spans.append((start, time.perf_counter(), self.length))


localfile.SideHash._run = _timed_run  # type: ignore[method-assign]


def one_run(ref: str, verify: bool, classify: bool) -> dict[str, float]:
    _hash_spans.clear()
    t0 = time.perf_counter()
    image = Image(open_core(ref), verify=verify)
    image.config  # noqa: B018 - reading the config is part of opening
    t1 = time.perf_counter()
    phases = {"open": t1 - t0}
    if classify:
        # The classifying pass is inspect's own: timed as one phase.
        result = inspect(image, classify=True)
        phases["inspect with classification"] = time.perf_counter() - t1
    else:
        image.scan(wait=False)
        t2 = time.perf_counter()
        merged_tree(image, wait=False)
        t3 = time.perf_counter()
        result = inspect(image, classify=False)  # summary of the merged tree, waits for digests
        phases |= {"list layers": t2 - t1, "merge": t3 - t2,
                   "summary + digest wait": time.perf_counter() - t3}
    t4 = time.perf_counter()
    render(result, "json")
    phases["json"] = time.perf_counter() - t4
    phases["total in process"] = time.perf_counter() - t0
    phases["longest layer hash (side thread)"] = max(
        (end - start for start, end, _ in _hash_spans), default=0.0
    )
    return phases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ref")
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--classify", action="store_true")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="one JSON object per run")
    args = ap.parse_args()
    for _ in range(args.runs):
        phases = one_run(args.ref, not args.no_verify, args.classify)
        phases = {"imports": T_IMPORTS, **phases}
        if args.json:
            print(json.dumps(phases))
        else:
            print("  ".join(f"{k} {v:.3f}" for k, v in phases.items()))


if __name__ == "__main__":
    main()
