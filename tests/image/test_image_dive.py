"""dive's own test image: our numbers beside the ones dive's tests expect.

Expected values come from dive's ``image_archive_analysis_test.go`` (copied into the corpus
SOURCE.md): sizeBytes 1220598, wastedBytes 32025, efficiency 0.9844212134184309, and the
per-layer file lists of its export snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finalstage.image.open import open_image
from finalstage.api.inspect import inspect

DIVE = "wagoodman__dive/.data/test-docker-image.tar"
SNAP = "wagoodman__dive/cmd/dive/cli/internal/command/export/testdata/snapshots/export_test.snap"


@pytest.fixture(scope="module")
def result(images_dir: Path):
    return inspect(open_image(str(images_dir / DIVE)), classify=False).detail


@pytest.fixture(scope="module")
def snapshot(images_dir: Path) -> dict:
    text = (images_dir / SNAP).read_text()
    body = text[text.index("{") : text.rindex("}") + 1]
    return json.loads(body)


@pytest.mark.corpus
def test_total_size_equals_dive_size_bytes(result) -> None:
    assert sum(layer.content_size for layer in result.layers) == 1220598


@pytest.mark.corpus
def test_dive_efficiency_reproduced_exactly(result) -> None:
    assert result.waste.dive_efficiency == pytest.approx(0.9844212134184309, abs=1e-15)


@pytest.mark.corpus
def test_waste_is_each_hidden_copy_once(result) -> None:
    # Hand-checked against Dockerfile.test-image: somefile1 (cp + chmod, then rm -rf the dir),
    # somefile2 and somefile3 (deleted with /root/example), saved.txt (moved, then chmod'ed).
    wasted = {p.path: (p.bytes, p.copies) for p in result.waste.paths}
    assert wasted == {
        "/root/example/somefile1.txt": (12810, 2),
        "/root/example/somefile2.txt": (6405, 1),
        "/root/example/somefile3.txt": (6405, 1),
        "/root/saved.txt": (6405, 1),
    }
    # dive reports 32025 too, but made of different paths (see the report): it counts the
    # surviving copy of saved.txt and misses somefile2, which was deleted with its directory.
    assert result.waste.bytes == 32025
    assert result.waste.efficiency == pytest.approx(1 - 32025 / 1220598)


@pytest.mark.corpus
def test_layers_match_dive_export(result, snapshot) -> None:
    layers = snapshot["layer"]
    assert len(layers) == len(result.layers) == 14
    for ours, theirs in zip(result.layers, layers):
        assert ours.digest == theirs["digestId"]
        files = theirs["fileList"] or []
        assert sum(f["size"] for f in files) == ours.content_size
        assert (ours.created_by or "").endswith(theirs["command"].strip()) or theirs[
            "command"
        ].strip() in (ours.created_by or "")
