"""A fleet of images in a real ``docker-registry`` on 127.0.0.1, for the ``scan`` tests.

Twelve images under ``fleet/``, each tagged ``latest`` (``fleet/svc-1`` also ``old``):

- ``svc-1`` … ``svc-5``: the real busybox base layer of the shipped example image, then ONE
  shared fat layer made here with known bytes (a gcc ``cc1`` and ``gcc-12``, ``make``, an apt
  cache, docs, a library that is not removable), then a small layer of their own;
- ``good-a`` … ``good-c``: the busybox base and one small application layer, nothing else;
- ``go-minimal``, ``busybox-minimal``, ``busybox-fat``: the example images built by the harness
  and shipped in ``examples/images`` (multi-stage and good; a fat one with waste), as they are;
- ``broken``: the busybox base and its own layer, whose blob is damaged in the registry's
  storage after the push (the registry serves bytes that do not match the digest).

``FleetSeed`` says what is where, with every byte count the tests compare against, computed here
from the bytes this module wrote and the example files — never by finalstage.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.harness.registry import (
    REGISTRY_BIN,
    RegistryServer,
    need_tools,
    shared,
    skopeo_push,
    start_registry,
    stop,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
BUSYBOX_MINIMAL = EXAMPLES / "images" / "busybox-minimal.tar"
BUSYBOX_FAT = EXAMPLES / "images" / "busybox-fat.tar"
GO_MINIMAL = EXAMPLES / "images" / "go-minimal.oci"
FAT_RUN = "/bin/sh -c apt-get update && apt-get install -y gcc make"

# The shared fat layer: path → (bytes, kind the content rules count it as, or None).
FAT_FILES: dict[str, tuple[int, str | None]] = {
    "usr/lib/gcc/x86_64-linux-gnu/12/cc1": (99_930_000, "compiler"),
    "usr/bin/gcc-12": (800_000, "compiler"),
    "usr/bin/make": (200_000, "build-tool"),
    "var/cache/apt/archives/gcc-12_12.2.0_amd64.deb": (500_000, "cache"),
    "usr/share/doc/gcc-12/changelog.Debian.gz": (150_000, "docs"),
    "usr/lib/x86_64-linux-gnu/libisl.so.23": (100_000, None),
}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(files: dict[str, bytes], modes: dict[str, int] | None = None) -> bytes:
    """An uncompressed layer tar of ``files`` (with their parent directories), reproducible."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({"/".join(p.split("/")[:i]) for p in files
                       for i in range(1, p.count("/") + 1)})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mtime = len(data), 0
            info.mode = (modes or {}).get(path, 0o755 if "/bin/" in f"/{path}" else 0o644)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def noise(seed: str, size: int) -> bytes:
    """Incompressible bytes, the same for the same seed."""
    return random.Random(seed).randbytes(size)


def busybox_base() -> bytes:
    """The first (base) layer of the shipped busybox example image: a real busybox rootfs."""
    with tarfile.open(BUSYBOX_MINIMAL) as outer:
        manifest = json.loads(outer.extractfile("manifest.json").read())  # type: ignore[union-attr]
        member = outer.extractfile(manifest[0]["Layers"][0])
        assert member is not None
        return member.read()


def write_layout(dest: Path, layers: list[bytes], created_by: list[str]) -> None:
    """An OCI layout with one image (ref ``latest``): gzip layers, history per layer."""
    blobs = dest / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        digest = sha256(data)
        (blobs / digest.split(":")[1]).write_bytes(data)
        return digest

    descriptors = []
    for tar in layers:
        gz = gzip.compress(tar, compresslevel=1, mtime=0)
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": put(gz), "size": len(gz)})
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Entrypoint": ["/bin/sh"], "User": "65534"},
        "rootfs": {"type": "layers", "diff_ids": [sha256(t) for t in layers]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": c} for c in created_by],
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(config), "size": len(config)},
        "layers": descriptors}, sort_keys=True).encode()
    (dest / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest),
         "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
    (dest / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


@dataclass
class FleetSeed:
    """The seeded registry and what the tests expect of it."""

    server: RegistryServer
    fat_diff_id: str
    # every pushed image that scans: ref → uncompressed layer tars' (diff_id, bytes) in order
    layers: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    broken: str = ""

    def ref(self, name: str, tag: str = "latest") -> str:
        return f"docker://{self.server.host}/fleet/{name}:{tag}"

    @property
    def svc(self) -> list[str]:
        return [self.ref(f"svc-{i}") for i in range(1, 6)]


def _layers_of_archive(path: Path) -> list[tuple[str, int]]:
    with tarfile.open(path) as outer:
        manifest = json.loads(outer.extractfile("manifest.json").read())  # type: ignore[union-attr]
        out = []
        for name in manifest[0]["Layers"]:
            data = outer.extractfile(name).read()  # type: ignore[union-attr]
            out.append((sha256(data), len(data)))
        return out


def _layers_of_layout(path: Path) -> list[tuple[str, int]]:
    blob = lambda d: (path / "blobs" / "sha256" / d.split(":")[1]).read_bytes()  # noqa: E731
    index = json.loads((path / "index.json").read_text())
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    out = []
    for desc in manifest["layers"]:
        data = blob(desc["digest"])
        if desc["mediaType"].endswith("gzip"):
            data = gzip.decompress(data)
        out.append((sha256(data), len(data)))
    return out


def corrupt_blob(server: RegistryServer, digest: str) -> None:
    """Flip bytes in the middle of a stored blob: same size, wrong content."""
    hexd = digest.split(":")[1]
    data = server.root / "store" / "docker" / "registry" / "v2" / "blobs" / "sha256" / \
        hexd[:2] / hexd / "data"
    raw = bytearray(data.read_bytes())
    mid = len(raw) // 2
    raw[mid:mid + 16] = bytes(b ^ 0xFF for b in raw[mid:mid + 16])
    data.write_bytes(bytes(raw))


def _manifest_layers(server: RegistryServer, name: str) -> list[str]:
    out = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                          f"docker://{server.host}/fleet/{name}:latest"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return [d["digest"] for d in json.loads(out)["layers"]]


def seed(server: RegistryServer, work: Path) -> FleetSeed:
    """Push the fleet to ``server`` (see the module docstring)."""
    base = busybox_base()
    fat = layer_tar({p: noise(p, n) for p, (n, _) in FAT_FILES.items()})
    made = FleetSeed(server, sha256(fat))
    composed: dict[str, tuple[list[bytes], list[str]]] = {}
    for i in range(1, 6):
        app = layer_tar({f"app/svc-{i}": noise(f"svc-{i}", 20_000)})
        composed[f"svc-{i}"] = ([base, fat, app], ["/bin/sh -c #(nop) ADD file:busybox in /",
                                                   FAT_RUN, f"/bin/sh -c #(nop) COPY app/svc-{i}"])
    for name in ("good-a", "good-b", "good-c", "broken"):
        app = layer_tar({f"app/{name}": noise(name, 30_000)})
        composed[name] = ([base, app], ["/bin/sh -c #(nop) ADD file:busybox in /",
                                        f"/bin/sh -c #(nop) COPY --from=build /out/{name} /app/"])
    for name, (layers, history) in composed.items():
        layout = work / name
        write_layout(layout, layers, history)
        skopeo_push(server, f"oci:{layout}:latest", f"fleet/{name}:latest")
        if name == "svc-1":
            skopeo_push(server, f"oci:{layout}:latest", "fleet/svc-1:old")
            made.layers[made.ref("svc-1", "old")] = [(sha256(t), len(t)) for t in layers]
        if name != "broken":
            made.layers[made.ref(name)] = [(sha256(t), len(t)) for t in layers]
        shutil.rmtree(layout)  # the registry has it: each layout holds the fat layer again
    examples = (("busybox-minimal", BUSYBOX_MINIMAL, f"docker-archive:{BUSYBOX_MINIMAL}"),
                ("busybox-fat", BUSYBOX_FAT, f"docker-archive:{BUSYBOX_FAT}"),
                ("go-minimal", GO_MINIMAL, f"oci:{GO_MINIMAL}:latest"))
    for name, path, src in examples:
        skopeo_push(server, src, f"fleet/{name}:latest")
        made.layers[made.ref(name)] = (_layers_of_archive(path) if path.suffix == ".tar"
                                       else _layers_of_layout(path))
    corrupt_blob(server, _manifest_layers(server, "broken")[-1])
    made.broken = made.ref("broken")
    return made


@contextmanager
def start_fleet(work: Path) -> Iterator[FleetSeed]:
    """A fresh anonymous registry holding the fleet (stopped when the context ends)."""
    need_tools(REGISTRY_BIN, "skopeo")
    proc, host = start_registry(work / "registry", "")
    try:
        server = RegistryServer(host=host, root=work / "registry", auth="none")
        yield seed(server, work / "layouts")
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def fleet_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FleetSeed]:
    """The fleet registry, started once per session whichever test module asks first."""
    with shared("fleet_registry",
                lambda: start_fleet(tmp_path_factory.mktemp("fleet"))) as seeded:
        yield seeded
