"""The example images committed in examples/images/ are valid, small and what they claim to be.

Checked with hashlib/tarfile/json (and skopeo when installed), independently of finalstage.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

IMAGES = Path(__file__).resolve().parents[2] / "examples" / "images"
GO_OCI = IMAGES / "go-minimal.oci"
BUSYBOX_TAR = IMAGES / "busybox-fat.tar"
BUDGET = 8 * 1024 * 1024  # bytes for everything in examples/images

pytestmark = pytest.mark.skipif(not GO_OCI.is_dir() or not BUSYBOX_TAR.is_file(),
                                reason="examples/images not built "
                                       "(bash scripts/build-example-images.sh)")


def blob(digest: str) -> Path:
    algo, hexd = digest.split(":")
    return GO_OCI / "blobs" / algo / hexd


def test_total_size_within_budget() -> None:
    total = sum(p.stat().st_size for p in IMAGES.rglob("*") if p.is_file())
    assert total < BUDGET, f"examples/images weighs {total} bytes"


def test_go_minimal_oci_layout_digests_and_contents() -> None:
    assert json.loads((GO_OCI / "oci-layout").read_text())["imageLayoutVersion"] == "1.0.0"
    for p in (GO_OCI / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(p.read_bytes()).hexdigest() == p.name
    index = json.loads((GO_OCI / "index.json").read_text())
    (desc,) = index["manifests"]
    manifest = json.loads(blob(desc["digest"]).read_text())
    config = json.loads(blob(manifest["config"]["digest"]).read_text())
    assert config["config"]["User"] == "nonroot:nonroot"
    assert config["config"]["Entrypoint"] == ["/server"]
    assert len(manifest["layers"]) == len(config["rootfs"]["diff_ids"])
    names: set[str] = set()
    for layer, diff_id in zip(manifest["layers"], config["rootfs"]["diff_ids"]):
        raw = gzip.decompress(blob(layer["digest"]).read_bytes())
        assert "sha256:" + hashlib.sha256(raw).hexdigest() == diff_id
        with tarfile.open(fileobj=io.BytesIO(raw)) as t:
            names |= {m.name.lstrip("./") for m in t}
    assert {"server", "etc/passwd", "etc/ssl/certs/ca-certificates.crt"} <= names
    assert not any(n.startswith(("var/lib/apt", "var/cache", "usr/", "bin/", "mnt/")) for n in names)


def test_go_minimal_is_reproducible_build_output() -> None:
    index = json.loads((GO_OCI / "index.json").read_text())
    manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
    config = json.loads(blob(manifest["config"]["digest"]).read_text())
    assert config["created"].startswith("1970-01-01")  # buildah --timestamp 0


def test_busybox_fat_archive_carries_its_mistakes() -> None:
    with tarfile.open(BUSYBOX_TAR) as outer:
        (entry,) = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        config = json.load(outer.extractfile(entry["Config"]))  # type: ignore[arg-type]
        layers = []
        for name in entry["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(name), mode="r|*") as t:
                layers.append({m.name.lstrip("./"): m.size for m in t})
    assert entry["RepoTags"] == ["localhost/finalstage-examples-busybox:fat-repro"]
    merged = {k for layer in layers for k in layer}
    assert {"app/.env", "app/tests/test_app.sh", "app/app.sh", "bin/busybox"} <= merged
    written = [layer["app/build-cache.bin"] for layer in layers if "app/build-cache.bin" in layer]
    assert written == [524288] and any("app/.wh.build-cache.bin" in layer for layer in layers)
    assert not config["config"].get("User")
    assert config["config"]["Cmd"] == ["/bin/sh", "-c", "/app/app.sh serve 8080"]
    assert not any(k.startswith(("var/lib/apt", "mnt/")) for k in merged)


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo not installed")
@pytest.mark.parametrize("ref", [f"oci:{GO_OCI}", f"docker-archive:{BUSYBOX_TAR}"])
def test_skopeo_reads_them(ref: str) -> None:
    proc = subprocess.run(["skopeo", "inspect", "--config", ref], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rootfs"]["type"] == "layers"
