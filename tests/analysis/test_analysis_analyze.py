"""analyze(): totals, layers, special permissions, capture choices, robustness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import ALL, reduce, wants
from finalstage.analysis.categories import Category
from finalstage.analysis.entry import Entry
from finalstage.analysis.capture import CAP_ELF, METADATA_HEAD
from finalstage.analysis.packages import apk, dpkg


def test_totals_per_category_and_layer() -> None:
    entries = [
        Entry("usr/bin/gcc-12", size=1_000_000, mode=0o755, layer=1),
        Entry("usr/lib/gcc/x86_64-linux-gnu/12/cc1", size=30_000_000, mode=0o755, layer=1),
        Entry("usr/share/doc/gcc-12/changelog.gz", size=50_000, layer=1),
        Entry("usr/share/man/man1/ls.1.gz", size=3_000, layer=0),
        Entry("usr/bin/cc", kind="symlink", size=0, layer=1),
        Entry("usr/share/doc", kind="dir", layer=0),
        Entry("app/server", size=5_000_000, mode=0o755, layer=2),
    ]
    analysis = analyze(entries, {})
    assert analysis.total_files == 6 and analysis.total_bytes == 36_053_000
    compiler = analysis.categories[Category.COMPILER]
    assert (compiler.bytes, compiler.files) == (31_000_000, 3)
    assert compiler.top[0] == ("usr/lib/gcc/x86_64-linux-gnu/12/cc1", 30_000_000)
    assert analysis.by_layer[1][Category.DOCS].bytes == 50_000
    assert analysis.by_layer[0][Category.DOCS].bytes == 3_000
    assert 2 not in analysis.by_layer  # the app binary is in no category
    assert sum(s.bytes for s in analysis.categories.values()) <= analysis.total_bytes


def test_special_permissions() -> None:
    entries = [
        Entry("usr/bin/passwd", size=10, mode=0o104755),
        Entry("usr/bin/wall", size=10, mode=0o2755),
        Entry("app/data.db", size=10, mode=0o666),
        Entry("tmp", kind="dir", mode=0o1777),
        Entry("app/uploads", kind="dir", mode=0o777),
        Entry("usr/bin/vi", kind="symlink", mode=0o777),
        Entry("usr/bin/ok", size=10, mode=0o755),
        Entry("dev/null", kind="other", mode=0o666),
    ]
    found = {(s.path, s.kind) for s in analyze(entries, {}).special_files}
    assert found == {("usr/bin/passwd", "setuid"), ("usr/bin/wall", "setgid"),
                     ("app/data.db", "world-writable"), ("app/uploads", "world-writable")}


@pytest.mark.parametrize(("path", "size", "mode", "expected"), [
    ("var/lib/dpkg/status", 2_000_000, 0o644, ALL),
    ("/var/lib/dpkg/status.d/libc6", 2_000, 0o644, ALL),
    ("var/lib/dpkg/info/libc6:amd64.list", 20_000, 0o644, ALL),
    ("var/lib/dpkg/info/libc6:amd64.md5sums", 20_000, 0o644, 0),
    ("lib/apk/db/installed", 100_000, 0o644, ALL),
    ("usr/lib/sysimage/rpm/rpmdb.sqlite", 5_000_000, 0o644, ALL),
    ("app/node_modules/express/package.json", 2_000, 0o644, ALL),
    ("app/node_modules/express/lib/package.json", 100, 0o644, 0),
    ("app/package-lock.json", 900_000, 0o644, ALL),
    ("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", 500_000, 0o644,
     METADATA_HEAD),
    ("usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD", 500, 0o644, ALL),
    ("usr/local/bin/app", 30_000_000, 0o755, ALL),
    ("usr/local/bin/huge", CAP_ELF + 1, 0o755, 0),
    ("usr/lib/x86_64-linux-gnu/libssl.so.3", 700_000, 0o644, ALL),
    ("usr/share/doc/x/README", 5_000, 0o644, 0),
    ("app/static/logo.png", 50_000, 0o644, 0),
    ("app/config/settings.yaml", 2_000, 0o644, ALL),
    ("etc/nginx/nginx.conf", 2_000, 0o644, ALL),
    ("usr/share/nginx/nginx.conf", 2_000, 0o644, 0),
    ("root/.ssh/id_rsa", 3_000, 0o600, 65536),
])
def test_wants(path: str, size: int, mode: int, expected: int) -> None:
    assert wants(path, size, mode) == expected


def test_shebang_interpreters() -> None:
    files = {"usr/local/bin/tool": b"#!/usr/bin/env python3\nimport sys\n",
             "app/start.sh": b"#! /bin/sh -e\nexec node server.js\n"}
    entries = [Entry(p, size=len(d), mode=0o755) for p, d in files.items()]
    captured = {p: reduce(p, d) for p, d in files.items() if wants(p, len(d), 0o755)}
    assert analyze(entries, captured).shebangs == {"usr/local/bin/tool": "/usr/bin/env python3",
                                                   "app/start.sh": "/bin/sh -e"}


def test_reduce_keeps_only_what_is_needed() -> None:
    assert reduce("usr/bin/script", b"#!/bin/sh\necho hi\n" * 100) == b"#!/bin/sh\n"
    assert reduce("usr/bin/blob", b"\0" * 1000) is None
    assert reduce("var/lib/dpkg/status", b"Package: x\n") == b"Package: x\n"


def test_captured_paths_not_in_entries_are_ignored() -> None:
    # status deleted by a later layer: its packages are not reported
    analysis = analyze([Entry("etc/os-release", size=10)],
                       {"var/lib/dpkg/status": b"Package: gone\nVersion: 1\n"})
    assert analysis.packages == ()


def test_captured_keys_may_have_leading_slash() -> None:
    data = b"Package: x\nVersion: 1\nStatus: install ok installed\n"
    analysis = analyze([Entry("/var/lib/dpkg/status", size=len(data))],
                       {"/var/lib/dpkg/status": data})
    assert [p.name for p in analysis.packages] == ["x"]


def test_dpkg_files_attribute_bytes_and_layers() -> None:
    status = b"Package: curl\nVersion: 7.88\nStatus: install ok installed\nInstalled-Size: 500\n"
    entries = [
        Entry("var/lib/dpkg/status", size=len(status), layer=1),
        Entry("var/lib/dpkg/info/curl.list", size=30, layer=1),
        Entry("usr/bin/curl", size=300_000, mode=0o755, layer=1),
        Entry("usr/share/doc/curl/copyright", size=2_000, layer=1),
    ]
    captured = {"var/lib/dpkg/status": status,
                "var/lib/dpkg/info/curl.list": b"/.\n/usr/bin/curl\n/usr/share/doc/curl/copyright\n"}
    (curl,) = analyze(entries, captured).packages
    assert (curl.bytes, curl.layers, curl.installed_size) == (302_000, (1,), 512_000)


def test_undecodable_path_in_warning_is_escaped() -> None:
    path = "app/node_modules/x\udcff\n/package.json"
    analysis = analyze([Entry(path, size=3)], {path: b"{{{"})
    assert len(analysis.warnings) == 1
    assert "\n" not in analysis.warnings[0] and "\\xff" in analysis.warnings[0]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_package_db_parsers_never_raise_on_bytes(data: bytes) -> None:
    dpkg.parse_status(data)
    apk.parse_installed(data)
    entries = [Entry(p, size=len(data)) for p in ("var/lib/dpkg/status", apk.INSTALLED)]
    analyze(entries, {e.path: data for e in entries})


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="PVIAFR:\n abc0123/.-", max_size=400))
def test_apk_and_dpkg_structured_noise(text: str) -> None:
    for package in apk.parse_installed(text.encode()).packages:
        assert package.name
    for package in dpkg.parse_status(text.replace("P:", "Package:").encode()).packages:
        assert package.name
