"""apk installed database: hand samples, malformed input, a real Alpine 3.10 image."""

from __future__ import annotations

import tarfile

import pytest
from _analysis_helpers import analyze_layers, corpus_file, open_docker_archive_layers

from finalstage.analysis.categories import Category
from finalstage.analysis.packages.model import Ecosystem
from finalstage.analysis.packages import apk

SAMPLE = b"""\
C:Q1x6WFRxtCFOJEJVxd3X43cgTKiZQ=
P:busybox
V:1.36.1-r5
A:x86_64
I:946176
F:bin
R:busybox
a:0:0:755
F:etc
R:securetty

P:musl
V:1.2.4-r2
I:not-a-number
F:lib
R:ld-musl-x86_64.so.1
"""


def test_sample() -> None:
    result = apk.parse_installed(SAMPLE)
    busybox, musl = result.packages
    assert (busybox.name, busybox.version, busybox.installed_size, busybox.arch) == (
        "busybox", "1.36.1-r5", 946176, "x86_64")
    assert busybox.files == ("bin/busybox", "etc/securetty")
    assert musl.files == ("lib/ld-musl-x86_64.so.1",)
    assert musl.installed_size is None
    assert result.warnings == ("lib/apk/db/installed: musl: bad I: size 'not-a-number'",)


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\x00\xff" * 100, b"V:1\nR:x\n",
                                  b"P:a\nno colon here\nR:orphan\n", b"F:\nR:x\n\nP:y\n"])
def test_malformed_never_raises(data: bytes) -> None:
    result = apk.parse_installed(data)
    assert all(p.name for p in result.packages)


def test_block_without_name_warns() -> None:
    result = apk.parse_installed(b"V:1\nR:x\n")
    assert result.packages == ()
    assert "no P: (name) line" in result.warnings[0]


@pytest.mark.corpus
def test_real_alpine_image() -> None:
    path = corpus_file("images/aquasecurity__trivy/pkg/fanal/test/testdata/alpine-310.tar.gz")
    with tarfile.open(path) as archive:
        analysis = analyze_layers(open_docker_archive_layers(archive))
    apks = {p.name: p for p in analysis.packages if p.ecosystem == Ecosystem.APK}
    # hand-checked against the image's lib/apk/db/installed: 14 packages
    assert len(apks) == 14
    musl = apks["musl"]
    assert (musl.version, musl.installed_size) == ("1.1.22-r3", 598016)
    assert "lib/ld-musl-x86_64.so.1" in musl.files
    assert musl.bytes and musl.bytes > 500_000  # the real bytes of the files it owns
    assert apks["busybox"].version == "1.30.1-r3"
    assert analysis.categories[Category.SHELL].files >= 1
    assert analysis.categories[Category.PACKAGE_MANAGER].files >= 1  # sbin/apk
    assert "sbin/apk" in analysis.category_of
    busybox = next(f for f in analysis.elf_files if f.path == "bin/busybox")
    assert busybox.info.is_stripped and busybox.info.interpreter == "/lib/ld-musl-x86_64.so.1"
    assert analysis.secrets == ()
    assert analysis.warnings == ()
