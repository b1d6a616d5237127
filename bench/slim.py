"""Measure `finalstage slim` on the benchmark images: size before/after, probe, missing files,
strict check, digest stability (two runs), timings, and `slim --dry-run` against one verified
`inspect` (both cold: each with an empty cache directory of its own).

    .venv/bin/python bench/slim.py [fat-go fat-python fat-node]     (writes bench/SLIM.md)

The images are read from podman's storage (``localhost/NAME``, as build-images.sh tags them)
and, for the dry-run comparison, from the docker-archive and OCI layout exports in
``$BENCH_IMAGES`` (default /tmp/images).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FS = str(ROOT / ".venv" / "bin" / "finalstage")
IMAGES = Path(os.environ.get("BENCH_IMAGES", "/tmp/images"))
PROBES = {
    "fat-go": ["--probe-cmd", "-selftest"],
    "fat-python": ["--probe-http", "5000/", "--probe-http", "5000/healthz"],
    "fat-node": ["--probe-http", "3000/", "--probe-http", "3000/healthz"],
}
TARGETS = {"fat-go": 20e6, "fat-python": 60e6, "fat-node": 130e6}
# what must not ship (substrings of kept paths)
FORBIDDEN = {
    "fat-go": ["/usr/lib/go-", "/usr/bin/gcc", "/src/main.go"],
    "fat-python": ["/pytest", "/usr/bin/gcc", "/app/.env", "id_ed25519", "/app/tests"],
    "fat-node": ["/node_modules/jest", "/node_modules/eslint", "/node_modules/typescript",
                 "/root/.npm", "/app/tests"],
}
ENV = {**os.environ, "FINALSTAGE_REPORT_CACHE": "0"}


def timed(argv: list[str], env: dict[str, str] | None = None
          ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env or ENV, check=False)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system
                                                         - before.children_system)
    return time.perf_counter() - start, cpu, done


def one(name: str, work: Path) -> dict:
    row: dict = {"image": name}
    runs = []
    for n in (1, 2):
        dest = f"oci:{work}/{name}-{n}"
        argv = [FS, "slim", f"containers-storage:localhost/{name}", "-o", dest,
                *PROBES[name], "--format", "json"]
        wall, cpu, done = timed(argv)
        doc = json.loads(done.stdout)
        runs.append((wall, cpu, done.returncode, doc))
    wall, cpu, code, doc = runs[0]
    proof = doc["verification"]
    kept = [k["path"] for k in doc["kept"]]
    row.update(
        command=" ".join(["finalstage slim", f"containers-storage:localhost/{name}",
                          "-o oci:DIR", *PROBES[name]]),
        exit=code, before=doc["size_before"], after=doc["size_after"],
        compressed=doc["output"]["compressed_size"], probe=proof["status"],
        same_output=proof["source_run"]["stdout"] == proof["slim_run"]["stdout"],
        paths_read=proof["paths_read"], missing=len(proof["missing"]),
        deliberate=proof["reason"], check=proof["check"]["status"],
        digest=doc["output"]["manifest_digest"],
        same_digest=doc["output"]["manifest_digest"] == runs[1][3]["output"]["manifest_digest"],
        wall=wall, cpu=cpu, timings=doc["timings"], target=TARGETS[name],
        forbidden=[p for p in kept for bad in FORBIDDEN[name] if bad in p])
    return row


def dry_vs_inspect(name: str) -> list[dict]:
    out = []
    for ref in (IMAGES / f"{name}.tar", IMAGES / f"{name}.oci"):
        if not ref.exists():
            continue
        # each cold: an empty cache directory of its own (slim's captured values included)
        with tempfile.TemporaryDirectory(prefix="finalstage-bench-cache-") as cache:
            ins = timed([FS, "inspect", "--no-cache", str(ref), "--format", "json"],
                        {**ENV, "FINALSTAGE_CACHE_DIR": cache})
        with tempfile.TemporaryDirectory(prefix="finalstage-bench-cache-") as cache:
            dry = timed([FS, "slim", str(ref), "--dry-run", "--format", "json"],
                        {**ENV, "FINALSTAGE_CACHE_DIR": cache})
        out.append({"ref": str(ref), "inspect": ins[:2], "dry": dry[:2]})
    return out


def table(rows: list[dict], dry: dict[str, list[dict]]) -> str:
    mb = 1e6
    lines = ["| image | command | before | after (uncompressed / compressed) | target | probe "
             "| paths read / missing | strict check | same digest twice | wall (cpu) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['image']} | `{r['command']}` | {r['before'] / mb:.0f} MB | "
            f"{r['after'] / mb:.1f} MB / {r['compressed'] / mb:.1f} MB | "
            f"≤ {r['target'] / mb:.0f} MB | {r['probe']} (output identical: {r['same_output']})"
            f" | {r['paths_read']} / {r['missing']} | {r['check']} | {r['same_digest']} "
            f"(`{r['digest'][:19]}…`) | {r['wall']:.0f} s ({r['cpu']:.0f} s) |")
    lines += ["", "Phases (seconds): " + "; ".join(
        f"{r['image']}: " + ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items())
        for r in rows)]
    lines += ["", "Removed on purpose although the source read them: " + "; ".join(
        f"{r['image']}: {r['deliberate'] or 'none'}" for r in rows)]
    lines += ["", "Forbidden paths kept: " + "; ".join(
        f"{r['image']}: {r['forbidden'] or 'none'}" for r in rows)]
    lines += ["", "| source | inspect --no-cache: wall (cpu) | slim --dry-run: wall (cpu) | "
              "ratio wall (cpu) |", "|---|---|---|---|"]
    for name, items in dry.items():
        for d in items:
            (iw, ic), (dw, dc) = d["inspect"], d["dry"]
            lines.append(f"| {d['ref']} | {iw:.1f} s ({ic:.1f} s) | {dw:.1f} s ({dc:.1f} s) "
                         f"| {dw / iw:.2f} ({dc / ic:.2f}) |")
    return "\n".join(lines) + "\n"


def main(names: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="finalstage-slim-bench-") as work:
        rows = [one(name, Path(work)) for name in names]
    dry = {name: dry_vs_inspect(name) for name in names if name == "fat-node"}
    text = table(rows, dry)
    (ROOT / "bench" / "SLIM.md").write_text(
        "# slim on the benchmark images\n\nMeasured by `bench/slim.py` on "
        f"{time.strftime('%Y-%m-%d')} (2 cores, shared machine: wall times vary with its "
        "load; the cpu column is this process tree's user+system time).\n\n" + text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:] or list(PROBES))
