"""``diff`` on pairs of real images: the shipped examples built by the test harness, and the
large bench images (``../shared/bench``, in ``$FINALSTAGE_BENCH_IMAGES``, default /tmp/images,
skipped when absent). On each pair the path, directory and kind deltas add up exactly to the
filesystem delta, the filesystem totals are those ``inspect`` reports for each image alone,
every shared layer is skipped for B, and the Markdown fits a pull-request comment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import finalstage
from finalstage.report import render
from finalstage.report.markdown import MAX_LINES

BENCH = Path(os.environ.get("FINALSTAGE_BENCH_IMAGES", "/tmp/images"))


def _check_pair(a: str, b: str) -> dict[str, object]:
    report = finalstage.diff(a, b)
    d = report.detail
    total = d.size_delta
    assert sum(p.delta for p in d.paths) == total
    assert sum(k.delta for k in d.kinds) == total
    doc = json.loads(render(report, "json"))
    assert sum(r["delta"] for r in doc["directories"]) == total
    assert sum(p["delta"] for p in doc["paths"]) + doc["paths_rest"]["delta"] == total
    reuse = doc["layer_reuse"]
    assert reuse["skipped"] == reuse["shared"]
    assert reuse["read_b"] == reuse["layers_b"] - reuse["skipped"]
    for ref, side in ((a, d.a), (b, d.b)):
        alone = finalstage.inspect(ref, classify=False).detail
        assert (alone.files_size, alone.files, alone.uncompressed_size) == \
            (side.files_size, side.files, side.uncompressed_size)
    markdown = render(report, "markdown")
    assert len(markdown.splitlines()) <= MAX_LINES and "<details>" in markdown
    return doc


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_example_python_fat_to_minimal(built_image) -> None:
    fat, minimal = built_image("python", "fat"), built_image("python", "minimal")
    doc = _check_pair(str(fat.docker_archive), str(minimal.oci_dir))
    assert doc["delta"]["files_size"] < 0
    resolved = {f["rule"] for f in doc["resolved_findings"]}
    assert "FS201" in resolved or "FS206" in resolved  # the fat one ships a compiler / dev deps


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_example_go_shares_layers_between_formats(built_image) -> None:
    """The same image as a docker-archive and as an OCI layout: every layer is shared, none is
    read for B, nothing changed."""
    go = built_image("go", "minimal")
    doc = _check_pair(str(go.docker_archive), str(go.oci_dir))
    assert doc["layer_reuse"]["shared"] == doc["layer_reuse"]["layers_b"]
    assert doc["layer_reuse"]["read_b"] == 0
    assert doc["delta"]["files_size"] == 0 and doc["paths"] == []


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("a, b", [("fat-go", "slim-go"), ("fat-node", "slim-node")])
def test_bench_pairs(a: str, b: str) -> None:
    paths = BENCH / f"{a}.tar", BENCH / f"{b}.tar"
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"bench images not built: {', '.join(missing)} "
                    "(../shared/bench/build-images.sh)")
    doc = _check_pair(str(paths[0]), str(paths[1]))
    assert doc["delta"]["files_size"] < 0
