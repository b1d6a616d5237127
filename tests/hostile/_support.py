"""Shared pieces of the hostile-input tests: the crafted corpus, known bugs, a measured CLI runner.

The corpus is written once per session by ``scripts/make_hostile_corpus.py`` into pytest's own
session temporary directory. It is built lazily the first time a hostile test module is
*collected* (the sample list parametrises the tests), so a run that never collects these tests
never pays for it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "make_hostile_corpus.py"
IMAGE_FORMATS = ("docker-archive", "oci", "oci-archive")
# Entries in the many_entries sample: enough to measure memory per entry, small enough for CI.
MANY_ENTRIES = int(os.environ.get("FINALSTAGE_HOSTILE_ENTRIES", "100000"))
CLI_TIMEOUT = 60.0
# A CLI run on any sample must stay below this resident-set peak (KiB). The largest legitimate
# sample (100 000 entries) needs ~100 MiB; a bomb that is inflated in memory would need GiBs.
MAX_RSS_KIB = 400 * 1024

# Samples that expose bugs in code this suite does not own: (name, format or None) → reason.
# Each stays a strict xfail so the suite is green and turns red the day the bug is fixed.
KNOWN_BUGS: dict[tuple[str, str | None], str] = {}
# Samples whose bug is a hang: in-process they are guarded by an alarm, and the CLI run is
# given a short timeout so the suite does not wait a minute for each.
HANGS = {"oci_blob_fifo", "oci_blob_devzero"}
# Bugs only the CLI shows (the library returns the right data; a reporter mishandles it).
CLI_BUGS: dict[str, str] = {}  # (the exposed-ports escape bug is fixed in report/inspect.py)
# Bugs the CLI cannot show (the error class differs but the user still gets a clear error).
LIBRARY_ONLY_BUGS: set[str] = set()
# Run the CLI on every format of a layer-level sample (the library test always does); by
# default only its docker-archive form, which keeps the CLI part of the suite near a minute.
CLI_ALL_FORMATS = os.environ.get("FINALSTAGE_HOSTILE_CLI_ALL") == "1"


def known_bug(sample: dict[str, Any]) -> str | None:
    return KNOWN_BUGS.get((sample["name"], sample["format"])) or KNOWN_BUGS.get(
        (sample["name"], None)
    )


def _load_script() -> Any:
    spec = importlib.util.spec_from_file_location("make_hostile_corpus", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_hostile_corpus", module)
    spec.loader.exec_module(module)
    return module


_CORPUS: Path | None = None


def corpus_dir(config: pytest.Config) -> Path:
    """The session's corpus directory, written on first use."""
    global _CORPUS
    if _CORPUS is None:
        factory = config._tmp_path_factory  # type: ignore[attr-defined] # pytest's session factory
        out = factory.mktemp("hostile-corpus")
        _load_script().build(out, MANY_ENTRIES)
        _CORPUS = out
    return _CORPUS


def samples(config: pytest.Config) -> list[dict[str, Any]]:
    return json.loads((corpus_dir(config) / "corpus.json").read_text())


def sample_id(sample: dict[str, Any]) -> str:
    return f"{sample['name']}[{sample['format']}]"


def params(config: pytest.Config, formats: tuple[str, ...], *, cli: bool = False) -> list[Any]:
    out = []
    every = samples(config)
    in_archive = {s["name"] for s in every if s["format"] == "docker-archive"}
    for s in every:
        if s["format"] not in formats:
            continue
        if cli and not CLI_ALL_FORMATS and s["format"] != "docker-archive" and s["name"] in in_archive:
            continue
        reason = known_bug(s)
        if cli and s["name"] in LIBRARY_ONLY_BUGS:
            reason = None
        if cli and s["name"] in CLI_BUGS:
            reason = CLI_BUGS[s["name"]]
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        out.append(pytest.param(s, id=sample_id(s), marks=marks))
    return out


def reference(root: Path, sample: dict[str, Any]) -> str:
    return f"{sample['format']}:{root / sample['path']}"


@dataclass(frozen=True)
class Run:
    """One finished (or killed) CLI process and what it cost."""

    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float
    max_rss_kib: int
    timed_out: bool


# The child reports its own peak RSS (VmHWM of its post-exec address space) when it exits:
# ``ru_maxrss`` from wait4 is useless here, because Linux carries the parent's peak across
# fork+exec, so every child of a 130 MiB pytest would "peak" at 130 MiB.
_WRAPPER = """
import atexit, os, runpy, sys
def _hwm():
    with open("/proc/self/status") as f:
        kib = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    with open(os.environ["FINALSTAGE_TEST_HWM"], "w") as out:
        out.write(str(kib))
atexit.register(_hwm)
sys.argv = ["finalstage", *sys.argv[1:]]
runpy.run_module("finalstage", run_name="__main__", alter_sys=True)
"""


def _hwm_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def run_cli(args: list[str], *, cwd: Path, timeout: float = CLI_TIMEOUT,
            extra_env: dict[str, str] | None = None) -> Run:
    """``finalstage ARGS`` in a subprocess with a wall-clock limit, measuring its peak memory."""
    tmp = cwd / ".tmp"
    tmp.mkdir(exist_ok=True)
    hwm_file = tmp / "hwm"
    hwm_file.unlink(missing_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "XDG_CACHE_HOME": str(cwd / ".cache"),
        "XDG_CONFIG_HOME": str(cwd / ".config"),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "FINALSTAGE_TEST_HWM": str(hwm_file),
        # The code under test, when it is not the installed copy (a second checkout).
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
        **(extra_env or {}),
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, *args], stdout=out, stderr=err,
            stdin=subprocess.DEVNULL, cwd=cwd, env=env,
        )
        timed_out = False
        polled = 0
        while True:
            pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                polled = max(polled, _hwm_of(proc.pid))
                proc.kill()
                pid, status, _usage = os.wait4(proc.pid, 0)
                break
            polled = max(polled, _hwm_of(proc.pid))
            time.sleep(0.005)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        try:
            peak = int(hwm_file.read_text())
        except (OSError, ValueError):
            peak = polled
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, out.read(), err.read(), seconds, peak, timed_out)


# -- the results table ---------------------------------------------------------------------


@dataclass
class Row:
    inputs: int = 0
    clear_error: int = 0
    ok: int = 0
    hang: int = 0
    crash: int = 0
    escape: int = 0
    peak_kib: int = 0


TABLE: dict[str, Row] = {}


def record(category: str, *, outcome: str, rss_kib: int = 0, escaped: bool = False) -> None:
    """Count one CLI run in the per-category table (outcome: error | ok | hang | crash)."""
    row = TABLE.setdefault(category, Row())
    row.inputs += 1
    if outcome == "error":
        row.clear_error += 1
    elif outcome == "ok":
        row.ok += 1
    elif outcome == "hang":
        row.hang += 1
    else:
        row.crash += 1
    row.escape += int(escaped)
    row.peak_kib = max(row.peak_kib, rss_kib)


def render_table() -> str:
    head = "| class | inputs | clear error | ok (legal input) | hang | crash | escape | peak RSS |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    total = Row()
    for name in sorted(TABLE):
        r = TABLE[name]
        lines.append(f"| {name} | {r.inputs} | {r.clear_error} | {r.ok} | {r.hang} | {r.crash} "
                     f"| {r.escape} | {r.peak_kib / 1024:.0f} MiB |")
        for f in ("inputs", "clear_error", "ok", "hang", "crash", "escape"):
            setattr(total, f, getattr(total, f) + getattr(r, f))
        total.peak_kib = max(total.peak_kib, r.peak_kib)
    lines.append(f"| **all** | {total.inputs} | {total.clear_error} | {total.ok} | {total.hang} "
                 f"| {total.crash} | {total.escape} | {total.peak_kib / 1024:.0f} MiB |")
    return "\n".join(lines)


def samples_cached(root: Path) -> list[dict[str, Any]]:
    """The sample list of an already written corpus."""
    return json.loads((root / "corpus.json").read_text())
