"""One built image read through every source gives the same answer — and the answer is right.

The example images are built by buildah (tests/harness/build.py), exported by skopeo, pushed to a
real docker-registry on 127.0.0.1, loaded into a podman service's store, and read back through
docker-archive, OCI dir, oci-archive, docker:// (registry), docker-daemon: (Engine API) and
containers-storage:. The JSON of `finalstage inspect` must be identical apart from what belongs
to the transport: the reference, the manifest digest, and the stored (compressed) form of each
layer (docker-archive stores tars, OCI and registries gzip). The merged tree is checked against
`umoci unpack`, and the size against podman's own accounting.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.harness.daemon import PodmanStore, _load, podman_store  # noqa: F401
from tests.harness.registry import RegistryServer, open_registry, skopeo_push  # noqa: F401

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]

EXAMPLES = [("busybox", "fat"), ("go", "minimal")]
# What differs by transport: the reference, the manifest digest, and the stored blobs.
TRANSPORT_KEYS = {"reference", "digest"}
LAYER_TRANSPORT_KEYS = {"digest", "media_type", "compression", "compressed_size", "size"}


def _inspect(ref: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "finalstage", "inspect", ref, "--format", "json", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert proc.returncode == 0, f"{ref}: {proc.stderr}"
    return json.loads(proc.stdout)


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in TRANSPORT_KEYS and k != "targets"}
    # an image finding names its image reference as its target
    out["findings"] = [{k: v for k, v in f.items() if k != "target"} for f in doc["findings"]]
    out["size"] = {k: v for k, v in doc["size"].items() if k != "compressed"}
    out["layers"] = [
        {k: v for k, v in layer.items() if k not in LAYER_TRANSPORT_KEYS} for layer in doc["layers"]
    ]
    return out


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: f"{p[0]}-{p[1]}")
def example(request: pytest.FixtureRequest, built_image: Any) -> Any:
    return built_image(*request.param)


def test_every_source_gives_the_same_json(
    example: Any, open_registry: RegistryServer, podman_store: PodmanStore
) -> None:
    repo = f"examples/{example.example}:{example.variant}"
    skopeo_push(open_registry, f"oci:{example.oci_dir}:latest", repo)
    daemon_name = f"localhost/finalstage-test/every-source/{example.example}:{example.variant}"
    _load(podman_store.prefix, f"oci:{example.oci_dir}:latest", daemon_name)

    docs = {
        "docker-archive": _inspect(f"docker-archive:{example.docker_archive}"),
        "oci": _inspect(f"oci:{example.oci_dir}:latest"),
        "oci-archive": _inspect(f"oci-archive:{example.oci_archive}:latest"),
        "registry": _inspect(f"docker://{open_registry.host}/{repo}"),
        "daemon": _inspect(f"docker-daemon:{daemon_name}", {"DOCKER_HOST": podman_store.docker_host}),
        "storage": _inspect(f"containers-storage:{example.name}"),
    }
    reference = _comparable(docs["docker-archive"])
    assert reference["files"] > 0 and reference["layers"]
    for source, doc in docs.items():
        assert _comparable(doc) == reference, f"{source} differs from docker-archive"
    # the layers really were read in their stored form: gzip in OCI and the registry
    assert {layer["compression"] for layer in docs["oci"]["layers"]} == {"gzip"}
    assert {layer["compression"] for layer in docs["registry"]["layers"]} == {"gzip"}


def _umoci_tree(example: Any, tmp: Path) -> dict[str, tuple[str, int, int]]:
    bundle = tmp / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--rootless", "--image", f"{example.oci_dir}:latest", str(bundle)],
        check=True, capture_output=True, timeout=300,
    )
    root = bundle / "rootfs"
    tree: dict[str, tuple[str, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            kind = "d" if stat.S_ISDIR(st.st_mode) else "l" if stat.S_ISLNK(st.st_mode) else "f"
            size = st.st_size if kind == "f" else 0
            # rootless umoci adds owner-write to make the tree removable: compare the rest
            tree["/" + str(p.relative_to(root))] = (kind, size, stat.S_IMODE(st.st_mode) & ~0o200)
    return tree


def _finalstage_tree(example: Any) -> dict[str, tuple[str, int, int]]:
    proc = subprocess.run(
        [sys.executable, "-m", "finalstage", "ls", f"oci:{example.oci_dir}:latest", "/",
         "-R", "--format", "json"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    tree: dict[str, tuple[str, int, int]] = {}
    for e in doc["entries"]:
        kind = {"dir": "d", "symlink": "l"}.get(e["type"], "f")
        size = e["size"] if kind == "f" else 0
        tree[e["path"]] = (kind, size, e["mode"] & 0o7777 & ~0o200)
    return tree


def test_merged_tree_equals_umoci_unpack(example: Any, tmp_path: Path) -> None:
    if shutil.which("umoci") is None:
        pytest.skip("umoci not installed (make test installs it)")
    want = _umoci_tree(example, tmp_path)
    got = _finalstage_tree(example)
    got.pop("/", None)
    assert set(got) == set(want), (sorted(set(got) ^ set(want)))[:20]
    assert got == want


def test_size_equals_podman_accounting(example: Any) -> None:
    if shutil.which("podman") is None:
        pytest.skip("podman not installed (make test installs it)")
    size = int(subprocess.run(
        ["podman", "image", "inspect", "--format", "{{.Size}}", example.name],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip())
    storage = f"containers-storage:{example.name}"
    manifest = subprocess.run(["skopeo", "inspect", "--raw", storage],
                              capture_output=True, check=True, timeout=60).stdout
    config = subprocess.run(["skopeo", "inspect", "--config", "--raw", storage],
                            capture_output=True, check=True, timeout=60).stdout
    doc = _inspect(f"docker-archive:{example.docker_archive}")
    # containers/storage counts the layers' uncompressed tars plus its "big data" items: the
    # config and the manifest, which it keeps twice (under its digest and as "manifest").
    assert doc["size"]["uncompressed"] == size - len(config) - 2 * len(manifest)
