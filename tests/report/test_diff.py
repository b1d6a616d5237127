"""``finalstage diff A B`` on hand-made images and the shipped examples.

The deltas are checked against ground truth computed without finalstage: ``umoci unpack`` of
each image's OCI layout gives the real root filesystems, and the sizes of their regular files,
path by path, are what the diff must report. Shared layers must not be read for B: the shared
layer's blob in B's layout is overwritten with garbage of the same size, which ``inspect B``
fails on (digest mismatch) and ``diff A B`` never notices.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from make_layers import F, docker_archive, gz, layer, oci_layout, sha

import finalstage
from finalstage.errors import CorruptImageError, FinalstageError, UsageError
from finalstage.facts.diff import growth_check, rollup
from finalstage.report import render
from finalstage.report.markdown import MAX_LINES, md

ROOT = Path(__file__).resolve().parents[2]
BUSYBOX_FAT = str(ROOT / "examples/images/busybox-fat.tar")
BUSYBOX_MIN = str(ROOT / "examples/images/busybox-minimal.tar")

BASE = layer([F("etc/", kind="d"), F("etc/os-release", b"ID=debian\n"),
              F("usr/", kind="d"), F("usr/lib/", kind="d"),
              F("usr/lib/libbig.so", b"L" * 50_000), F("usr/lib/gone/", kind="d"),
              F("usr/lib/gone/a", b"a" * 3000), F("usr/lib/gone/b", b"b" * 4000),
              F("usr/share/doc/x/README", b"doc" * 100)])
APP_A = layer([F("app/", kind="d"), F("app/main.py", b"print(1)\n" * 10),
               F("app/cache.bin", b"c" * 7000)])
APP_B = layer([F("app/", kind="d"), F("app/main.py", b"print(2)\n" * 30),
               F("app/tests/test_main.py", b"assert True\n"),
               F("usr/lib/libbig.so", b"L" * 20_000),          # shrinks a base file
               F("usr/lib/.wh.gone"),                         # deletes a base directory
               F("app/<script>|x*.txt", b"<b>" * 50)])        # a hostile name


def gz_digest(data: bytes) -> str:
    return sha(gz(data))


def _ground_truth(layout: str, tmp: Path) -> dict[str, int]:
    """Regular-file sizes of the root filesystem umoci unpacks (no finalstage code)."""
    bundle = tmp / f"bundle-{os.path.basename(layout)}"
    subprocess.run(["umoci", "unpack", "--rootless", "--image", f"{layout}:latest", str(bundle)],
                   check=True, capture_output=True, timeout=120)
    rootfs = bundle / "rootfs"
    sizes = {}
    for here, _, files in os.walk(rootfs):
        for name in files:
            path = Path(here) / name
            if path.is_file() and not path.is_symlink():
                sizes["/" + str(path.relative_to(rootfs))] = path.stat().st_size
    return sizes


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """(A as docker-archive, B as an OCI layout whose shared blob is garbage, B intact)."""
    tmp = tmp_path_factory.mktemp("diff")
    a = docker_archive(str(tmp / "a.tar"), [BASE, APP_A])
    b_broken = oci_layout(str(tmp / "b-broken"), [BASE, APP_B])
    blob = Path(b_broken, "blobs", "sha256", gz_digest(BASE)[7:])
    blob.write_bytes(b"\0" * blob.stat().st_size)
    b_full = oci_layout(str(tmp / "b-full"), [BASE, APP_B])
    return a, b_broken, b_full


def test_shared_layer_is_never_read_for_b(pair: tuple[str, str, str]) -> None:
    a, b_missing, _ = pair
    with pytest.raises(FinalstageError):
        finalstage.inspect(b_missing)              # the shared blob really is broken
    result = finalstage.diff(a, b_missing).detail
    assert (result.reuse.shared, result.reuse.skipped, result.reuse.read_b) == (1, 1, 1)
    assert result.b.layers == 2


def test_deltas_match_unpacked_filesystems(pair: tuple[str, str, str],
                                           tmp_path: Path) -> None:
    if not shutil.which("umoci"):
        pytest.skip("umoci not installed (make test installs it)")
    a, b_missing, b_full = pair
    a_layout = oci_layout(str(tmp_path / "a-oci"), [BASE, APP_A])
    before, after = _ground_truth(a_layout, tmp_path), _ground_truth(b_full, tmp_path)
    expected = {p: after.get(p, 0) - before.get(p, 0) for p in set(before) | set(after)}
    expected = {p: d for p, d in expected.items() if d}
    result = finalstage.diff(a, b_missing).detail
    assert {p.path: p.delta for p in result.paths} == expected
    total = sum(after.values()) - sum(before.values())
    assert result.size_delta == total == sum(expected.values())
    assert sum(k.delta for k in result.kinds) == total
    assert sum(d for _, d in rollup(result.paths)) == total
    statuses = {p.path: p.status for p in result.paths}
    assert statuses["/usr/lib/gone/a"] == "removed" and statuses["/usr/lib/libbig.so"] == "shrunk"
    assert statuses["/app/tests/test_main.py"] == "added" and statuses["/app/main.py"] == "grown"


def test_json_partitions_add_up(pair: tuple[str, str, str]) -> None:
    a, b, _ = pair
    doc = json.loads(render(finalstage.diff(a, b), "json"))
    total = doc["delta"]["files_size"]
    assert total == doc["b"]["files_size"] - doc["a"]["files_size"]
    assert sum(d["delta"] for d in doc["directories"]) == total
    assert sum(k["delta"] for k in doc["kinds"]) == total
    assert sum(p["delta"] for p in doc["paths"]) + doc["paths_rest"]["delta"] == total
    assert doc["layer_reuse"] == {"layers_a": 2, "layers_b": 2, "shared": 1, "skipped": 1,
                                  "read_b": 1}


def test_markdown_escapes_names_and_fits(pair: tuple[str, str, str]) -> None:
    a, b, _ = pair
    text = render(finalstage.diff(a, b), "markdown")
    assert len(text.splitlines()) <= MAX_LINES
    assert "<script>" not in text and "&lt;script&gt;\\|x\\*.txt" in text
    assert "<details><summary>Details</summary>" in text and text.rstrip().endswith("</details>")
    assert md("a|b`c<d>&e") == "a\\|b\\`c&lt;d&gt;&amp;e"


def test_examples_share_the_busybox_base() -> None:
    report = finalstage.diff(BUSYBOX_MIN, BUSYBOX_FAT, fail_on_growth="10%")
    d = report.detail
    assert (d.reuse.shared, d.reuse.skipped, d.reuse.read_b) == (1, 1, 4)
    assert sum(p.delta for p in d.paths) == d.size_delta == sum(k.delta for k in d.kinds)
    assert {f.rule for f in d.new_findings} >= {"FS204", "FS205", "FS208"}
    assert d.resolved_findings == ()
    assert d.growth is not None and d.growth.is_exceeded
    assert report.exit_code == 1 and [f.rule for f in report.findings] == ["FS901"]
    text = render(report, "text")
    assert "1 shared, 1 not read" in text and "fake-changeme-123" not in text


def test_growth_limits() -> None:
    assert growth_check("10%", 1000, 1100).is_exceeded is False
    assert growth_check("10%", 1000, 1101).is_exceeded is True
    assert growth_check("1kB", 5000, 6001).is_exceeded is True
    assert growth_check("1kB", 5000, 3000).delta == -2000
    for bad in ("ten", "-5%", "5M", "%"):
        with pytest.raises(UsageError):
            growth_check(bad, 1, 2)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finalstage", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_cli_exit_codes_and_formats(tmp_path: Path) -> None:
    grew = _cli("diff", BUSYBOX_MIN, BUSYBOX_FAT, "--fail-on-growth", "10%")
    assert grew.returncode == 1 and "FS901" in grew.stdout
    assert _cli("diff", BUSYBOX_MIN, BUSYBOX_FAT, "--fail-on-growth", "1MB").returncode == 0
    assert _cli("diff", BUSYBOX_FAT, BUSYBOX_MIN, "--fail-on-growth", "0%").returncode == 0
    bad = _cli("diff", BUSYBOX_MIN, BUSYBOX_FAT, "--fail-on-growth", "lots")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    wrong = _cli("diff", BUSYBOX_MIN, BUSYBOX_FAT, "--format", "sarif")
    assert wrong.returncode == 2 and "markdown" in wrong.stderr
    out = tmp_path / "diff.html"
    done = _cli("diff", BUSYBOX_MIN, BUSYBOX_FAT, "--format", "html", "-o", str(out))
    assert done.returncode == 0 and out.read_text().startswith("<!doctype html>")
    missing = _cli("diff", BUSYBOX_MIN, str(tmp_path / "nope.tar"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_corrupt_shared_layer_of_a_still_fails(tmp_path: Path) -> None:
    """A is read and verified in full: a damaged layer in A is an error, shared or not."""
    good = BASE
    a = docker_archive(str(tmp_path / "a.tar"), [good, APP_A],
                       diff_ids=["sha256:" + "0" * 64, None])  # type: ignore[list-item]
    b = oci_layout(str(tmp_path / "b"), [BASE, APP_B])
    with pytest.raises(CorruptImageError):
        finalstage.diff(a, b)
