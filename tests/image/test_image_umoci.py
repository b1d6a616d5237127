"""Our merged tree against a real peer: ``umoci unpack`` of the same OCI layout.

The layout is made by real tools from a real image: alpine 3.11 from the corpus (a gzip-wrapped
``docker save``) → ``skopeo copy`` → ``oci:`` dir → ``umoci unpack --rootless``. Paths, types,
sizes and permission bits of every entry must agree (owners are not compared: a rootless
unpack maps them to the current user).
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from finalstage.fs.merge import merged_tree
from finalstage.image.open import open_image

SOURCES = [
    "aquasecurity__trivy/pkg/fanal/test/testdata/alpine-311.tar.gz",  # one big layer
    "wagoodman__dive/.data/test-docker-image.tar",  # 14 layers: whiteouts, moves, hardlinks
    "google__go-containerregistry/pkg/v1/mutate/testdata/whiteout_dir.tar",  # dir whiteout
]
TOOLS = ("skopeo", "umoci")


@pytest.fixture(scope="module", params=SOURCES, ids=lambda s: s.rsplit("/", 1)[-1])
def unpacked(request, images_dir: Path, tmp_path_factory) -> tuple[Path, Path]:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    tmp = tmp_path_factory.mktemp("umoci")
    plain = tmp / "image.tar"
    raw = (images_dir / request.param).read_bytes()
    plain.write_bytes(gzip.decompress(raw) if request.param.endswith(".gz") else raw)
    layout = tmp / "oci"
    subprocess.run(
        ["skopeo", "copy", "-q", f"docker-archive:{plain}", f"oci:{layout}:alpine"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    bundle = tmp / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--rootless", "--image", f"{layout}:alpine", str(bundle)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return layout, bundle / "rootfs"


def _walk_rootfs(root: Path) -> dict[str, tuple[str, int, int]]:
    out: dict[str, tuple[str, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            rel = os.path.relpath(full, root)
            if stat.S_ISDIR(st.st_mode):
                kind, size = "d", 0
            elif stat.S_ISLNK(st.st_mode):
                kind, size = "l", 0
            elif stat.S_ISREG(st.st_mode):
                kind, size = "f", st.st_size
            else:
                kind, size = "other", 0
            out[rel] = (kind, size, stat.S_IMODE(st.st_mode))
    return out


@pytest.mark.corpus
@pytest.mark.engine
def test_merged_tree_equals_umoci_unpack(unpacked: tuple[Path, Path]) -> None:
    layout, rootfs = unpacked
    tree = merged_tree(open_image(f"oci:{layout}:alpine"))
    ours: dict[str, tuple[str, int, int]] = {}
    for path, e in tree.entries.items():
        if not path:
            continue
        kind = {"f": "f", "h": "f", "d": "d", "l": "l"}.get(e.kind, "other")
        size = e.size if e.kind == "f" else 0
        if e.kind == "h":  # a hardlink has its target's bytes on disk
            size = tree.entries[e.link].size
        ours[path] = (kind, size, e.mode)
    theirs = _walk_rootfs(rootfs)
    assert len(ours) >= 2
    assert set(ours) == set(theirs)
    diffs = {p: (ours[p], theirs[p]) for p in ours if ours[p][:2] != theirs[p][:2]}
    assert diffs == {}
    # Rootless umoci adds owner-write to directories and files it must be able to fill in;
    # compare the rest of the permission bits exactly.
    mode_diffs = {
        p: (oct(ours[p][2]), oct(theirs[p][2]))
        for p in ours
        if ours[p][0] != "l" and (ours[p][2] | 0o200) != (theirs[p][2] | 0o200)
    }
    assert mode_diffs == {}
