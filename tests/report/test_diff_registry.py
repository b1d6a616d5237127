"""``diff`` of two registry images that share their base, through the real docker-registry on
127.0.0.1 behind the counting proxy (tests/harness/proxy.py): the layer B shares with A is
downloaded once, for A, and never for B; every other layer blob is downloaded exactly once."""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.harness.proxy import RegistryProxy
from tests.harness.registry import (  # noqa: F401 - pytest fixture
    RegistryServer,
    open_registry,
    skopeo_push,
)

pytestmark = [pytest.mark.engine, pytest.mark.corpus, pytest.mark.timeout(180),
              pytest.mark.usefixtures("no_ambient_credentials")]

ROOT = Path(__file__).resolve().parents[2]
IMAGES = {"minimal": ROOT / "examples/images/busybox-minimal.tar",
          "fat": ROOT / "examples/images/busybox-fat.tar"}


def _manifest_layers(server: RegistryServer, name: str) -> list[str]:
    done = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                           f"docker://{server.host}/test/{name}:1"],
                          capture_output=True, text=True, timeout=60, check=True)
    return [layer["digest"] for layer in json.loads(done.stdout)["layers"]]


def test_shared_base_layer_is_downloaded_for_a_only(open_registry: RegistryServer,
                                                     tmp_path: Path) -> None:
    for name, archive in IMAGES.items():
        skopeo_push(open_registry, f"docker-archive:{archive}", f"test/{name}:1")
    layers_a = _manifest_layers(open_registry, "minimal")
    layers_b = _manifest_layers(open_registry, "fat")
    with RegistryProxy(open_registry.host, lifetime=170) as proxy:
        env = {**os.environ, "FINALSTAGE_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "finalstage", "diff", f"docker://{proxy.host}/test/minimal:1",
             f"docker://{proxy.host}/test/fat:1", "--no-cache", "--format", "json"],
            capture_output=True, text=True, timeout=150, env=env, check=False)
        assert done.returncode == 0, done.stderr
        gets = [r.path.rsplit("/", 1)[1] for r in proxy.blob_gets(set(layers_a + layers_b))]
    doc = json.loads(done.stdout)
    reuse = doc["layer_reuse"]
    assert (reuse["layers_a"], reuse["layers_b"]) == (len(layers_a), len(layers_b))
    assert reuse["shared"] == reuse["skipped"] == 1 and reuse["read_b"] == len(layers_b) - 1
    # Each of A's layers once; of B's, only those it does not share with A (its busybox base
    # is pushed as the same blob as A's, so a GET of it for B would show as a second one).
    assert layers_b[0] == layers_a[0] and len(set(layers_a + layers_b)) == len(layers_b) + 2
    assert sorted(gets) == sorted(layers_a + [d for d in layers_b if d not in layers_a])
    assert len(gets) == reuse["layers_a"] + reuse["read_b"]
    assert doc["delta"]["files"] == 8 and sum(p["delta"] for p in doc["paths"]) == \
        doc["delta"]["files_size"]
