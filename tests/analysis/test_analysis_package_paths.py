"""Owned paths as the merged tree holds them: merged-/usr symlinks and dpkg diversions.

The real-image checks (every package of Debian and Alpine images against ``dpkg -L``/``apk
info -L`` + ``stat`` and the package managers' own sizes) are in test_analysis_package_bytes.py;
these are the hand-made cases that pin each rule down.
"""

from __future__ import annotations

import pytest

from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import reduce
from finalstage.analysis.entry import Entry
from finalstage.analysis.packages import dpkg
from finalstage.analysis.packages.model import Ecosystem, Package
from finalstage.analysis.packages.paths import MAX_HOPS, resolve_dir, resolve_files

MERGED_USR = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}


@pytest.mark.parametrize(("path", "links", "expected"), [
    ("lib/x86_64-linux-gnu", MERGED_USR, "usr/lib/x86_64-linux-gnu"),
    ("usr/lib/x86_64-linux-gnu", MERGED_USR, "usr/lib/x86_64-linux-gnu"),
    ("", MERGED_USR, ""),
    # absolute targets restart at the root; relative ones are relative to the link's directory
    ("var/run/lock", {"var/run": "/run"}, "run/lock"),
    ("opt/app/lib", {"opt/app": "../srv/app-1.2"}, "srv/app-1.2/lib"),
    # a link to a link, and ".." past the root stays at the root (as the kernel does)
    ("a/x", {"a": "b", "b": "c/d"}, "c/d/x"),
    ("a/x", {"a": "../../../b"}, "b/x"),
    ("a/./x", {}, "a/x"),
])
def test_resolve_dir(path: str, links: dict[str, str], expected: str) -> None:
    assert resolve_dir(path, links) == expected


def test_resolve_dir_loop_gives_none() -> None:
    assert resolve_dir("a/b", {"a": "b", "b": "a"}) is None
    chain = {f"l{i}": f"l{i + 1}" for i in range(MAX_HOPS + 1)}
    assert resolve_dir("l0", chain) is None


def test_resolve_files_rewrites_only_paths_the_tree_lacks() -> None:
    libgcc = Package(Ecosystem.DEB, "libgcc-s1", "12.2.0-14", "var/lib/dpkg/status", files=(
        "lib", "lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu/libgcc_s.so.1",
        "usr/share/doc/libgcc-s1"))
    present = {"usr/lib/x86_64-linux-gnu/libgcc_s.so.1": 0, "usr/share/doc/libgcc-s1": 1,
               "lib": 2}
    (out,) = resolve_files([libgcc], present, MERGED_USR)
    # the link itself ("lib") is the package's, never followed; its children are
    assert out.files == ("lib", "usr/lib/x86_64-linux-gnu",
                         "usr/lib/x86_64-linux-gnu/libgcc_s.so.1", "usr/share/doc/libgcc-s1")
    assert resolve_files([libgcc], present, {}) == [libgcc]


DIVERSIONS = b"""\
/usr/share/man/man1/sh.1.gz
/usr/share/man/man1/sh.distrib.1.gz
dash
/bin/sh
/bin/sh.distrib
dash
/bin/gzip
/usr/bin/gzip.distrib
:
/incomplete
"""


def test_parse_diversions() -> None:
    assert dpkg.parse_diversions(DIVERSIONS) == {
        "usr/share/man/man1/sh.1.gz": ("usr/share/man/man1/sh.distrib.1.gz", "dash"),
        "bin/sh": ("bin/sh.distrib", "dash"),
        "bin/gzip": ("usr/bin/gzip.distrib", ":"),
    }
    assert dpkg.parse_diversions(b"") == {}


STATUS = b"""\
Package: dash
Status: install ok installed
Version: 0.5.12-2
Installed-Size: 191

Package: bash
Status: install ok installed
Version: 5.2.15-2+b2
Installed-Size: 7164

Package: gzip
Status: install ok installed
Version: 1.12-1
Installed-Size: 240
"""


def test_diversions_move_other_packages_files() -> None:
    result = dpkg.read({
        dpkg.STATUS: STATUS,
        dpkg.DIVERSIONS: DIVERSIONS,
        "var/lib/dpkg/info/dash.list": b"/bin/dash\n/bin/sh\n",
        "var/lib/dpkg/info/bash.list": b"/bin/bash\n/bin/sh\n",
        "var/lib/dpkg/info/gzip.list": b"/bin/gzip\n/bin/gunzip\n",
    })
    files = {p.name: p.files for p in result.packages}
    assert files["dash"] == ("bin/dash", "bin/sh")  # the diverting package keeps its own
    assert files["bash"] == ("bin/bash", "bin/sh.distrib")
    assert files["gzip"] == ("usr/bin/gzip.distrib", "bin/gunzip")  # local: every package


def test_analyze_counts_merged_usr_and_diverted_bytes() -> None:
    # A merged-/usr tree: what dpkg lists under /bin and /lib is stored under usr/.
    entries = [
        Entry("bin", "symlink", 0o777, link="usr/bin"),
        Entry("lib", "symlink", 0o777, link="usr/lib"),
        Entry("usr/bin/gzip.distrib", size=98136),
        Entry("usr/bin/gunzip", size=2346),
        Entry("usr/lib/x86_64-linux-gnu/libgcc_s.so.1", size=125312),
        Entry("var/lib/dpkg/status", size=1),
        Entry("var/lib/dpkg/diversions", size=1),
        Entry("var/lib/dpkg/info/gzip.list", size=1),
        Entry("var/lib/dpkg/info/libgcc-s1.list", size=1),
    ]
    status = STATUS + b"\nPackage: libgcc-s1\nStatus: install ok installed\nVersion: 1\n"
    data = {
        "var/lib/dpkg/status": status,
        "var/lib/dpkg/diversions": DIVERSIONS,
        "var/lib/dpkg/info/gzip.list": b"/.\n/bin\n/bin/gzip\n/bin/gunzip\n",
        "var/lib/dpkg/info/libgcc-s1.list": b"/lib/x86_64-linux-gnu/libgcc_s.so.1\n",
    }
    analysis = analyze(entries, {p: reduce(p, d) for p, d in data.items()})
    by_name = {p.name: p for p in analysis.packages}
    assert by_name["libgcc-s1"].bytes == 125312
    assert by_name["gzip"].bytes == 98136 + 2346
    assert "usr/lib/x86_64-linux-gnu/libgcc_s.so.1" in by_name["libgcc-s1"].files


def test_python_dist_and_dpkg_both_count_shared_files() -> None:
    # Debian's pip: python3-pip (dpkg) and the pip dist-info (RECORD) list the same files.
    site = "usr/lib/python3/dist-packages"
    record = f"{site}/pip-23.0.1.dist-info/RECORD"
    entries = [
        Entry(f"{site}/pip/__init__.py", size=357),
        Entry(f"{site}/pip-23.0.1.dist-info/METADATA", size=50),
        Entry(record, size=60),
        Entry("var/lib/dpkg/status", size=1),
        Entry("var/lib/dpkg/info/python3-pip.list", size=1),
    ]
    data = {
        f"{site}/pip-23.0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: pip\n"
                                                 b"Version: 23.0.1\n",
        record: b"pip/__init__.py,,357\npip-23.0.1.dist-info/METADATA,,50\n",
        "var/lib/dpkg/status": b"Package: python3-pip\nStatus: install ok installed\n"
                               b"Version: 23.0.1+dfsg-1\n",
        "var/lib/dpkg/info/python3-pip.list": f"/{site}/pip/__init__.py\n".encode(),
    }
    analysis = analyze(entries, {p: reduce(p, d) for p, d in data.items()})
    by_name = {p.name: p for p in analysis.packages}
    assert by_name["pip"].bytes == 357 + 50
    assert by_name["python3-pip"].bytes == 357
