"""Shared helpers for analysis tests: the corpus location and a real-image reader via podman."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import ALL, reduce, wants
from finalstage.analysis.entry import Entry
from finalstage.analysis.model import Analysis

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus"
PODMAN_RUN = ["podman", "--runtime", "/usr/sbin/runc", "--cgroup-manager", "cgroupfs", "run",
              "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
              "--network", "none"]


def corpus_file(relative: str) -> Path:
    """A corpus file, or skip the test with the reason."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file absent: {path}")
    return path


def podman_image(name: str) -> str:
    """Skip unless podman is installed and ``name`` is in local storage."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    probe = subprocess.run(["podman", "image", "exists", name], capture_output=True, timeout=60,
                           check=False)
    if probe.returncode != 0:
        pytest.skip(f"image {name} is not in podman storage (built by shared/bench/build-images.sh)")
    return name


def podman_output(image: str, *command: str, entrypoint: str | None = None,
                  extra: list[str] | None = None, timeout: int = 300) -> bytes:
    """Stdout of ``command`` run in a throwaway container of ``image`` (no network)."""
    args = [*PODMAN_RUN, *(extra or [])]
    if entrypoint is not None:
        args += ["--entrypoint", entrypoint]
    result = subprocess.run([*args, image, *command], capture_output=True, timeout=timeout,
                            check=False)
    if result.returncode != 0:
        pytest.fail(f"podman run {image} {command}: {result.stderr.decode()[-500:]}")
    return result.stdout


def analyze_layers(layers: list[tarfile.TarFile]) -> Analysis:
    """Run wants/reduce/analyze over real layer tars, oldest first, the way the layer reader
    will: one pass per layer, capture chosen by ``wants``, reduced at once. The merge here is the
    simple one tests need (later layers replace paths, ``.wh.`` deletes); fs/ owns the real one."""
    entries: dict[str, Entry] = {}
    captured: dict[str, object] = {}
    for index, layer in enumerate(layers):
        for member in layer:
            path = member.name.removeprefix("./")
            path = path.strip("/")
            base = path.rsplit("/", 1)[-1]
            if base.startswith(".wh."):
                gone = path[: len(path) - len(base)] + base[4:]
                for key in [k for k in entries if k == gone or k.startswith(gone + "/")]:
                    del entries[key]
                    captured.pop(key, None)
                continue
            kind = ("file" if member.isreg() else "dir" if member.isdir() else
                    "symlink" if member.issym() else "hardlink" if member.islnk() else "other")
            entries[path] = Entry(path, kind, member.mode, member.size if member.isreg() else 0,
                                  index, member.uid, member.gid, member.linkname or None)
            captured.pop(path, None)
            if member.isreg():
                want = wants(path, member.size, member.mode)
                if want:
                    handle = layer.extractfile(member)
                    assert handle is not None
                    data = handle.read() if want == ALL else handle.read(want)
                    kept = reduce(path, data)
                    if kept is not None:
                        captured[path] = kept
    return analyze(entries.values(), captured)


def open_docker_archive_layers(archive: tarfile.TarFile) -> list[tarfile.TarFile]:
    """The layer tars of a docker-archive, oldest first (from manifest.json)."""
    manifest_file = archive.extractfile("manifest.json")
    assert manifest_file is not None
    manifest = json.loads(manifest_file.read())
    layers = []
    for name in manifest[0]["Layers"]:
        handle = archive.extractfile(name)
        assert handle is not None
        layers.append(tarfile.open(fileobj=io.BytesIO(handle.read())))  # noqa: SIM115 (caller's)
    return layers


def analyze_container_paths(image: str, *paths: str) -> Analysis:
    """Stream ``tar -c`` of some directories out of a throwaway container and analyse them as
    one layer (real files of a real image; no image export needed)."""
    args = [*PODMAN_RUN, "--entrypoint", "tar", image, "-c", "-C", "/", *paths]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as layer:
            analysis = analyze_layers([layer])
        _, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"tar in {image}: {err.decode()[-500:]}")
    return analysis
