"""dpkg status parsing: hand-written samples, malformed input, and the real thing vs dpkg-query."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from _analysis_helpers import podman_image, podman_output
from tests.harness.build import SLIM, local_name

from finalstage.analysis.packages import dpkg

SAMPLE = b"""\
Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12985
Maintainer: GNU Libc Maintainers <libc@example.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: oldpkg
Status: deinstall ok config-files
Version: 1.0
Installed-Size: 10

Package: zlib1g
Status: install ok installed
Installed-Size: 164
Architecture: amd64
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime
"""


def test_status_sample() -> None:
    result = dpkg.parse_status(SAMPLE)
    assert [(p.name, p.version, p.installed_size, p.arch) for p in result.packages] == [
        ("libc6", "2.36-9+deb12u4", 12985 * 1024, "amd64"),
        ("zlib1g", "1:1.2.13.dfsg-1", 164 * 1024, "amd64"),
    ]
    assert result.warnings == ()


def test_list_and_md5sums() -> None:
    assert dpkg.parse_list(b"/.\n/usr\n/usr/bin/ls\n") == ("usr", "usr/bin/ls")
    assert dpkg.parse_md5sums(b"d41d8cd98f00b204e9800998ecf8427e  usr/bin/ls\n") == ("usr/bin/ls",)


def test_read_attaches_list_files_and_multiarch() -> None:
    result = dpkg.read({
        "var/lib/dpkg/status": SAMPLE,
        "var/lib/dpkg/info/libc6:amd64.list": b"/.\n/lib/x86_64-linux-gnu/libc.so.6\n",
        "var/lib/dpkg/info/zlib1g:amd64.list": b"/usr/lib/x86_64-linux-gnu/libz.so.1\n",
    })
    files = {p.name: p.files for p in result.packages}
    assert files["libc6"] == ("lib/x86_64-linux-gnu/libc.so.6",)
    assert files["zlib1g"] == ("usr/lib/x86_64-linux-gnu/libz.so.1",)


def test_distroless_status_d() -> None:
    result = dpkg.read({
        "var/lib/dpkg/status.d/base-files": b"Package: base-files\nVersion: 12.4+deb12u5\n"
                                            b"Architecture: amd64\nInstalled-Size: 343\n",
        "var/lib/dpkg/status.d/base-files.md5sums": b"0123  etc/debian_version\n",
        "var/lib/dpkg/status.d/tzdata": b"Package: tzdata\nVersion: 2024a-0+deb12u1\n",
    })
    by_name = {p.name: p for p in result.packages}
    assert by_name["base-files"].files == ("etc/debian_version",)
    assert by_name["base-files"].location == "var/lib/dpkg/status.d/base-files"
    assert by_name["tzdata"].version == "2024a-0+deb12u1"


@pytest.mark.parametrize("data", [
    b"", b"\n\n\n", b"\xff\xfe\x00garbage\x00" * 50, b"Package\nVersion 1\n",
    b"Package: x\nInstalled-Size: lots\nStatus: install ok installed\n",
    b" continuation without a field\nPackage: y\n", b"Version: 1\n\nPackage: z\n",
])
def test_malformed_status_never_raises(data: bytes) -> None:
    result = dpkg.parse_status(data)
    for package in result.packages:
        assert package.name


def test_malformed_status_warns() -> None:
    result = dpkg.parse_status(b"Package: x\nInstalled-Size: lots\n\nVersion: 1\n")
    assert [p.name for p in result.packages] == ["x"]
    assert result.packages[0].installed_size is None
    assert len(result.warnings) == 2
    assert "bad Installed-Size 'lots'" in result.warnings[0]
    assert "no Package field" in result.warnings[1]


def _dpkg_query_lines(output: bytes) -> set[tuple[str, str, int]]:
    out = set()
    for line in output.decode().splitlines():
        status, name, version, *size = line.split(" ")
        if status == "installed":
            out.add((name, version, int(size[0]) * 1024 if size and size[0] else -1))
    return out


def _parsed(data: bytes) -> set[tuple[str, str, int]]:
    return {(p.name, p.version, p.installed_size if p.installed_size is not None else -1)
            for p in dpkg.parse_status(data).packages}


QUERY_FORMAT = "${db:Status-Status} ${Package} ${Version} ${Installed-Size}\\n"


def test_host_status_matches_dpkg_query() -> None:
    status = Path("/var/lib/dpkg/status")
    if shutil.which("dpkg-query") is None or not status.exists():
        pytest.skip("no dpkg on this host")
    output = subprocess.run(["dpkg-query", "-W", "-f", QUERY_FORMAT.replace("\\n", "\n")],
                            capture_output=True, check=True, timeout=60).stdout
    expected = _dpkg_query_lines(output)
    assert len(expected) > 50
    assert _parsed(status.read_bytes()) == expected


@pytest.mark.engine
@pytest.mark.timeout(1200)  # from nothing, the stand-in is a debootstrap (minutes)
def test_debian_image_status_matches_dpkg_query_inside_it(image_builder: object) -> None:
    # The harness's Debian stand-in (debootstrap minbase, made on any machine by make test).
    image_builder.ensure_standin("debian-slim")  # type: ignore[attr-defined]
    image = podman_image(local_name(SLIM))  # the stand-in, in the test namespace
    status = podman_output(image, "cat", "/var/lib/dpkg/status")
    output = podman_output(image, "dpkg-query", "-W", "-f", QUERY_FORMAT.replace("\\n", "\n"))
    expected = _dpkg_query_lines(output)
    assert len(expected) > 50
    assert _parsed(status) == expected
