"""``scan --backend ray`` on a local Ray started here (``ray.init(num_cpus=2)``): the same layer
and image tasks as the process pool, the same report, byte for byte in JSON."""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.harness.fleet import FleetSeed, fleet_registry  # noqa: F401 - pytest fixture

from finalstage.api.scan import scan
from finalstage.report import render
from finalstage.scan.model import FleetReport

ray = pytest.importorskip("ray")

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.usefixtures("no_ambient_credentials")]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_ray_gives_the_process_pools_json_byte_for_byte(
        fleet_registry: FleetSeed, local_ray: None, tmp_path: Path) -> None:
    docs = {}
    for backend in ("process", "ray"):
        report = scan(registry=fleet_registry.server.host, tags="all", workers=2,
                      backend=backend, cache_dir=tmp_path / backend)
        assert isinstance(report.detail, FleetReport)
        assert report.detail.backend == backend
        # each layer was read once, whichever worker read it
        assert report.detail.stats.layers_read == report.detail.totals.unique_layers
        docs[backend] = render(report, "json")
    assert docs["ray"] == docs["process"]
    assert '"saving": 609480000' in docs["ray"]  # 6 images x 101_580_000 bytes of the fat layer
    # the caller's Ray is left running for the caller
    assert ray.is_initialized()
