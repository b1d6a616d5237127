"""Scaling series: how `finalstage inspect` time and memory grow with entries and layers.

    python bench/scaling.py [--entries 10000 100000 1000000] [--layers 1 10 100] [--runs N]

Synthetic docker-archives (bench/synth.py) live in $BENCH_SYNTH (default /tmp/finalstage-synth)
and are reused. Writes bench/SCALING.md: wall and peak RSS per (entries, layers), time per entry,
and memory per entry (peak RSS above the smallest image's, divided by the extra entries).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import finalstage_cmd, run_timed  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--layers", type=int, nargs="*", default=[1, 10, 100])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "3")))
    ap.add_argument("--out", type=Path, default=HERE / "SCALING.md")
    args = ap.parse_args()
    synth = Path(os.environ.get("BENCH_SYNTH", "/tmp/finalstage-synth"))
    synth.mkdir(parents=True, exist_ok=True)
    fs = finalstage_cmd()
    nocache = ["--no-cache"] if "--no-cache" in subprocess.run(
        [*fs, "inspect", "--help"], capture_output=True, text=True).stdout else []
    rows = []
    for entries in args.entries:
        for layers in args.layers:
            tar = synth / f"synth-{entries}x{layers}.tar"
            if not tar.exists():
                print(f"scaling: writing {tar.name}", file=sys.stderr)
                subprocess.run([sys.executable, str(HERE / "synth.py"), str(tar), str(entries), str(layers)], check=True)
            print(f"scaling: {tar.name}", file=sys.stderr)
            t = run_timed([*fs, "inspect", f"docker-archive:{tar}", "--format", "json", *nocache], args.runs)
            rows.append((entries, layers, t))
    base_rss = min(statistics.median(t.rss_mib) for _, _, t in rows)
    base_entries = min(e for e, _, _ in rows)
    lines = [
        "# finalstage scaling series (synthetic docker-archives)",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/scaling.py`; "
        f"{args.runs} runs after 1 warm-up, median. Entries are spread evenly over the layers "
        "(1-byte files in a 3-level tree, plus their directories).",
        "",
        "| entries | layers | wall s | µs per entry | peak RSS MiB | bytes per entry (RSS above baseline) | exit |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for entries, layers, t in rows:
        wall = t.median_wall
        rss = statistics.median(t.rss_mib)
        extra = entries - base_entries
        per = f"{(rss - base_rss) * 1048576 / extra:.0f}" if extra > 0 else "baseline"
        lines.append(f"| {entries:,} | {layers} | {wall:.3f} | {wall * 1e6 / entries:.2f} | {rss:.1f} | {per} | "
                     f"{' '.join(map(str, t.codes))} |")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"scaling: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
