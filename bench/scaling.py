"""Scaling series: how `finalstage inspect` time and memory grow with entries and layers.

    python bench/scaling.py [--entries 10000 100000 1000000] [--layers 1 10 100] [--runs N]
    python bench/scaling.py --guard-only     # just the 1x/2x/4x linearity guard


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
    ap.add_argument("--guard-only", action="store_true", help="only the 1x/2x/4x guard series")
    args = ap.parse_args()
    synth = Path(os.environ.get("BENCH_SYNTH", "/tmp/finalstage-synth"))
    synth.mkdir(parents=True, exist_ok=True)
    fs = finalstage_cmd()
    nocache = ["--no-cache"] if "--no-cache" in subprocess.run(
        [*fs, "inspect", "--help"], capture_output=True, text=True).stdout else []
    guard_lines, guard_ok = guard(fs, synth, args.runs)
    if args.guard_only:
        args.out.write_text("\n".join(guard_lines) + "\n")
        print(f"scaling: wrote {args.out}", file=sys.stderr)
        return 0 if guard_ok else 1
    rows = []
    for entries in args.entries:
        for layers in args.layers:
            tar = synthetic(synth, entries, layers)
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
    args.out.write_text("\n".join([*lines, "", *guard_lines]) + "\n")
    print(f"scaling: wrote {args.out}", file=sys.stderr)
    return 0 if guard_ok else 1


def synthetic(synth: Path, entries: int, layers: int, file_bytes: int = 1) -> Path:
    """The synthetic docker-archive of that shape, written once and reused."""
    suffix = "" if file_bytes == 1 else f"-{file_bytes}B"
    tar = synth / f"synth-{entries}x{layers}{suffix}.tar"
    if not tar.exists():
        print(f"scaling: writing {tar.name}", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "synth.py"), str(tar), str(entries),
                        str(layers), str(file_bytes)], check=True)
    return tar


# The guard: the same image at 1x, 2x and 4x, in entries (1-byte files) and in bytes (as many
# files, each larger). Time that grows linearly, t = a + b*k with a >= 0, never exceeds 4x at 4x;
# a quadratic step (a list searched per entry, say) would head for 16x. 15% is left for noise.
GUARD_SERIES = (("entries", lambda k: (100_000 * k, 10, 1)),
                ("bytes", lambda k: (20_000, 10, 16384 * k)))
GUARD_LIMIT = 4 * 1.15


def guard(fs: list[str], synth: Path, runs: int) -> tuple[list[str], bool]:
    """The 1x/2x/4x linearity guard, verified (cold) and ``--no-verify``: its table and verdict."""
    lines = [
        "## Linearity guard (1x, 2x, 4x)",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {runs} runs after 1 "
        "warm-up, median. Entries series: 100k/200k/400k 1-byte files in 10 layers. Bytes series: "
        "20k files in 10 layers of 16/32/64 KiB each (320 MiB/640 MiB/1.25 GiB). Linear growth "
        f"(t = a + b*k) keeps 4x/1x at or under 4; the guard fails above {GUARD_LIMIT:.2f}.",
        "",
        "| series | mode | 1x s | 2x s | 4x s | 4x/1x time | 1x RSS MiB | 4x RSS MiB | 4x/1x RSS | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    ok = True
    modes = (("verified, cold", ["--no-cache", "--reverify"]), ("--no-verify", ["--no-verify"]))
    for series, shape in GUARD_SERIES:
        tars = [synthetic(synth, *shape(k)) for k in (1, 2, 4)]
        for mode, flags in modes:
            print(f"scaling: guard {series} {mode}", file=sys.stderr)
            ts = [run_timed([*fs, "inspect", f"docker-archive:{t}", "--format", "json", *flags], runs)
                  for t in tars]
            walls = [t.median_wall for t in ts]
            rss = [statistics.median(t.rss_mib) for t in ts]
            growth, rss_growth = walls[2] / max(walls[0], 1e-3), rss[2] / max(rss[0], 1e-3)
            good = growth <= GUARD_LIMIT and rss_growth <= GUARD_LIMIT and all(
                code == 0 for t in ts for code in t.codes)
            ok = ok and good
            lines.append(f"| {series} | {mode} | {walls[0]:.3f} | {walls[1]:.3f} | {walls[2]:.3f} | "
                         f"{growth:.2f} | {rss[0]:.1f} | {rss[2]:.1f} | {rss_growth:.2f} | "
                         f"{'linear' if good else 'NOT LINEAR'} |")
    return lines, ok


if __name__ == "__main__":
    sys.exit(main())
