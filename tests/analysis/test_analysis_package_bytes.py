"""Package bytes against the package managers run inside the same images (issue 14, item 8).

Every package of every image is checked two ways:

1. **To the byte**, against the files the package manager itself lists: ``dpkg -L PKG`` (with
   the diversions it prints) or ``apk info -L PKG``, each ``stat``-ed inside a container of the
   image, so the kernel resolves ``/lib`` → ``usr/lib`` and friends; regular files only, each
   inode once. finalstage's ``bytes`` must equal that sum for every package.
2. **The package manager's own size**: ``dpkg-query -W -f '${Package} ${Installed-Size}'`` and
   ``apk info -s``. Both are estimates made when the package was built, not byte counts:
   dpkg-gencontrol counts every file rounded up to a KiB and 1 KiB for every other object
   (directory, symlink); abuild's ``du -sk`` counts 4 KiB blocks, directories included. With the
   same rule applied to the files finalstage attributes, the image's total must land within 5%.

Measured (exact bytes / the manager's total, then the rule-converted estimate / that total):

| image | packages | bytes / total | estimate / total |
| --- | --- | --- | --- |
| debian:bookworm-slim stand-in, localhost/debian:bookworm (minbase) | 88 | 93.3% | 98.2% |
| localhost/fat-python | 240 | 96.8% | 99.3% |
| localhost/fat-go | 240 | 97.4% | 99.6% |
| localhost/fat-node | 757 | 95.5% | 99.4% |
| localhost/wasteful | 88 | 57.8% | 60.2% (exception below) |
| Alpine 3.10 / 3.11 (apk-tools 2.10) | 14 | 87.5% / 87.3% | 99.1% / 98.8% (+ root dir: 100%) |

Exceptions, each checked below rather than waved through:
- Files deleted by a later layer (``RUN rm -rf /usr/share/doc …``, as ``localhost/wasteful`` and
  the ``diverted`` image here do) are gone from the image but still in dpkg's lists and its
  Installed-Size: those images are compared to the byte only, and every listed path that is
  absent must lie under the deleted directories. Single deleted files are named in
  ``DELETED_FILES`` with the reason.
- Per package, Installed-Size is too coarse to compare: on small packages the per-file rounding
  and the package's own root/control directories are most of the figure (``usr-is-merged``: 3 KB
  of files, 13 KiB declared; ``base-passwd``, ``debconf``, ``tzdata`` and ``libstdc++6`` are
  5-50% off for files their build tree had). Only the totals are held to 5%; per package the
  byte-exact check 1 applies.
- ``/etc/hosts``, ``/etc/hostname`` and ``/etc/resolv.conf`` are bind-mounted by podman into
  the container, so ``stat`` there sees podman's files, not the image's (alpine-baselayout owns
  them): they are left out of the in-container sum and added from the image.
"""

from __future__ import annotations

import gzip
import math
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from _analysis_helpers import corpus_file, podman_image, podman_output
from tests.harness.build import BUD, SLIM

from finalstage.analysis.packages.model import Ecosystem, Package
from finalstage.analysis.from_image import analyze_image
from finalstage.image.open import open_image
from finalstage.fs.merge import merged_tree
from finalstage.image.tarheader import REG

pytestmark = [pytest.mark.engine, pytest.mark.slow]

Measured = tuple[dict[str, Package], Mapping[str, Any]]

# -- finalstage's side --------------------------------------------------------------------------


def finalstage_packages(name: str, ecosystem: Ecosystem) -> Measured:
    """The packages of ``ecosystem`` in containers-storage image ``name``, and the merged tree."""
    image = open_image(f"containers-storage:{name}")
    try:
        analysis = analyze_image(image)
        entries = merged_tree(image).entries
    finally:
        image.core.close()  # type: ignore[attr-defined]  # the spooled copy
    return {p.name: p for p in analysis.packages if p.ecosystem == ecosystem}, entries


def rounded(entries: Mapping[str, Any], paths: Iterator[str] | tuple[str, ...], unit: int,
            other: int) -> int:
    """Bytes of ``paths`` the way a package manager estimates them: each regular file rounded
    up to ``unit``, ``other`` bytes for anything else present (directory, symlink)."""
    total = 0
    for path in set(paths):
        entry = entries.get(path)
        if entry is None:
            continue
        total += math.ceil(entry.size / unit) * unit if entry.kind == REG else other
    return total


# -- dpkg ---------------------------------------------------------------------------------------

# Every package's `dpkg -L` (diversions included), then `stat` of every path it names.
DPKG_LISTS = r"""
for p in $(dpkg-query -W -f '${Package}\n'); do echo "@@ $p"; dpkg -L "$p"; done > /tmp/lists
echo '##'
cat /tmp/lists
echo '##'
grep -v '^@@ ' /tmp/lists | sed -e 's/^locally diverted to: //' -e 's/^diverted by [^ ]* to: //' \
  -e 's/^package diverts others to: //' -e 's/^diversion by .*: //' | sort -u | tr '\n' '\0' \
  | xargs -0 stat -c '%F|%s|%i|%n' 2>/dev/null
true
"""
_DIVERTED = ("diverted by ", "locally diverted to: ")


def dpkg_bytes(name: str) -> dict[str, int]:
    """Per package: bytes of the regular files ``dpkg -L`` names, stat-ed in the container."""
    out = podman_output(name, "-c", DPKG_LISTS, entrypoint="/bin/sh").decode()
    _, lists, stats = out.split("##\n")
    stat = {}
    for line in stats.splitlines():
        kind, size, inode, path = line.split("|", 3)
        if kind in ("regular file", "regular empty file"):
            stat[path] = (int(size), inode)
    files: dict[str, list[str]] = {}
    current: list[str] = []
    for line in lists.splitlines():
        if line.startswith("@@ "):
            current = files[line[3:]] = []
        elif line.startswith(_DIVERTED):  # this package's copy of the path above is elsewhere
            current[-1] = line.split(" to: ", 1)[1]
        elif line and not line.startswith(("package diverts ", "diversion by ")):
            current.append(line)
    return {package: sum(dict(stat[p][::-1] for p in paths if p in stat).values())
            for package, paths in files.items()}


def dpkg_installed(name: str) -> dict[str, int]:
    out = podman_output(name, "-W", "-f", "${Package} ${Installed-Size}\n",
                        entrypoint="dpkg-query").decode()
    return {n: int(s) * 1024 for n, s in (line.split() for line in out.splitlines())}


DIVERTED_DOCKERFILE = f"""\
FROM {SLIM}
RUN dpkg-divert --local --rename --divert /usr/bin/gzip.distrib --add /bin/gzip \\
 && dpkg-divert --package bash --rename --divert /usr/bin/zcat.bash --add /bin/zcat \\
 && rm -rf /usr/share/doc /usr/share/man /usr/share/locale /usr/share/info
"""
DELETED = ("usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info")


@pytest.fixture(scope="module")
def debian_images(image_builder: Any, built_image: Callable[[str, str], Any],
                  tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Harness images (always buildable): the slim stand-in, the fat Python and Node examples,
    and one with a local and a package diversion of merged-/usr paths and deleted docs."""
    image_builder.ensure_standin("debian-slim")
    ctx = tmp_path_factory.mktemp("diverted")
    (ctx / "Dockerfile").write_text(DIVERTED_DOCKERFILE)
    subprocess.run([*BUD, "-q", "-t", "localhost/finalstage-test-diverted:latest", str(ctx)],
                   check=True, capture_output=True, timeout=600)
    return {"slim": SLIM, "python-fat": built_image("python", "fat").name,
            "node-fat": built_image("node", "fat").name,
            "diverted": "localhost/finalstage-test-diverted:latest"}


# Bench images (shared/bench/build-images.sh) when podman storage has them (fat-node and fat-go
# pass too, measured in the table above; left out of the suite for time: 90 s and 40 s).
BENCH = ("localhost/debian:bookworm", "localhost/fat-python", "localhost/wasteful")
REMOVES_DOCS = {"diverted", "localhost/wasteful"}
# Other dpkg-listed paths a later layer deletes, and why.
APT_LISTS = "var/lib/apt/lists/partial"  # apt's directory: `rm -rf /var/lib/apt/lists/*`,
# the clean-up every official Debian-based image does after `apt-get install`
DELETED_FILES = {
    # the python:3.12-bookworm stand-in (tests/harness/build.py) lets pip install system-wide
    "python-fat": {"usr/lib/python3.11/EXTERNALLY-MANAGED"},
}


@pytest.mark.timeout(2400)
@pytest.mark.parametrize("key", ["slim", "python-fat", "node-fat", "diverted", *BENCH])
def test_dpkg_package_bytes(key: str, request: pytest.FixtureRequest) -> None:
    if key in BENCH:
        name = podman_image(key)
    else:
        name = request.getfixturevalue("debian_images")[key]
    packages, entries = finalstage_packages(name, Ecosystem.DEB)
    exact = dpkg_bytes(name)
    installed = dpkg_installed(name)
    assert set(packages) == set(exact) == set(installed)
    assert len(packages) >= 80
    # 1. every package, to the byte (libgcc-s1 was 45 B before /lib was resolved)
    assert {n: p.bytes for n, p in packages.items()} == exact
    assert packages["libgcc-s1"].bytes == exact["libgcc-s1"] > 100_000
    # 2. the total against Installed-Size, converted with dpkg-gencontrol's rule
    absent = {f for p in packages.values() for f in p.files if f not in entries} - {APT_LISTS}
    if key in REMOVES_DOCS:
        assert absent and all(f.startswith(DELETED) for f in absent)
        return
    assert absent == DELETED_FILES.get(key, set())
    estimate = sum(rounded(entries, p.files, 1024, 1024) for p in packages.values())
    total = sum(installed.values())
    assert abs(estimate / total - 1) <= 0.05, (estimate, total)
    assert sum(exact.values()) <= estimate


def test_diversions_and_merged_usr_in_a_real_image(request: pytest.FixtureRequest) -> None:
    name = request.getfixturevalue("debian_images")["diverted"]
    packages, entries = finalstage_packages(name, Ecosystem.DEB)
    gzip_files = packages["gzip"].files
    # /bin/gzip (locally diverted, renamed) and /bin/zcat (diverted by bash) of package gzip
    assert "usr/bin/gzip.distrib" in gzip_files and "usr/bin/zcat.bash" in gzip_files
    assert entries["usr/bin/gzip.distrib"].kind == REG
    # dash diverts the others' /bin/sh, not its own (a link, through /bin → usr/bin)
    assert "usr/bin/sh" in packages["dash"].files
    assert "usr/bin/sh.distrib" not in packages["dash"].files


# -- apk ----------------------------------------------------------------------------------------

ALPINE = {"3.10": "images/aquasecurity__trivy/pkg/fanal/test/testdata/alpine-310.tar.gz",
          "3.11": "images/aquasecurity__trivy/pkg/fanal/test/testdata/alpine-311.tar.gz"}
PODMAN_MOUNTS = {"etc/hosts", "etc/hostname", "etc/resolv.conf"}
APK_LISTS = r"""
for p in $(apk info 2>/dev/null); do
  echo "@@ $p $(apk info -s "$p" 2>/dev/null | sed -n 2p)"
  apk info -L "$p" 2>/dev/null | tail -n +2 | while read -r f; do
    [ -n "$f" ] && [ -f "/$f" ] && [ ! -L "/$f" ] && echo "$f|$(stat -c '%s|%i' "/$f")"
  done
done
true
"""


def alpine_image(version: str, tmp: Path) -> str:
    """A real Alpine image (from the shared corpus) in containers-storage."""
    name = f"localhost/finalstage-test-alpine:{version}"
    if shutil.which("podman") is None or shutil.which("skopeo") is None:
        pytest.skip("podman and skopeo are needed")
    probe = subprocess.run(["podman", "image", "exists", name], capture_output=True, timeout=60,
                           check=False)
    if probe.returncode != 0:
        archive = tmp / f"alpine-{version}.tar"  # skopeo 1.9 reads no gzip-wrapped archive
        archive.write_bytes(gzip.decompress(corpus_file(ALPINE[version]).read_bytes()))
        subprocess.run(["skopeo", "copy", "--quiet", f"docker-archive:{archive}",
                        f"containers-storage:{name}"], check=True, capture_output=True,
                       timeout=300)
    return name


@pytest.mark.corpus
@pytest.mark.parametrize("version", sorted(ALPINE))
def test_apk_package_bytes(version: str, tmp_path: Path) -> None:
    name = alpine_image(version, tmp_path)
    packages, entries = finalstage_packages(name, Ecosystem.APK)
    sizes: dict[str, int] = {}
    exact: dict[str, int] = {}
    current: dict[str, int] = {}
    for line in podman_output(name, "sh", "-c", APK_LISTS).decode().splitlines():
        if line.startswith("@@ "):
            package, size = line[3:].split()
            sizes[package] = int(size)
            current = {}
            exact[package] = 0
        else:
            path, size, inode = line.rsplit("|", 2)
            if path in PODMAN_MOUNTS:
                size, inode = str(entries[path].size), path
            if inode not in current:
                current[inode] = int(size)
                exact[package] += int(size)
    assert set(packages) == set(sizes) and len(sizes) == 14
    # 1. to the byte (libc-utils, a metapackage, owns no file: 0 B, not unknown)
    assert {n: p.bytes for n, p in packages.items()} == exact
    # 2. `apk info -s` is abuild's `du`: 4 KiB blocks for files, directories (F: lines in the
    # installed database) and the package's own root
    dirs: dict[str, int] = {}
    package = ""
    for line in podman_output(name, "cat", "/lib/apk/db/installed").decode().splitlines():
        if line.startswith("P:"):
            package = line[2:]
            dirs[package] = 0
        elif line.startswith("F:"):
            dirs[package] += 1
    estimate = sum(rounded(entries, p.files, 4096, 4096) + 4096 * (dirs[n] + 1)
                   for n, p in packages.items())
    total = sum(sizes.values())
    assert abs(estimate / total - 1) <= 0.05, (estimate, total)
    assert {n: p.installed_size for n, p in packages.items()} == sizes
