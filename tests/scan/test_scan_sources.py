"""``scan`` over other sources: containers-storage (read lazily: manifest and config first, the
image copied only when a layer is needed) and local files, on the harness's busybox example.
The same image through three sources has the same layers, so they are counted once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.harness.build import BuiltImage
from tests.harness.daemon import _load

from finalstage.api.scan import scan
from finalstage.scan.model import FleetReport

pytestmark = [pytest.mark.engine, pytest.mark.timeout(600)]

# examples/busybox/Dockerfile.fat: `RUN head -c 524288 /bin/busybox > /app/build-cache.bin`,
# deleted by the next RUN.
BUILD_CACHE = 524_288


def gzip_sizes(layout: Path) -> list[int]:
    """The layer blob sizes an OCI layout's manifest lists (read here, not by finalstage)."""
    def blob(digest: str) -> bytes:
        return (layout / "blobs" / "sha256" / digest.split(":")[1]).read_bytes()

    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    return [layer["size"] for layer in manifest["layers"]]


def test_one_image_through_three_sources_is_stored_once(
        built_image: Callable[[str, str], BuiltImage], tmp_path: Path) -> None:
    fat = built_image("busybox", "fat")
    # a private store: the shared one's name may be rebuilt by another test run meanwhile
    store = f"[vfs@{tmp_path / 'root'}+{tmp_path / 'run'}]"
    _load(store, f"oci:{fat.oci_dir}:latest", "localhost/fleet/busybox:fat")
    refs = [f"containers-storage:{store}localhost/fleet/busybox:fat",
            f"docker-archive:{fat.docker_archive}", f"oci:{fat.oci_dir}:latest",
            f"containers-storage:{store}localhost/finalstage-no-such:1"]
    report = scan(refs, workers=2, cache_dir=tmp_path / "store")
    fleet = report.detail
    assert isinstance(fleet, FleetReport)
    assert fleet.totals.images == 3
    assert fleet.totals.unique_layers * 3 == fleet.totals.layer_uses
    assert fleet.totals.unshared_bytes == 3 * fleet.totals.unique_bytes
    waste = next(f for f in fleet.fixes if f.kind == "waste" and f.bytes == BUILD_CACHE)
    assert waste.images == tuple(sorted(refs[:3]))
    assert waste.saving == 3 * BUILD_CACHE
    assert [e.ref for e in fleet.errors] == [refs[3]]
    assert "image not found in containers-storage" in fleet.errors[0].message
    assert len({row.verdict for row in fleet.images if row.verdict}) == 1
    # stored once at its smallest: the OCI layout's gzip blobs
    assert fleet.totals.unique_compressed == sum(gzip_sizes(fat.oci_dir))
    # a warm rerun gives each source its own verdict back (same config, different blobs)
    warm = scan(refs, workers=2, cache_dir=tmp_path / "store").detail
    assert isinstance(warm, FleetReport)
    assert warm.stats.images_cached == 3 and warm.images == fleet.images
    sizes = {row.ref: row.compressed_size for row in warm.images}
    assert sizes[refs[2]] == sum(gzip_sizes(fat.oci_dir)) < sizes[refs[1]]
