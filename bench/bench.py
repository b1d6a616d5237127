"""Time finalstage beside the floors and peers on the benchmark images, in one run.

    python bench/bench.py [--images DIR] [--runs N] [--images-only NAME ...] [--out FILE]

Images come from ../shared/bench/build-images.sh (fat-go, slim-go, fat-node, fat-python, wasteful,
big) in $BENCH_IMAGES (default /tmp/images): NAME.tar (docker-archive, uncompressed layers),
NAME.oci/ (OCI layout, gzip), NAME.oci.tar (oci-archive). Every case is a whole process timed by
GNU time (wall, user+sys, peak RSS) over --runs runs after one warm-up; the table keeps the median
and the min-max spread, and ratios to the floor of the same input and to dive.
Ratios, not absolute times, are what matter on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED_BENCH = ROOT.parent / "shared" / "bench"
IMAGES = ("fat-go", "slim-go", "fat-node", "fat-python", "wasteful", "big")


@dataclass
class Timing:
    wall: list[float]
    cpu: list[float]
    rss_mib: list[float]
    codes: list[int]

    @property
    def median_wall(self) -> float:
        return statistics.median(self.wall)


def run_timed(cmd: list[str], runs: int, warmup: int = 1, env: dict | None = None) -> Timing:
    """Run ``cmd`` warmup+runs times under GNU time; return the counted runs."""
    t = Timing([], [], [], [])
    # Timed as installed: with bytecode. PYTHONDONTWRITEBYTECODE (set in some shells and CI)
    # would make every run compile all ~280 modules again (~0.7 s of CPU on this machine).
    env = {k: v for k, v in (env if env is not None else os.environ).items()
           if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        for i in range(warmup + runs):
            proc = subprocess.run(
                ["/usr/bin/time", "-f", "%e %U %S %M", "-o", tf.name, *cmd],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                env=env,
            )
            if i < warmup:
                continue
            fields = Path(tf.name).read_text().strip().splitlines()[-1].split()
            wall, user, sys_, rss = (float(x) for x in fields[:4])
            t.wall.append(wall)
            t.cpu.append(user + sys_)
            t.rss_mib.append(rss / 1024)
            t.codes.append(proc.returncode)
    return t


def oci_blobs(layout: Path) -> list[Path]:
    index = json.loads((layout / "index.json").read_text())
    man_digest = index["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs" / "sha256" / man_digest.split(":")[1]).read_text())
    return [layout / "blobs" / "sha256" / layer["digest"].split(":")[1] for layer in manifest["layers"]]


def finalstage_cmd() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "finalstage"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "finalstage"]


def inspect_help() -> str:
    return subprocess.run([*finalstage_cmd(), "inspect", "--help"], capture_output=True, text=True).stdout


def cases_for(name: str, images: Path, cache_dir: Path) -> list[tuple[str, str, list[str], dict | None]]:
    """(case, floor-case, command, env) for one image."""
    tar, oci, ocitar = images / f"{name}.tar", images / f"{name}.oci", images / f"{name}.oci.tar"
    fs = finalstage_cmd()
    help_text = inspect_help()
    has_cache = "--no-cache" in help_text
    has_noclassify = "--no-classify" in help_text
    # Cold: no layer index, and every layer hashed even when its file was verified before.
    cold = (["--no-cache"] if has_cache else []) + (["--reverify"] if "--reverify" in help_text else [])
    # Each image gets a cache directory of its own; the warm-up run of a warm case fills it.
    warm_dir = str(cache_dir / name)
    env_warm = dict(os.environ, FINALSTAGE_CACHE_DIR=warm_dir)
    env_warm_layers = dict(env_warm, FINALSTAGE_REPORT_CACHE="0")
    blobs = " ".join(str(b) for b in oci_blobs(oci))
    out: list[tuple[str, str, list[str], dict | None]] = [
        ("floor: header pread", "", [sys.executable, str(SHARED_BENCH / "header-floor.py"), str(tar)], None),
        ("floor: tar -t (docker-archive)", "", ["sh", "-c", f"tar -xOf {tar} --wildcards '*.tar' | tar -ti > /dev/null"], None),
        # What verifying costs at the least: one sha256 over every layer byte (coreutils).
        ("floor: sha256sum of layer tars", "", ["sh", "-c", f"tar -xOf {tar} --wildcards '*.tar' | sha256sum > /dev/null"], None),
        # The same with SHA-NI (OpenSSL via hashlib), two layers at a time: the honest floor of
        # any reader that verifies diff_ids, as finalstage does by default.
        ("floor: hashlib sha256 of layer tars", "", [sys.executable, str(HERE / "hash-floor.py"), str(tar)], None),
        ("floor: gzip -dc (OCI blobs)", "", ["sh", "-c", f"cat {blobs} | gzip -dc > /dev/null"], None),
        ("python tarfile walk (seek)", "", [sys.executable, str(SHARED_BENCH / "naive-tarwalk.py"), "docker-archive-seek", str(tar)], None),
        ("finalstage docker-archive", "floor: hashlib sha256 of layer tars", [*fs, "inspect", f"docker-archive:{tar}", "--format", "json", *cold], None),
        ("finalstage OCI dir", "floor: gzip -dc (OCI blobs)", [*fs, "inspect", f"oci:{oci}", "--format", "json", *cold], None),
        ("finalstage oci-archive", "floor: gzip -dc (OCI blobs)", [*fs, "inspect", f"oci-archive:{ocitar}", "--format", "json", *cold], None),
        ("finalstage docker-archive --no-verify", "floor: header pread", [*fs, "inspect", f"docker-archive:{tar}", "--format", "json", "--no-verify"], None),
    ]
    if has_noclassify:
        out.append(("finalstage docker-archive --no-verify, no classification", "floor: header pread",
                    [*fs, "inspect", f"docker-archive:{tar}", "--format", "json", "--no-verify", "--no-classify"], None))
        out.append(("finalstage docker-archive, no classification", "floor: header pread",
                    [*fs, "inspect", f"docker-archive:{tar}", "--format", "json", "--no-classify", *cold], None))
        out.append(("finalstage OCI dir, no classification", "floor: gzip -dc (OCI blobs)",
                    [*fs, "inspect", f"oci:{oci}", "--format", "json", "--no-classify", *cold], None))
    if has_cache:
        out.append(("finalstage docker-archive, warm layer cache", "floor: header pread",
                    [*fs, "inspect", f"docker-archive:{tar}", "--format", "json"], env_warm_layers))
        out.append(("finalstage docker-archive, warm layer cache, no classification", "floor: header pread",
                    [*fs, "inspect", f"docker-archive:{tar}", "--format", "json", "--no-classify"], env_warm_layers))
        out.append(("finalstage docker-archive, warm (layer + report cache)", "floor: header pread",
                    [*fs, "inspect", f"docker-archive:{tar}", "--format", "json"], env_warm))
        out.append(("finalstage OCI dir, warm (layer + report cache)", "floor: header pread",
                    [*fs, "inspect", f"oci:{oci}", "--format", "json"], env_warm))
    dive = shutil.which("dive") or str(ROOT / "bench" / ".venv-peers" / "bin" / "dive")
    if Path(dive).exists():
        out.append(("dive CI mode (docker-archive)", "", ["env", "CI=true", dive, "--source", "docker-archive", str(tar)], None))
    # umoci writes the whole filesystem (~30-40 s per big image); its figures are in
    # ../shared/bench/peers.md. BENCH_UMOCI=1 times it here too.
    if shutil.which("umoci") and os.environ.get("BENCH_UMOCI"):
        scratch = Path(tempfile.gettempdir()) / "fs-bench-umoci"
        out.append(("umoci unpack (OCI)", "", ["sh", "-c", f"rm -rf {scratch}; umoci unpack --image {oci}:latest {scratch}; rm -rf {scratch}"], None))
    return out


def sha_extension() -> str:
    """The CPU's SHA-256 instructions as the kernel names them (x86 ``sha_ni``, arm ``sha2``)."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return "unknown"
    return ", ".join(f for f in ("sha_ni", "sha2", "sha256") if f in flags) or "none"


def spread(t: Timing) -> str:
    return f"{fmt(t.median_wall)} [{fmt(min(t.wall))}-{fmt(max(t.wall))}]"


TARGETS_HEAD = ("| image | verified cold s | verified-once s | --no-verify s | dive s | hash floor s | "
                "header floor s | verified / hash floor (≤1.25) | --no-verify / dive (≤0.5) | "
                "--no-verify / header floor (≤3) | RSS MiB verified / --no-verify / dive |")


def targets_row(name: str, images: Path, runs: int, cache_dir: Path) -> tuple[str, dict[str, Timing]]:
    """One row of the issue-20 table: medians [min-max] of ``runs`` runs, ratios of medians.

    verified cold: ``--no-cache --reverify`` (every layer hashed); verified-once: ``--no-cache``
    once a verified ``inspect`` recorded the layer files (no layer hashed, headers read)."""
    tar = images / f"{name}.tar"
    fs = finalstage_cmd()
    base = [*fs, "inspect", f"docker-archive:{tar}", "--format", "json", "--no-cache"]
    env = dict(os.environ, FINALSTAGE_CACHE_DIR=str(cache_dir / f"once-{name}"))
    dive = shutil.which("dive") or str(ROOT / "bench" / ".venv-peers" / "bin" / "dive")
    cases = {
        "cold": ([*base, "--reverify"], env),
        "once": (base, env),
        "nov": ([*base, "--no-verify"], None),
        "hash": ([sys.executable, str(HERE / "hash-floor.py"), str(tar)], None),
        "head": ([sys.executable, str(SHARED_BENCH / "header-floor.py"), str(tar)], None),
        "list": ([sys.executable, str(HERE / "list-floor.py"), str(tar)], None),
    }
    if Path(dive).exists():
        cases["dive"] = (["env", "CI=true", dive, "--source", "docker-archive", str(tar)], None)
    t: dict[str, Timing] = {}
    # The record a verified read leaves (--no-cache reads records but writes none).
    subprocess.run(base[:-1], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    for key, (cmd, case_env) in cases.items():
        print(f"bench: targets: {name}: {key}", file=sys.stderr)
        t[key] = run_timed(cmd, runs, env=case_env)

    def ratio(a: str, b: str) -> str:
        return f"{t[a].median_wall / t[b].median_wall:.2f}" if b in t and t[b].median_wall else ""

    rss = " / ".join(f"{statistics.median(t[k].rss_mib):.0f}" for k in ("cold", "nov", "dive") if k in t)
    return (f"| {name} | {spread(t['cold'])} | {spread(t['once'])} | {spread(t['nov'])} | "
            f"{spread(t['dive']) if 'dive' in t else 'n/a'} | {spread(t['hash'])} | "
            f"{spread(t['head'])} | {ratio('cold', 'hash')} | {ratio('nov', 'dive')} | "
            f"{ratio('nov', 'head')} | {rss} |"), t


def targets_section(images: Path, names: list[str], runs: int, cache_dir: Path) -> list[str]:
    out = ["## targets (issue 20)", "",
           f"docker-archive of each image; {runs} counted runs after 1 warm-up; wall seconds "
           "median [min-max]; ratios of medians; RSS the median peak of the largest process.", "",
           TARGETS_HEAD, "|---|" + "---:|" * 10]
    timings: dict[str, dict[str, Timing]] = {}
    for name in names:
        if (images / f"{name}.tar").exists():
            row, timings[name] = targets_row(name, images, runs, cache_dir)
            out.append(row)
    return out + [""] + bounds_section(images, timings)


def bounds_section(images: Path, timings: dict[str, dict[str, Timing]]) -> list[str]:
    """Why a target holds or cannot: the least a verified read can take on these cores, given
    the hashing and the listing work; and how far --no-verify is above a bare Python listing."""
    cores = os.cpu_count() or 1
    out = ["### bounds: why a target holds or cannot", "",
           f"A verified read hashes every byte and lists every entry: on {cores} cores it takes at "
           "least max(hash floor wall, (hash floor CPU + listing CPU) / cores). With finalstage's "
           "own listing (its `--no-verify` CPU) that is the bound of perfect overlap; with the bare "
           "Python listing of `bench/list-floor.py` (names decoded and kept in a dict, nothing "
           "else) it is the bound of any Python reader. The last columns: entries, and "
           "finalstage's `--no-verify` work per entry beyond that bare listing.", "",
           "| image | hash floor wall / CPU s | --no-verify CPU s | list floor wall / CPU s | "
           "bound with finalstage's listing / hash floor | bound with a bare listing / hash floor "
           "| --no-verify / list floor | entries | µs per entry beyond the list floor |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, t in timings.items():
        hash_wall, hash_cpu = t["hash"].median_wall, statistics.median(t["hash"].cpu)
        nov_cpu, list_cpu = statistics.median(t["nov"].cpu), statistics.median(t["list"].cpu)
        ours = max(hash_wall, (hash_cpu + nov_cpu) / cores) / hash_wall if hash_wall else 0.0
        bare = max(hash_wall, (hash_cpu + list_cpu) / cores) / hash_wall if hash_wall else 0.0
        entries = _entries(images / f"{name}.tar")
        beyond = (t["nov"].median_wall - t["list"].median_wall) * 1e6 / entries if entries else 0.0
        out.append(f"| {name} | {fmt(hash_wall)} / {fmt(hash_cpu)} | {fmt(nov_cpu)} | "
                   f"{fmt(t['list'].median_wall)} / {fmt(list_cpu)} | {ours:.2f} | {bare:.2f} | "
                   f"{t['nov'].median_wall / t['list'].median_wall:.2f} | {entries:,} | "
                   f"{beyond:.1f} |")
    return out + [""]


def _entries(tar: Path) -> int:
    proc = subprocess.run([sys.executable, str(HERE / "list-floor.py"), str(tar)],
                          capture_output=True, text=True, check=False)
    fields = proc.stdout.split()
    return int(fields[0]) if fields else 0


def startup_section(runs: int) -> list[str]:
    """Start-up figures: `--version`, `lint` of one Dockerfile, `rules` (targets 0.15 s, 0.3 s)."""
    fs = finalstage_cmd()
    dockerfile = ROOT / "examples" / "go" / "Dockerfile"
    cases = [("finalstage --version", [*fs, "--version"], 0.15)]
    if dockerfile.exists():
        cases.append(("finalstage lint examples/go/Dockerfile", [*fs, "lint", str(dockerfile)], 0.3))
    out = ["## start-up", "", "| case | wall s [min-max] | cpu s | peak RSS MiB | target s | exit |",
           "|---|---:|---:|---:|---:|---|"]
    for case, cmd, target in cases:
        print(f"bench: start-up: {case}", file=sys.stderr)
        t = run_timed(cmd, max(runs, 5))
        out.append(f"| {case} | {fmt(t.median_wall)} [{fmt(min(t.wall))}-{fmt(max(t.wall))}] | "
                   f"{fmt(statistics.median(t.cpu))} | {statistics.median(t.rss_mib):.1f} | {target} | "
                   f"{' '.join(map(str, t.codes))} |")
    return out + [""]


PHASES = ("list layers", "merge", "summary + digest wait", "longest layer hash (side thread)",
          "total in process")


def phases_section(images: Path, names: list[str], runs: int) -> list[str]:
    """Where the time of a cold inspect goes (bench/phases.py, in-process, medians)."""
    out = ["## where the time goes (cold docker-archive, no classification, in-process)", "",
           "Main-thread phases of `bench/phases.py` (median of the runs, seconds); the side threads",
           "that hash local uncompressed layers overlap them, the longest is shown.", "",
           "| image | mode | imports | open | " + " | ".join(PHASES) + " |",
           "|---|---|" + "---:|" * (len(PHASES) + 2)]
    for name in names:
        tar = images / f"{name}.tar"
        if not tar.exists():
            continue
        for mode, extra in (("verified", []), ("--no-verify", ["--no-verify"])):
            print(f"bench: phases: {name} {mode}", file=sys.stderr)
            proc = subprocess.run(
                [str(ROOT / ".venv" / "bin" / "python"), str(HERE / "phases.py"), f"docker-archive:{tar}",
                 "--json", "--runs", str(runs + 1), *extra], capture_output=True, text=True)
            docs = [json.loads(line) for line in proc.stdout.splitlines()[1:] if line.startswith("{")]
            if not docs:
                out.append(f"| {name} | {mode} | failed: {proc.stderr.strip()[-80:]} |")
                continue
            med = {k: statistics.median(d[k] for d in docs) for k in docs[0]}
            cells = [fmt(med["imports"]), fmt(med["open"])] + [fmt(med.get(k, 0.0)) for k in PHASES]
            out.append(f"| {name} | {mode} | " + " | ".join(cells) + " |")
    return out + [""]


def fmt(v: float) -> str:
    return f"{v:.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=Path, default=Path(os.environ.get("BENCH_IMAGES", "/tmp/images")))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "5")))
    ap.add_argument("--only", nargs="*", default=list(IMAGES))
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--targets-only", action="store_true",
                    help="only the targets table and start-up (no per-image detail, no phases)")
    args = ap.parse_args()
    cache_dir = Path(tempfile.mkdtemp(prefix="fs-bench-cache-"))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=False)
    lines = [
        "# finalstage benchmark results",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `make bench` "
        f"(`bench/bench.py`), {args.runs} counted runs after 1 warm-up per case, page cache warm; "
        f"machine: {os.cpu_count()} CPUs, SHA extension: {sha_extension()}. Whole-process figures from GNU time: median wall seconds "
        "[min-max], median CPU seconds (user+sys), median peak RSS of the largest process. "
        "Python runs with its bytecode compiled (PYTHONDONTWRITEBYTECODE is dropped).",
        "",
    ]
    load_start = os.getloadavg()
    lines += targets_section(args.images, args.only, args.runs, cache_dir)
    lines += startup_section(args.runs)
    for name in [] if args.targets_only else args.only:
        if not (args.images / f"{name}.tar").exists():
            print(f"bench: {name}: no {args.images}/{name}.tar, skipped", file=sys.stderr)
            continue
        rows: dict[str, Timing] = {}
        floors: dict[str, str] = {}
        for case, floor, cmd, env in cases_for(name, args.images, cache_dir):
            print(f"bench: {name}: {case}", file=sys.stderr)
            rows[case] = run_timed(cmd, args.runs, env=env)
            floors[case] = floor
        dive = rows.get("dive CI mode (docker-archive)")
        lines += [f"## {name}", "", "| case | wall s [min-max] | cpu s | peak RSS MiB | ratio to floor | ratio to dive | exit |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for case, t in rows.items():
            floor = rows.get(floors[case]) if floors[case] else None
            r_floor = f"{t.median_wall / floor.median_wall:.2f}× {floors[case].removeprefix('floor: ')}" if floor and floor.median_wall > 0 else ""
            r_dive = f"{t.median_wall / dive.median_wall:.2f}" if dive and dive.median_wall > 0 and case.startswith("finalstage") else ""
            lines.append(
                f"| {case} | {fmt(t.median_wall)} [{fmt(min(t.wall))}-{fmt(max(t.wall))}] | "
                f"{fmt(statistics.median(t.cpu))} | {statistics.median(t.rss_mib):.1f} | {r_floor} | {r_dive} | "
                f"{' '.join(map(str, t.codes))} |"
            )
        lines.append("")
    if not args.targets_only:
        lines += phases_section(args.images, [n for n in ("fat-node", "big") if n in args.only],
                                args.runs)
    load_end = os.getloadavg()
    lines.insert(3, f"Load average (1/5/15 min) at start {load_start[0]:.2f}/{load_start[1]:.2f}/"
                 f"{load_start[2]:.2f}, at end {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f}"
                 " (other work on the machine: compare ratios, not seconds).")
    lines.insert(4, "")
    shutil.rmtree(cache_dir, ignore_errors=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
