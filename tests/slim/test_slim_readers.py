"""The readers slim's closure rests on, checked against real tools on real files: the ELF reader
against pyelftools on the host's binaries, the ld.so.cache parser against ``ldconfig -p``, the
strace log parser against a real strace run, and the source scanners against ``ast``."""

from __future__ import annotations

import ast
import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from finalstage.slimming.elfdeps import _with_pyelftools, read_elf
from finalstage.slimming.ldcache import cache_lookup, parse_cache
from finalstage.slimming.probe import Probe
from finalstage.slimming.sources import scan_js, scan_python
from finalstage.slimming.trace import SYSCALLS, parse, read_paths, unescape
from finalstage.slimming.verify import READY_MARGIN, slim_probe


def _host_elves(limit: int = 400) -> list[str]:
    out: list[str] = []
    for pattern in ("/usr/bin/*", "/usr/lib/x86_64-linux-gnu/*.so*",
                    "/usr/lib/python3*/lib-dynload/*.so", "/usr/sbin/*"):
        for path in sorted(glob.glob(pattern)):
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    if fh.read(4) == b"\x7fELF":
                        out.append(path)
    return out[:limit]


def test_fast_elf_reader_agrees_with_pyelftools_on_host_binaries() -> None:
    files = _host_elves()
    assert len(files) > 50, "too few ELF files on this host to compare"
    for path in files:
        data = Path(path).read_bytes()
        fast, reference = read_elf(data), _with_pyelftools(data)
        assert fast.error is None, path
        assert (fast.bits, fast.interpreter, fast.needed, fast.rpath, fast.runpath,
                fast.soname) == (reference.bits, reference.interpreter, reference.needed,
                                 reference.rpath, reference.runpath, reference.soname), path
        assert fast.machine == reference.machine, path


def test_malformed_elf_is_an_error_value_not_an_exception() -> None:
    data = Path(_host_elves(1)[0]).read_bytes()
    broken = data[:64] + b"\xff" * 64  # header kept, program headers gone
    result = read_elf(broken)
    assert result.error is not None or result.needed == ()
    assert read_elf(b"\x7fELF" + b"\0" * 10).error is not None


def test_go_marker_and_iconv_flag() -> None:
    go_tools = [p for p in ("/usr/bin/podman", "/usr/bin/skopeo", "/usr/bin/buildah")
                if os.path.exists(p)]
    if go_tools:
        assert read_elf(Path(go_tools[0]).read_bytes()).is_go
    iconv = shutil.which("iconv")
    if iconv:
        assert "iconv" in read_elf(Path(iconv).read_bytes()).flags
    libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
    if os.path.exists(libc):  # libc defines iconv_open: not a user of gconv modules
        assert "iconv" not in read_elf(Path(libc).read_bytes()).flags


@pytest.mark.skipif(not os.path.exists("/etc/ld.so.cache") or not shutil.which("ldconfig"),
                    reason="needs glibc's ld.so.cache and ldconfig")
def test_ld_so_cache_parser_matches_ldconfig() -> None:
    entries = parse_cache(Path("/etc/ld.so.cache").read_bytes())
    listed = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True,
                            check=True).stdout.splitlines()[1:]
    expected = []
    for line in listed:
        if " => " not in line:
            continue
        name, _, rest = line.strip().partition(" (")
        flags, _, path = rest.partition(") => ")
        expected.append((name, path, "x86-64" in flags))
    assert [(n, p) for n, p, _ in expected] == [(n, p) for n, p, _ in entries]
    for name, path, is64 in expected[:200]:
        if is64:
            assert path in cache_lookup(entries, name, "EM_X86_64"), name


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_trace_parser_on_a_real_strace_log(tmp_path: Path) -> None:
    odd = tmp_path / "naïve file"
    odd.write_text("x")
    log = tmp_path / "log"
    script = f"cat /etc/passwd > /dev/null; cat '{odd}' > /dev/null; echo hi > {tmp_path}/new"
    subprocess.run(["strace", "-f", "-qq", "-y", "-s", "4096", "-e", f"trace={SYSCALLS}",
                    "-o", str(log), "--", "/bin/sh", "-c", script], check=True,
                   capture_output=True, cwd=tmp_path)
    accesses = parse(log.read_text(encoding="utf-8", errors="surrogateescape"))
    read = read_paths(accesses)
    cat = shutil.which("cat")
    assert cat is not None
    assert read["etc/passwd"].endswith("/cat")
    assert str(odd).lstrip("/") in read, "an escaped non-ASCII name must round-trip"
    assert f"{str(tmp_path).lstrip('/')}/new" not in read, "a file opened for writing is no read"
    assert any(a.is_exec and a.path.endswith("/cat") for a in accesses)


def test_unescape_octal_and_c_escapes() -> None:
    assert unescape(r"/caf\303\251/a\"b") == '/café/a"b'
    assert unescape("/plain") == "/plain"


PYTHON = b'''\
import os, sys as system
from a.b import (c,  # comment
    d as e)
from . import sibling
from ..pkg.mod import thing
import typing as t
if t.TYPE_CHECKING:
    import only_for_types
try:
    import fast
except ImportError:
    import slow
mod = importlib.import_module(name)
plugin = __import__("literal.plugin")
if __name__ == "__main__":
    import doctest
'''


def test_python_scan() -> None:
    found = scan_python(PYTHON)
    assert set(found.imports) >= {"os", "sys", "a.b", "a.b.c", "a.b.d", ".sibling", "..pkg.mod",
                                  "..pkg.mod.thing", "typing", "fast", "slow", "literal.plugin"}
    assert "only_for_types" not in found.imports
    assert found.main == ("doctest",)
    assert [line for line, _ in found.dynamic] == [13]


def test_python_scan_finds_what_ast_finds_on_the_stdlib() -> None:
    files = sorted(glob.glob("/usr/lib/python3*/*.py"))[:150]
    for path in files:
        data = Path(path).read_bytes()
        try:
            tree = ast.parse(data)
        except SyntaxError:
            continue
        wanted = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                wanted.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                wanted.add(node.module)
        found = scan_python(data)
        missing = wanted - set(found.imports) - set(found.main)
        # imports under TYPE_CHECKING are left out on purpose
        assert not missing or b"TYPE_CHECKING" in data, (path, missing)


def test_js_scan() -> None:
    js = scan_js(b'const a = require("express");\nimport x from "./local.js";\n'
                 b"const p = require(name);\nconst q = await import(`${dir}/x.js`);\n")
    assert set(js.requires) == {"express", "./local.js"}
    assert [line for line, _ in js.dynamic] == [3, 4]


def test_slim_run_waits_for_readiness_no_longer_than_the_source_did() -> None:
    check = Probe("healthcheck", check=("/bin/true",), timeout=120)
    assert slim_probe(check, 3.0).timeout == 2 * 3.0 + READY_MARGIN
    assert slim_probe(check, 500.0).timeout == 120, "never beyond the probe's own timeout"
    http = Probe("http", port=8080, timeout=120)
    assert slim_probe(http, 1.0).timeout == 2 * 1.0 + READY_MARGIN
    cmd = Probe("cmd", args=("-selftest",))
    assert slim_probe(cmd, 1.0) is cmd, "a command runs to its end: no readiness to wait for"
