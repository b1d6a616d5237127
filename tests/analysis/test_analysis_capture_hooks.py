"""The layer reader's capture hooks: the C-level pre-filter lets through every file ``wants``
wants, ELF files are read in pieces by the real tar reader and give the same facts as the whole
file, reduced values survive the layer cache, and executables outside bin directories are found
end to end in a real built image."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.harness.host import host_elf_files

from finalstage.analysis import capture, elf
from finalstage.analysis.capture import ALL, Unreadable, capture_hooks, wants
from finalstage.analysis.packages import python
from finalstage.analysis.secrets import TRIGGER_NAMES, TRIGGER_SUFFIXES
from finalstage.image.tarstream import More, iter_tar

# Path pieces that exercise every branch of wants(): package databases, manifests, secrets,
# config suffixes, bin directories, shared libraries, and plain noise.
_DIRS = ["", "usr/bin/", "usr/local/bin/", "bin/", "sbin/", "usr/libexec/x/", "app/",
         "app/node_modules/express/", "app/node_modules/@s/n/lib/", "var/lib/dpkg/",
         "var/lib/dpkg/info/", "var/lib/dpkg/status.d/", "lib/apk/db/", "var/lib/rpm/",
         "usr/lib/python3/dist-packages/six-1.16.0.dist-info/", "root/.ssh/", "home/u/.aws/",
         "etc/", "usr/share/doc/x/", "opt/app/META-INF/maven/g/a/", "requirements/",
         "usr/lib/x86_64-linux-gnu/", "srv/bin.d/", "x/sbin2/"]
_NAMES = sorted({*capture._PACKAGE_NAMES, *TRIGGER_NAMES, *python.DEV_REQUIREMENT_FILES,
                 "status", "libc6:amd64.list", "libc6.md5sums", "x.json", "x.yaml", "X.JSON",
                 "x.conf", "x.sh", "x.py", "x.js", "libssl.so", "libssl.so.3", "x.so.1.2",
                 "server", "README", "id_rsa.pub", ".env.local", "requirements.txt", "reqs.in",
                 "pom.properties", "x.pem", "X.PEM", "x.key", *(f"k{s}" for s in TRIGGER_SUFFIXES),
                 *(f"c{s}" for s in capture.CONFIG_SUFFIXES), "noext", "a.b.c"})


@pytest.mark.parametrize("with_elf", [False, True])
@settings(max_examples=400, deadline=None)
@given(directory=st.sampled_from(_DIRS), name=st.sampled_from(_NAMES),
       size=st.sampled_from([1, 700, 70_000, 300_000, 10 << 20, capture.CAP_ELF + 1]),
       mode=st.sampled_from([0o644, 0o600, 0o755, 0o4755, 0o100]))
def test_prefilter_lets_through_everything_wanted(with_elf: bool, directory: str, name: str,
                                                  size: int, mode: int) -> None:
    want, _ = capture_hooks(with_elf)
    path = directory + name
    passes = bool(mode & want.modes or want.match(path))  # type: ignore[attr-defined]
    if want(path, size, mode) or wants(path, size, mode, elf=with_elf):
        assert passes, (path, oct(mode))


def test_hook_asks_what_wants_asks_and_only_a_head_of_binaries() -> None:
    want, _ = capture_hooks(True)
    assert want("var/lib/dpkg/status", 2_000_000, 0o644) == 2_000_000
    assert want("root/.ssh/id_rsa", 3_000, 0o600) == capture.SECRET_HEAD
    assert want("app/server", 30_000_000, 0o755) == capture.ELF_HEAD  # wants() says ALL
    assert wants("app/server", 30_000_000, 0o755) == ALL
    assert want("usr/lib/x86_64-linux-gnu/libz.so.1", 100_000, 0o644) == capture.ELF_HEAD
    assert want("app/static/logo.png", 50_000, 0o644) == 0
    off, _ = capture_hooks(False)
    assert off("app/server", 30_000_000, 0o755) == 0


class _Source:
    """A ByteSource over bytes that counts what the reader took (not skipped)."""

    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, n: int) -> bytes:
        out = self.stream.read(n)
        self.read_bytes += len(out)
        return out

    def skip(self, n: int) -> int:
        before = self.stream.tell()
        self.stream.seek(0, io.SEEK_END)
        end = self.stream.tell()
        self.stream.seek(min(before + n, end))
        return self.stream.tell() - before


def test_pieces_read_by_the_real_reader_give_the_whole_file_facts() -> None:
    """Host binaries in a tar written by Python's tarfile: the reader's forward-only pieces
    (head, then ranges asked through More) give exactly what parsing the whole file gives."""
    paths = host_elf_files(80, 60 << 20)
    if len(paths) < 10:
        pytest.skip("not enough ELF files on this host")
    buf = io.BytesIO()
    whole: dict[str, bytes] = {}
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for i, path in enumerate(paths):
            data = path.read_bytes()
            name = f"app/{i}/{path.name}"  # outside bin dirs: found by mode alone
            whole[name] = data
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
    source = _Source(buf.getvalue())
    want, keep = capture_hooks(True)
    captured: dict[str, object] = {}
    entries = list(iter_tar(source, context="test", want=want, keep=keep, captured=captured,
                            chunk=64 << 10, adaptive=True))
    assert len(entries) == len(paths)
    for name, data in whole.items():
        assert captured[name] == elf.parse(data), name
    total = sum(len(d) for d in whole.values())
    assert source.read_bytes < total / 4, (source.read_bytes, total)  # pieces, not files


def test_a_keep_hook_that_always_asks_for_more_is_cut_off() -> None:
    """A hook that never stops asking (or asks backwards, or past the end) cannot hang or
    derail the reader: after MAX_MORE requests nothing is kept and the next entry reads."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        for name, data in (("a/x", b"x" * 5000), ("a/y", b"y" * 10)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    calls = []

    def greedy(data: bytes) -> object:
        calls.append(len(data))
        return More(-5 if len(calls) % 2 else 10**9, 100, greedy)

    def want(path: str, size: int, mode: int) -> int:
        return 16

    captured: dict[str, object] = {}
    entries = list(iter_tar(_Source(buf.getvalue()), context="test", want=want,
                            keep=lambda path, data: greedy(data), captured=captured))
    assert [e.path for e in entries] == ["a/x", "a/y"]
    assert captured == {}
    assert len(calls) <= 2 * (1 + 16)


def _go_elf() -> bytes:
    """A minimal 64-bit ELF laid out like Go's linker does: a Go note, a writable data segment
    that starts with the build info, the section table at the end."""
    import struct

    version, modinfo = b"go1.22.1", (b"0" * 16 + b"path\texample.com/app\nmod\texample.com/app"
                                     b"\t(devel)\t\ndep\tgolang.org/x/net\tv0.20.0\th1:x=\n"
                                     + b"1" * 16)

    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    note = struct.pack("<III", 4, 8, 4) + b"Go\0\0" + b"buildid!"
    data_off = 0x2000
    blob = (b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16 + varint(len(version)) + version
            + varint(len(modinfo)) + modinfo)
    body = bytearray(0x3000)
    body[0x200:0x200 + len(note)] = note
    body[data_off:data_off + len(blob)] = blob
    names = b"\0.go.buildinfo\0.shstrtab\0.symtab\0"
    shstr_off = len(body)
    body += names
    shoff = len(body)
    phdrs = [struct.pack("<IIQQQQQQ", 4, 4, 0x200, 0, 0, len(note), len(note), 4),
             struct.pack("<IIQQQQQQ", 1, 6, data_off, 0, 0, 0x1000, 0x1000, 0x1000)]
    sections = [bytes(64),
                struct.pack("<IIQQQQIIQQ", 1, 1, 3, 0, data_off, len(blob), 0, 0, 16, 0),
                struct.pack("<IIQQQQIIQQ", 15, 3, 0, 0, shstr_off, len(names), 0, 0, 1, 0),
                struct.pack("<IIQQQQIIQQ", 25, 2, 0, 0, 0x2800, 0x100, 0, 0, 8, 24)]
    body += b"".join(sections)
    header = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
              + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 64, shoff, 0, 64, 56, len(phdrs), 64,
                            len(sections), 2))
    body[0:64] = header
    body[64:64 + 56 * len(phdrs)] = b"".join(phdrs)
    return bytes(body)


def _staged(data: bytes) -> object:
    """What the keep hook makes of ``data`` when the reader serves its More requests."""
    _, keep = capture_hooks(True)
    value = keep("app/server", data[:capture.ELF_HEAD])
    pos = capture.ELF_HEAD
    while isinstance(value, More):
        start = max(value.offset, pos)
        chunk = data[start:start + value.length]
        pos = start + len(chunk)
        value = value.then(chunk)
    return value


def test_go_build_info_read_in_pieces() -> None:
    data = _go_elf()
    whole = elf.parse(data)
    assert whole.go is not None and whole.go.deps == (("golang.org/x/net", "v0.20.0"),)
    assert not whole.is_stripped and whole.debug_bytes == 0x100
    assert _staged(data) == whole


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=0x3000))
def test_garbage_in_pieces_never_raises(tail: bytes, cut: int) -> None:
    data = _go_elf()
    mangled = data[:cut] + tail + data[cut + len(tail):]
    value = _staged(mangled)
    if mangled[:4] == elf.MAGIC:
        assert isinstance(value, (elf.ElfInfo, Unreadable))
    else:  # no longer ELF: kept like any other captured file (here: nothing of interest)
        assert value is None or isinstance(value, bytes)


def test_reduced_values_survive_the_layer_cache(tmp_path: Path) -> None:
    from finalstage.fs.cache import LayerCache, to_cached
    from finalstage.image.tarheader import RawEntry

    info = elf.parse(_go_elf())
    captured = {"app/server": info, "app/bad": Unreadable("malformed elf: x"),
                "var/lib/dpkg/status": b"Package: x\n"}
    entry = RawEntry("app/server", "f", 0o755, 0, 0, 10, 0, None, 0, 0)
    cache = LayerCache(tmp_path)
    key = cache.key("sha256:" + "1" * 64, None, "t")
    assert key is not None
    cache.put(key, to_cached("tar", 10, 10, [entry], captured))
    hit = cache.get(key)
    assert hit is not None and hit.captured == captured


@pytest.mark.engine
@pytest.mark.timeout(2400)
def test_executable_outside_bin_dirs_found_in_a_built_image(
        built_image: Callable[[str, str], object]) -> None:
    """The fat Go example builds /app/server with plain ``go build``: with ELF facts it is read
    as an unstripped Go binary with its build info, though /app is no bin directory."""
    from finalstage.analysis.from_image import analyze_image
    from finalstage.image.open import open_image

    built = built_image("go", "fat")
    analysis = analyze_image(open_image(f"docker-archive:{built.docker_archive}"), elf=True)  # type: ignore[attr-defined]
    server = {f.path: f for f in analysis.elf_files}.get("app/server")
    assert server is not None
    assert not server.info.is_stripped and server.info.debug_bytes > 0
    assert server.info.go is not None and server.info.go.path
    assert any(p.ecosystem == "golang" and p.location == "app/server" for p in analysis.packages)
    off = analyze_image(open_image(f"docker-archive:{built.docker_archive}"), elf=False)  # type: ignore[attr-defined]
    assert off.elf_files == ()
