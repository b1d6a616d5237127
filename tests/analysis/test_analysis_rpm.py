"""rpm sqlite database: header blobs built by hand from the format (rpm's header.c layout),
stored in a real sqlite file; Berkeley DB detection; malformed blobs."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import pytest

from finalstage.analysis.analyze import analyze
from finalstage.analysis.entry import Entry
from finalstage.analysis.packages import rpm


def _header(tags: list[tuple[int, int, object]]) -> bytes:
    """Build a header blob: (tag, type, value). Types: 4 INT32, 6 STRING, 8 STRING_ARRAY."""
    index = b""
    store = b""
    for tag, kind, value in tags:
        if kind == 4:
            while len(store) % 4:
                store += b"\0"
            values = value if isinstance(value, list) else [value]
            offset = len(store)
            store += b"".join(struct.pack(">i", v) for v in values)
            count = len(values)
        elif kind == 6:
            offset = len(store)
            store += str(value).encode() + b"\0"
            count = 1
        else:
            offset = len(store)
            items = list(value)  # type: ignore[call-overload]
            store += b"".join(s.encode() + b"\0" for s in items)
            count = len(items)
        index += struct.pack(">iiii", tag, kind, offset, count)
    return struct.pack(">II", len(tags), len(store)) + index + store


BASH = _header([
    (rpm.TAG_NAME, 6, "bash"), (rpm.TAG_VERSION, 6, "5.2.15"), (rpm.TAG_RELEASE, 6, "5.fc39"),
    (rpm.TAG_ARCH, 6, "x86_64"), (rpm.TAG_SIZE, 4, 8_123_456),
    (rpm.TAG_DIRNAMES, 8, ["/usr/bin/", "/etc/"]),
    (rpm.TAG_BASENAMES, 8, ["bash", "sh", "bashrc"]), (rpm.TAG_DIRINDEXES, 4, [0, 0, 1]),
])
TZDATA = _header([(rpm.TAG_NAME, 6, "tzdata"), (rpm.TAG_VERSION, 6, "2024a"),
                  (rpm.TAG_RELEASE, 6, "1"), (rpm.TAG_EPOCH, 4, 2)])
PUBKEY = _header([(rpm.TAG_NAME, 6, "gpg-pubkey"), (rpm.TAG_VERSION, 6, "18b8e74c")])


def _db(tmp_path: Path, blobs: list[bytes], wal: bool = False) -> bytes:
    path = tmp_path / "rpmdb.sqlite"
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
    conn.executemany("INSERT INTO Packages (blob) VALUES (?)", [(b,) for b in blobs])
    conn.commit()
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize("wal", [False, True])
def test_sqlite_db(tmp_path: Path, wal: bool) -> None:
    result = rpm.parse_sqlite(_db(tmp_path, [BASH, TZDATA, PUBKEY], wal=wal))
    assert result.warnings == ()
    bash, tzdata = result.packages
    assert (bash.name, bash.version, bash.arch, bash.installed_size) == (
        "bash", "5.2.15-5.fc39", "x86_64", 8_123_456)
    assert bash.files == ("usr/bin/bash", "usr/bin/sh", "etc/bashrc")
    assert tzdata.version == "2:2024a-1"


def test_bad_header_is_a_warning(tmp_path: Path) -> None:
    truncated = BASH[:40]
    lying = struct.pack(">II", 1, 1000) + struct.pack(">iiii", 1000, 6, 0, 1) + b"x"
    result = rpm.parse_sqlite(_db(tmp_path, [BASH, truncated, lying, b""]))
    assert [p.name for p in result.packages] == ["bash"]
    assert len(result.warnings) == 3
    assert all(w.startswith("var/lib/rpm/rpmdb.sqlite: header ") for w in result.warnings)


@pytest.mark.parametrize("data", [b"", b"not sqlite", b"SQLite format 3\0" + b"\xff" * 200])
def test_not_a_database(data: bytes) -> None:
    result = rpm.parse_sqlite(data)
    assert result.packages == ()
    assert len(result.warnings) == 1


def test_sqlite_without_packages_table(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    result = rpm.parse_sqlite(path.read_bytes())
    assert "no such table" in result.warnings[0]


def test_berkeley_db_is_reported_unsupported() -> None:
    analysis = analyze([Entry("var/lib/rpm/Packages", size=1 << 20)], {})
    expected = ("var/lib/rpm/Packages: rpm berkeley db database is not supported "
                "(only rpmdb.sqlite): rpm packages not listed")
    assert analysis.warnings == (expected,)


def test_rpm_packages_through_analyze(tmp_path: Path) -> None:
    db = _db(tmp_path, [BASH])
    entries = [Entry("var/lib/rpm/rpmdb.sqlite", size=len(db)),
               Entry("usr/bin/bash", size=1000, mode=0o755), Entry("etc/bashrc", size=50)]
    analysis = analyze(entries, {"var/lib/rpm/rpmdb.sqlite": db})
    (bash,) = analysis.packages
    assert bash.bytes == 1050 and bash.layers == (0,)


SPEC = """\
Name: hello-fs
Version: 1.2.3
Release: 4
Epoch: 1
Summary: finalstage test package
License: MIT
BuildArch: noarch
%description
test
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/hello
echo '#!/bin/sh' > %{buildroot}/usr/bin/hello-fs
echo 'x=1' > %{buildroot}/etc/hello/hello.conf
%files
/usr/bin/hello-fs
/etc/hello/hello.conf
"""


def test_real_rpmdb_matches_rpm_query(tmp_path: Path) -> None:
    """A database written by the real rpm (rpmbuild + rpm -i --justdb) read back by us and by
    ``rpm -qa``/``rpm -ql``."""
    import shutil
    import subprocess

    if shutil.which("rpm") is None or shutil.which("rpmbuild") is None:
        pytest.skip("rpm/rpmbuild are not installed (Debian package 'rpm')")
    (tmp_path / "hello.spec").write_text(SPEC)
    subprocess.run(["rpmbuild", "-bb", "--define", f"_topdir {tmp_path / 'top'}",
                    str(tmp_path / "hello.spec")], check=True, capture_output=True, timeout=300)
    (package_file,) = (tmp_path / "top" / "RPMS" / "noarch").glob("*.rpm")
    db = tmp_path / "db"
    db.mkdir()
    subprocess.run(["rpm", "--initdb", "--dbpath", str(db)], check=True, timeout=60)
    subprocess.run(["rpm", "-i", "--justdb", "--nodeps", "--noscripts", "--dbpath", str(db),
                    str(package_file)], check=True, capture_output=True, timeout=60)
    query = subprocess.run(
        ["rpm", "-qa", "--dbpath", str(db), "--qf", ("%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} "
                                                  "%{ARCH} %{SIZE}\n")], check=True, capture_output=True, timeout=60).stdout.decode()
    files = subprocess.run(["rpm", "-ql", "--dbpath", str(db), "hello-fs"], check=True,
                           capture_output=True, timeout=60).stdout.decode().split()
    result = rpm.parse_sqlite((db / "rpmdb.sqlite").read_bytes())
    assert result.warnings == ()
    ours = [f"{p.name} {p.version} {p.arch} {p.installed_size}" for p in result.packages]
    assert ours == query.splitlines()
    assert sorted(result.packages[0].files) == sorted(f.lstrip("/") for f in files)
