"""ELF facts: our struct reader vs pyelftools on the host's real binaries; Go buildinfo blobs;
malformed input."""

from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.harness.host import host_elf_files

from finalstage.analysis import elf
from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import reduce
from finalstage.analysis.entry import Entry
from finalstage.analysis.capture import Unreadable
from finalstage.analysis.packages import golang


def _peer(path: Path) -> tuple[bool, str | None, int, str]:
    """The same facts computed with pyelftools."""
    with path.open("rb") as handle:
        ef = ELFFile(handle)
        names = [s.name for s in ef.iter_sections()]
        stripped = not (".symtab" in names or any(n.startswith((".debug_", ".zdebug_"))
                                                  for n in names))
        interp = None
        for segment in ef.iter_segments():
            if segment["p_type"] == "PT_INTERP":
                interp = segment.get_interp_name()
        debug = sum(s["sh_size"] for s in ef.iter_sections()
                    if s["sh_type"] != "SHT_NOBITS"
                    and (s.name.startswith((".debug_", ".zdebug_")) or s.name in (".symtab",
                                                                                ".strtab")))
        return stripped, interp, debug, ef["e_type"]


def test_matches_pyelftools_on_host_binaries() -> None:
    paths = host_elf_files(150, 40 << 20)
    if len(paths) < 20:
        pytest.skip("not enough ELF files on this host")
    types = {"ET_EXEC": "exec", "ET_DYN": "dyn", "ET_REL": "rel", "ET_CORE": "core"}
    for path in paths:
        info = elf.parse(path.read_bytes())
        stripped, interp, debug, etype = _peer(path)
        assert (info.is_stripped, info.interpreter, info.debug_bytes, info.elf_type) == (
            stripped, interp, debug, types.get(etype, "other")), path


def _buildinfo_blob(version: str, modinfo: str) -> bytes:
    def varint_string(text: str) -> bytes:
        raw = text.encode()
        length = len(raw)
        out = bytearray()
        while True:
            byte = length & 0x7F
            length >>= 7
            out.append(byte | (0x80 if length else 0))
            if not length:
                return bytes(out) + raw
    sentinel = b"0" * 16
    header = golang.MAGIC + bytes([8, 2]) + b"\0" * 16
    wrapped = sentinel.decode() + modinfo + "\n" + sentinel.decode()[:15] + "x"
    return header + varint_string(version) + varint_string(wrapped)


def test_go_buildinfo_blob() -> None:
    modinfo = ("path\texample.com/app/cmd/app\nmod\texample.com/app\tv1.2.3\th1:abc=\n"
               "dep\tgithub.com/a/b\tv0.1.0\th1:x=\ndep\tgithub.com/c/d\tv1.0.0\n"
               "=>\t../local/d\t(devel)\t\nbuild\tGOOS=linux\nbuild\t-ldflags=-s -w")
    data = b"\0" * 64 + _buildinfo_blob("go1.22.1", modinfo) + b"\0" * 64
    info = golang.parse(data, golang.find(data))
    assert info.go_version == "go1.22.1"
    assert info.path == "example.com/app/cmd/app"
    assert info.main == ("example.com/app", "v1.2.3")
    assert info.deps == (("github.com/a/b", "v0.1.0"), ("../local/d", "(devel)"))
    assert info.settings == (("GOOS", "linux"), ("-ldflags", "-s -w"))
    names = {(p.name, p.version) for p in golang.packages_from(info, "app")}
    assert ("stdlib", "1.22.1") in names and ("example.com/app", "v1.2.3") in names


@pytest.mark.parametrize("data", [
    golang.MAGIC,  # truncated header
    golang.MAGIC + bytes([8, 0]) + b"\0" * 16 + b"\0" * 32,  # old pointer layout
    golang.MAGIC + bytes([8, 2]) + b"\0" * 16 + b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
    golang.MAGIC + bytes([8, 2]) + b"\0" * 16 + b"\x7f",  # string longer than the data
])
def test_go_buildinfo_malformed(data: bytes) -> None:
    with pytest.raises(golang.BuildInfoError):
        golang.parse(data, 0)


def test_truncated_elf_becomes_a_warning() -> None:
    data = Path("/bin/sh").resolve().read_bytes() if Path("/bin/sh").exists() else b""
    if not elf.is_elf(data):
        pytest.skip("no ELF /bin/sh on this host")
    kept = reduce("bin/sh", data[: len(data) // 2])
    assert isinstance(kept, Unreadable)
    analysis = analyze([Entry("bin/sh", size=len(data), mode=0o755)], {"bin/sh": kept})
    assert analysis.warnings == (f"/bin/sh: {kept.reason}",)
    assert kept.reason.startswith("malformed elf: ")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_after_elf_magic_never_crash(tail: bytes) -> None:
    kept = reduce("usr/bin/x", elf.MAGIC + tail)
    assert isinstance(kept, (elf.ElfInfo, Unreadable))


def test_unstripped_debug_bytes_move_to_debug_category(tmp_path: Path) -> None:
    import shutil
    import subprocess

    from finalstage.analysis.categories import Category

    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    (tmp_path / "hello.c").write_text("int main(void) { return 0; }\n")
    subprocess.run(["gcc", "-g", "-o", str(tmp_path / "hello"), str(tmp_path / "hello.c")],
                   check=True, timeout=120)
    subprocess.run(["strip", "-o", str(tmp_path / "hello.stripped"), str(tmp_path / "hello")],
                   check=True, timeout=60)
    data = (tmp_path / "hello").read_bytes()
    stripped = (tmp_path / "hello.stripped").read_bytes()
    info = elf.parse(data)
    assert not info.is_stripped and info.debug_bytes > 0
    assert elf.parse(stripped).is_stripped
    # what strip removed is at least the debug sections we counted (it also drops padding)
    assert len(data) - len(stripped) >= info.debug_bytes
    path = "app/hello"
    analysis = analyze([Entry(path, size=len(data), mode=0o755)], {path: info})
    assert analysis.unstripped[0].path == path
    assert analysis.bytes_of(Category.DEBUG) == info.debug_bytes
    assert analysis.total_bytes == len(data)
