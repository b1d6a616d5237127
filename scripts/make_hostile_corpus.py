#!/usr/bin/env python3
"""Write finalstage's crafted corpus of hostile inputs into a directory (never downloaded).

Usage::

    python scripts/make_hostile_corpus.py OUT_DIR [--entries N]

Every sample is made here, byte by byte, deterministically (fixed mtimes, no randomness), so the
same script always writes the same files. Tar headers are written by hand (not with ``tarfile``)
because most samples are headers ``tarfile`` refuses to write: ``../`` names, base-256 sizes,
PAX records claiming gigabytes, bad checksums, truncations in the middle of a header.

``OUT_DIR/corpus.json`` lists every sample::

    {"name": ..., "category": ..., "format": "docker-archive" | "oci" | "oci-archive" |
     "dockerfile" | "policy", "path": "relative/path", "expect": "UnsafeArchiveError" | ... | "ok",
     "note": "what the sample is and why that outcome is right"}

``expect`` is the exact ``finalstage.errors`` class the library must raise (``type(err) is``),
or ``ok`` for inputs that are hostile-looking but legal (a symlink pointing at ``/etc``, a fifo)
and must be listed without anything escaping. A layer-level sample is written in all three
image formats (docker-archive, OCI layout directory, OCI archive) with honest digests, so the
error comes from the content, not from a digest.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

BLOCK = 512
MTIME = 1_700_000_000  # fixed: the corpus must be byte-for-byte reproducible
EOA = b"\0" * (2 * BLOCK)

# ---------------------------------------------------------------------------------------------
# tar, by hand


def _octal(value: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, value)


def header(
    name: bytes | str,
    *,
    size: int = 0,
    typeflag: bytes = b"0",
    linkname: bytes | str = b"",
    mode: int = 0o644,
    prefix: bytes = b"",
    size_field: bytes | None = None,
    devmajor: int = 0,
    devminor: int = 0,
    chksum_delta: int = 0,
    extra: Callable[[bytearray], None] | None = None,
) -> bytes:
    """One 512-byte ustar header; ``size_field`` overrides the 12-byte size field verbatim."""
    if isinstance(name, str):
        name = name.encode("utf-8", "surrogateescape")
    if isinstance(linkname, str):
        linkname = linkname.encode("utf-8", "surrogateescape")
    h = bytearray(BLOCK)
    h[0 : len(name[:100])] = name[:100]
    h[100:108] = _octal(mode, 8)
    h[108:116] = _octal(0, 8)
    h[116:124] = _octal(0, 8)
    h[124:136] = size_field if size_field is not None else _octal(size, 12)
    h[136:148] = _octal(MTIME, 12)
    h[156:157] = typeflag
    h[157 : 157 + len(linkname[:100])] = linkname[:100]
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[265:269] = b"root"
    h[297:301] = b"root"
    h[329:337] = _octal(devmajor, 8)
    h[337:345] = _octal(devminor, 8)
    h[345 : 345 + len(prefix[:155])] = prefix[:155]
    if extra is not None:
        extra(h)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % ((sum(h) + chksum_delta) & 0o777777)
    return bytes(h)


def pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % BLOCK)


def file(name: bytes | str, data: bytes = b"", **kw: object) -> bytes:
    return header(name, size=len(data), **kw) + pad(data)  # type: ignore[arg-type]


def directory(name: str) -> bytes:
    return header(name, typeflag=b"5", mode=0o755)


def symlink(name: str, target: str) -> bytes:
    return header(name, typeflag=b"2", linkname=target, mode=0o777)


def hardlink(name: str, target: str) -> bytes:
    return header(name, typeflag=b"1", linkname=target)


def pax_record(key: str, value: bytes | str) -> bytes:
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    body = key.encode() + b"=" + value + b"\n"
    n = len(body) + 2
    while len(b"%d " % n) + len(body) != n:
        n += 1
    return b"%d " % n + body


def pax(records: bytes, *, typeflag: bytes = b"x", size_field: bytes | None = None) -> bytes:
    return header("./PaxHeaders/x", size=len(records), typeflag=typeflag,
                  size_field=size_field) + pad(records)


def gnu_long(kind: bytes, value: bytes) -> bytes:
    data = value + b"\0"
    return header("././@LongLink", size=len(data), typeflag=kind) + pad(data)


def tar(*members: bytes, eoa: bool = True) -> bytes:
    return b"".join(members) + (EOA if eoa else b"")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def zst(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=3).compress(data)


# ---------------------------------------------------------------------------------------------
# layers and images


NO_DIFF_ID = "-"  # Layer.diff_id marker: write a config without rootfs.diff_ids


@dataclass
class Layer:
    """A stored layer blob and the diff_id to put in the config (None: sha256 of ``stored``)."""

    stored: bytes
    diff_id: str | None = None
    media: str = "application/vnd.oci.image.layer.v1.tar"

    @staticmethod
    def plain(tar_bytes: bytes) -> Layer:
        return Layer(tar_bytes, sha256(tar_bytes))

    @staticmethod
    def gzip(tar_bytes: bytes) -> Layer:
        return Layer(gz(tar_bytes), sha256(tar_bytes), "application/vnd.oci.image.layer.v1.tar+gzip")

    @staticmethod
    def zstd(tar_bytes: bytes) -> Layer:
        return Layer(zst(tar_bytes), sha256(tar_bytes), "application/vnd.oci.image.layer.v1.tar+zstd")


def config_for(layers: list[Layer]) -> bytes:
    doc = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Entrypoint": ["/app"], "User": "1000"},
        "rootfs": {"type": "layers", "diff_ids": [ly.diff_id or sha256(ly.stored) for ly in layers]},
        "history": [{"created_by": f"hostile layer {i}"} for i in range(len(layers))],
    }
    if any(ly.diff_id == NO_DIFF_ID for ly in layers):
        del doc["rootfs"]  # a legacy config: nothing to check the uncompressed tar against
    return json.dumps(doc, sort_keys=True).encode()


@dataclass
class Member:
    """An outer-archive member: a file, a symlink, a hard link or raw header bytes."""

    name: str
    data: bytes = b""
    kind: str = "file"  # file | symlink | hardlink | raw
    target: str = ""

    def encode(self) -> bytes:
        if self.kind == "symlink":
            return symlink(self.name, self.target)
        if self.kind == "hardlink":
            return hardlink(self.name, self.target)
        if self.kind == "raw":
            return self.data
        return file(self.name, self.data)


def docker_archive_members(layers: list[Layer], *, blobs: bool = False,
                           config: bytes | None = None) -> tuple[list[Member], dict]:
    """The members of a ``docker save`` archive and its manifest entry (editable by callers)."""
    cfg = config if config is not None else config_for(layers)
    members: list[Member] = []
    if blobs:  # Docker 25+ layout: content-addressed, so the blob digests are checked too
        names = [f"blobs/sha256/{sha256(ly.stored)[7:]}" for ly in layers]
        cfg_name = f"blobs/sha256/{sha256(cfg)[7:]}"
    else:
        names = [f"{i:02d}/layer.tar" for i in range(len(layers))]
        cfg_name = f"{sha256(cfg)[7:]}.json"
    members.append(Member(cfg_name, cfg))
    seen = set()
    for name, ly in zip(names, layers):
        if name not in seen:
            seen.add(name)
            members.append(Member(name, ly.stored))
    entry = {"Config": cfg_name, "RepoTags": ["hostile:latest"], "Layers": names}
    return members, entry


def write_docker_archive(path: Path, layers: list[Layer], *, blobs: bool = False,
                         edit: Callable[[list[Member], dict], bytes | None] | None = None,
                         config: bytes | None = None) -> None:
    members, entry = docker_archive_members(layers, blobs=blobs, config=config)
    manifest = json.dumps([entry]).encode()
    if edit is not None:
        replaced = edit(members, entry)
        manifest = replaced if replaced is not None else json.dumps([entry]).encode()
    members.append(Member("manifest.json", manifest))
    path.write_bytes(tar(*(m.encode() for m in members)))


def oci_files(layers: list[Layer], *, config: bytes | None = None,
              manifest_edit: Callable[[dict], None] | None = None,
              index_edit: Callable[[dict, bytes], bytes | None] | None = None) -> dict[str, bytes]:
    """path → bytes of an OCI image layout holding one image named ``latest``."""
    cfg = config if config is not None else config_for(layers)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(cfg), "size": len(cfg)},
        "layers": [{"mediaType": ly.media, "digest": sha256(ly.stored), "size": len(ly.stored)}
                   for ly in layers],
    }
    if manifest_edit is not None:
        manifest_edit(manifest)
    raw_manifest = json.dumps(manifest, sort_keys=True).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}
    for blob in (cfg, raw_manifest, *(ly.stored for ly in layers)):
        files[f"blobs/sha256/{sha256(blob)[7:]}"] = blob
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": sha256(raw_manifest), "size": len(raw_manifest),
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }
    raw_index = json.dumps(index, sort_keys=True).encode()
    if index_edit is not None:
        raw_index = index_edit(index, raw_manifest) or json.dumps(index, sort_keys=True).encode()
    files["index.json"] = raw_index
    return files


def write_oci_dir(path: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        p = path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def write_oci_archive(path: Path, files: dict[str, bytes], extra: Iterable[Member] = ()) -> None:
    members = [Member(n, d) for n, d in sorted(files.items())]
    names = {m.name for m in extra}
    members = [m for m in members if m.name not in names] + list(extra)
    path.write_bytes(tar(*(m.encode() for m in members)))


# ---------------------------------------------------------------------------------------------
# the samples


@dataclass
class Corpus:
    root: Path
    entries: list[dict] = field(default_factory=list)

    def add(self, name: str, category: str, fmt: str, rel: str, expect: str, note: str) -> None:
        self.entries.append({"name": name, "category": category, "format": fmt, "path": rel,
                             "expect": expect, "note": note})

    def image(self, name: str, category: str, layers: list[Layer], expect: str | dict[str, str],
              note: str, *, formats: tuple[str, ...] = ("docker-archive", "oci", "oci-archive")) -> None:
        """One layer-level sample in every image format."""
        for fmt in formats:
            want = expect if isinstance(expect, str) else expect[fmt]
            if fmt == "docker-archive":
                rel = f"docker-archive/{name}.tar"
                write_docker_archive(self.root / rel, layers)
            elif fmt == "oci":
                rel = f"oci/{name}"
                write_oci_dir(self.root / rel, oci_files(layers))
            else:
                rel = f"oci-archive/{name}.tar"
                write_oci_archive(self.root / rel, oci_files(layers))
            self.add(name, category, fmt, rel, want, note)


BASE = tar(directory("etc"), file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
           directory("bin"), file("bin/app", b"\x7fELF" + b"\0" * 60, mode=0o755))


def _bomb_gzip(total: int) -> bytes:
    """A gzip stream of one tar file of ``total`` zero bytes, as concatenated members."""
    chunk = 16 << 20
    zeros = gz(b"\0" * chunk)  # ~16 KiB for 16 MiB: ratio ~1000:1
    head = gz(header("zeros", size=total))
    return head + zeros * (total // chunk)


def _bomb_zstd(total: int) -> bytes:
    chunk = 16 << 20
    zeros = zst(b"\0" * chunk)
    return zst(header("zeros", size=total)) + zeros * (total // chunk)


def many_entries_tar(count: int) -> bytes:
    """``count`` empty files with hand-written headers (fast: one template, patched fields)."""
    template = bytearray(header("d/0000000", size=0))
    template[148:156] = b" " * 8
    base_sum = sum(template) - sum(b"0000000")
    out = io.BytesIO()
    out.write(directory("d"))
    for i in range(count):
        name = b"%07d" % (i % 10_000_000)
        h = template[:]
        h[2:9] = name
        h[148:156] = b"%06o\0 " % (base_sum + sum(name))
        out.write(h)
    out.write(EOA)
    return out.getvalue()


def layer_samples(c: Corpus, entries: int) -> None:
    u, cor, ok = "UnsafeArchiveError", "CorruptImageError", "ok"
    P = Layer.plain

    # -- path traversal ---------------------------------------------------------------------
    c.image("traversal_dotdot", "traversal", [P(tar(file("../../../../tmp/finalstage-pwned", b"x")))],
            u, "`../` climbing above the layer root")
    c.image("traversal_inner_dotdot", "traversal", [P(tar(file("a/b/../../../etc/x", b"x")))], u,
            "`..` that climbs above the root only after normalising")
    c.image("traversal_absolute", "traversal", [P(tar(file("/etc/finalstage-abs", b"x")))], ok,
            "absolute names are rooted at the layer root (Docker strips the leading /)")
    c.image("traversal_absolute_dotdot", "traversal", [P(tar(file("/../../etc/x", b"x")))], u,
            "absolute name with `..` above the root")
    c.image("traversal_backslash", "traversal", [P(tar(file("\\..\\..\\windows\\x", b"x")))], u,
            "Windows-style rooted path")
    c.image("traversal_pax_path", "traversal",
            [P(tar(pax(pax_record("path", "../../../etc/cron.d/x")), file("harmless", b"x")))], u,
            "PAX `path` overriding a harmless ustar name with `../`")
    c.image("traversal_gnu_longname", "traversal",
            [P(tar(gnu_long(b"L", b"../" * 60 + b"x"), file("harmless", b"x")))], u,
            "GNU ././@LongLink long name with `../`")
    c.image("traversal_ustar_prefix", "traversal",
            [P(tar(file("x", b"x", prefix=b"../../..")))], u, "`..` in the ustar prefix field")
    c.image("traversal_symlink_then_write", "traversal",
            [P(tar(symlink("evil", "/etc"), file("evil/cron.d/x", b"* * * * * root sh\n"),
                   symlink("up", "../../../../../.."), file("up/tmp/finalstage-pwned", b"x")))], ok,
            "write through a symlink pointing out of the root: nothing is followed, listed only")
    c.image("traversal_hardlink", "traversal", [P(tar(hardlink("h", "../../../etc/passwd")))], u,
            "hard link whose target climbs above the root")
    c.image("traversal_whiteout_outside", "traversal", [P(BASE), P(tar(file("../.wh.etc")))], u,
            "whiteout of a path outside the layer (`../.wh.etc`)")

    # -- links ------------------------------------------------------------------------------
    c.image("symlink_loop", "links",
            [P(tar(symlink("a", "b"), symlink("b", "a"), symlink("self", "self"),
                   directory("d"), symlink("d/loop", "../d/loop"), symlink("d/up", "..")))], ok,
            "symlink loops are just entries to a lister: nothing is resolved")
    c.image("hardlink_missing", "links", [P(tar(file("a", b"x"), hardlink("h", "nothere")))], cor,
            "hard link to a path that exists in no layer (docker load fails on it)")
    c.image("hardlink_absolute_missing", "links", [P(tar(hardlink("h", "/etc/shadow")))], cor,
            "hard link to an absolute path that is not in the image")
    c.image("hardlink_to_later", "links",
            [P(tar(hardlink("h", "later"), file("later", b"data")))], cor,
            "hard link to an entry that only appears later in the same tar")
    c.image("hardlink_cycle", "links", [P(tar(hardlink("a", "b"), hardlink("b", "a")))], cor,
            "hard links pointing at each other")
    c.image("hardlink_to_dir", "links", [P(tar(directory("d"), hardlink("h", "d")))], cor,
            "hard link to a directory (impossible on Linux)")
    c.image("duplicate_entries", "duplicates",
            [P(tar(file("x", b"one"), file("x", b"second!"), directory("x"), file("x/y", b"z"),
                   directory("d"), file("d", b"file over dir")))], ok,
            "the same path several times, changing kind: the last one wins, like tar")

    # -- whiteouts --------------------------------------------------------------------------
    c.image("whiteout_root", "whiteouts", [P(BASE), P(tar(file(".wh.")))], u,
            "a whiteout whose target is the root itself (`.wh.` + empty name)")
    c.image("whiteout_dotdot", "whiteouts", [P(BASE), P(tar(directory("etc"), file("etc/.wh...")))], u,
            "a whiteout of `..` (the parent of its own directory)")
    c.image("whiteout_opaque_root", "whiteouts", [P(BASE), P(tar(file(".wh..wh..opq")))], ok,
            "an opaque marker at the root: legal, hides every lower entry")

    # -- special files ----------------------------------------------------------------------
    c.image("devices_fifos", "special",
            [P(tar(directory("dev"), header("dev/null", typeflag=b"3", devmajor=1, devminor=3),
                   header("dev/sda", typeflag=b"4", devmajor=8, devminor=0),
                   header("dev/fifo", typeflag=b"6"),
                   header("dev/unknown", typeflag=b"Z", size=3) + pad(b"abc")))], ok,
            "char/block devices, a fifo, an unknown type flag: listed, never opened")

    # -- names ------------------------------------------------------------------------------
    names = [
        b"esc-\x1b[31mred\x1b[0m",
        b"title-\x1b]0;pwned\x07",
        b"clear-\x1b[2J\x1b[H",
        b"newline-\nforged line",
        b"cr-\roverwrite",
        b"bell-\x07",
        b"del-\x7f",
        b"invalid-utf8-\xff\xfe",
        b"c1-csi-\xc2\x9b31m",
        "bidi-\u202etxt.exe".encode(),
        "linesep-\u2028x".encode(),
    ]
    members = [directory("names")] + [file(b"names/" + n, b"x") for n in names]
    members.append(pax(pax_record("path", b"names/pax-\x1b[41mbg")) + file("placeholder", b"x"))
    c.image("control_names", "names", [P(tar(*members))], ok,
            "terminal escape sequences, newlines, C1 controls, bidi overrides, invalid UTF-8")
    deep = "/".join(["d"] * 4000) + "/leaf"
    c.image("deep_long_path", "names", [P(tar(pax(pax_record("path", deep)) + file("x", b"x")))], u,
            f"a path {len(deep)} bytes long, 4001 components deep (PAX): past Limits.max_path_length")

    # -- absurd headers ---------------------------------------------------------------------
    c.image("pax_size_huge", "headers",
            [P(tar(pax(pax_record("size", "10737418240")), file("big", b"tiny")))], cor,
            "PAX `size` claiming 10 GiB for a file whose data is not there")
    c.image("pax_header_huge", "headers",
            [P(tar(pax(b"", size_field=_octal(5 << 30, 12))))], u,
            "a PAX header member claiming 5 GiB of records")
    c.image("pax_record_length_absurd", "headers",
            [P(tar(pax(b"99999999999999999999 path=x\n"), file("x", b"x")))], cor,
            "a PAX record whose length field is 10^20")
    c.image("pax_uid_invalid", "headers", [P(tar(pax(pax_record("uid", "abc")), file("x", b"x")))],
            cor, "PAX `uid` that is not a number")
    c.image("pax_mtime_invalid", "headers",
            [P(tar(pax(pax_record("mtime", "nan")), file("x", b"x")))], cor, "PAX `mtime=nan`")
    c.image("pax_mtime_overflow", "headers",
            [P(tar(pax(pax_record("mtime", "1e400")), file("x", b"x")))], cor, "PAX `mtime=1e400` (inf)")
    c.image("gnu_longname_huge", "headers",
            [P(tar(header("././@LongLink", typeflag=b"L", size_field=_octal(100 << 20, 12))))], u,
            "a GNU long name claiming 100 MiB")
    c.image("base256_size_huge", "headers",
            [P(tar(header("big", size_field=b"\x80" + (1 << 80).to_bytes(11, "big"))))], cor,
            "base-256 size of 2^80 bytes with no data")
    c.image("base256_size_negative", "headers",
            [P(tar(header("neg", size_field=b"\xff" * 11 + b"\xf0")))], cor, "negative base-256 size")
    c.image("size_field_garbage", "headers", [P(tar(header("x", size_field=b"zzzzzzzzzzz\0")))], cor,
            "a size field that is not octal")
    c.image("checksum_bad", "headers", [P(tar(file("a", b"x"), file("b", b"x", chksum_delta=1)))], cor,
            "a header whose checksum does not match")
    c.image("sparse_extension_truncated", "headers",
            [P(header("sparse", typeflag=b"S", extra=lambda h: h.__setitem__(482, 1)))], cor,
            "GNU sparse header announcing extension blocks that never come")

    # -- bombs and compression --------------------------------------------------------------
    fake = "sha256:" + "0" * 64
    bomb = 1 << 30
    c.image("gzip_bomb", "bombs",
            [Layer(_bomb_gzip(bomb), fake, "application/vnd.oci.image.layer.v1.tar+gzip")], u,
            "1 GiB of zeros as ~1 MiB of gzip: the ratio limit must stop it early")
    c.image("zstd_bomb", "bombs",
            [Layer(_bomb_zstd(bomb), fake, "application/vnd.oci.image.layer.v1.tar+zstd")], u,
            "1 GiB of zeros as a few KiB of zstd frames")
    small = tar(file("a", b"hello"))
    c.image("nested_gzip", "bombs", [Layer(gz(gz(small)), sha256(gz(small)),
                                           "application/vnd.oci.image.layer.v1.tar+gzip")], cor,
            "gzip inside gzip: the inner stream is not a tar")
    c.image("nested_zstd_gzip", "bombs", [Layer(zst(gz(small)), sha256(gz(small)),
                                                "application/vnd.oci.image.layer.v1.tar+zstd")], cor,
            "gzip inside zstd")
    c.image("many_entries", "entries", [Layer.gzip(many_entries_tar(entries))], ok,
            f"{entries} tiny entries (hand-written headers), within the default entry limit",
            formats=("docker-archive", "oci"))

    # -- truncations inside a layer ---------------------------------------------------------
    two = tar(file("first", b"A" * 700), file("second", b"B" * 3000))
    first_len = BLOCK + 1024
    c.image("truncated_layer_header", "truncation", [P(two[: first_len + 100])], cor,
            "layer cut in the middle of the second header")
    c.image("truncated_layer_data", "truncation", [P(two[: first_len + BLOCK + 1000])], cor,
            "layer cut in the middle of a file's data")
    c.image("truncated_layer_at_boundary", "truncation", [P(two[:first_len])], cor,
            "layer cut exactly at a header boundary (no end-of-archive marker)")
    gzl = gz(two)
    c.image("truncated_gzip_trailer", "truncation",
            [Layer(gzl[:-8], sha256(two), "application/vnd.oci.image.layer.v1.tar+gzip")], cor,
            "gzip layer without its CRC/size trailer")
    c.image("truncated_gzip_middle", "truncation",
            [Layer(gzl[: len(gzl) // 2], sha256(two), "application/vnd.oci.image.layer.v1.tar+gzip")],
            cor, "gzip layer cut in the middle of the deflate stream")
    zl = zst(two)
    c.image("truncated_zstd", "truncation",
            [Layer(zl[:-4], sha256(two), "application/vnd.oci.image.layer.v1.tar+zstd")], cor,
            "zstd layer cut before the end of its frame")
    c.image("truncated_zstd_no_diffids", "truncation",
            [Layer(zl[: len(zl) // 2], NO_DIFF_ID, "application/vnd.oci.image.layer.v1.tar+zstd")],
            cor, "zstd layer cut in half, in an image whose config has no diff_ids to catch it")
    c.image("gzip_trailing_garbage", "truncation",
            [Layer(gzl + b"GARBAGE", sha256(two), "application/vnd.oci.image.layer.v1.tar+gzip")],
            cor, "bytes after the end of the gzip stream")
    c.image("not_a_tar", "truncation", [P(hashlib.sha512(b"x").digest() * 20)], cor,
            "a layer that is random bytes")


def hostile_config(layers: list[Layer]) -> bytes:
    """A config whose every free-text field carries terminal escape sequences."""
    esc = "\x1b[2J\x1b]0;pwned\x07\x1b[31m\u202e\r\n"
    doc = json.loads(config_for(layers))
    doc["config"] = {
        "User": f"root{esc}", "Entrypoint": [f"/app{esc}"], "Cmd": [f"--flag={esc}"],
        "Env": [f"PATH=/bin{esc}", f"API_TOKEN=hunter2{esc}"], "WorkingDir": f"/w{esc}",
        "Labels": {f"label{esc}": f"value{esc}"}, "ExposedPorts": {f"80/tcp{esc}": {}},
    }
    doc["history"] = [{"created_by": f"RUN echo {esc}", "comment": esc}] * len(layers)
    return json.dumps(doc).encode()


def _tamper(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def docker_archive_samples(c: Corpus) -> None:
    u, cor, dm = "UnsafeArchiveError", "CorruptImageError", "DigestMismatchError"
    good = [Layer.plain(BASE)]

    def da(name: str, category: str, expect: str, note: str, **kw: object) -> None:
        rel = f"docker-archive/{name}.tar"
        write_docker_archive(c.root / rel, kw.pop("layers", good), **kw)  # type: ignore[arg-type]
        c.add(name, category, "docker-archive", rel, expect, note)

    def raw(name: str, category: str, data: bytes, expect: str, note: str) -> None:
        rel = f"docker-archive/{name}.tar"
        (c.root / rel).write_bytes(data)
        c.add(name, category, "docker-archive", rel, expect, note)

    da("da_baseline", "baseline", "ok", "a valid archive (control sample)")
    rel = "docker-archive/da_baseline.tar"
    whole = (c.root / rel).read_bytes()
    raw("da_truncated_outer_header", "truncation", whole[: BLOCK * 2 + 200], cor,
        "outer archive cut inside a header")
    raw("da_truncated_outer_data", "truncation", whole[: len(whole) // 2 + 7], cor,
        "outer archive cut inside a member's data")
    raw("da_truncated_outer_boundary", "truncation", whole[: len(whole) - len(EOA)], cor,
        "outer archive without its end-of-archive marker, cut at a member boundary")
    members, entry = docker_archive_members(good)
    manifest = json.dumps([entry]).encode()
    raw("da_truncated_manifest_json", "truncation",
        tar(*(m.encode() for m in members), file("manifest.json", manifest[: len(manifest) // 2])), cor,
        "manifest.json cut in the middle of the JSON")
    cfg = config_for(good)
    da("da_truncated_config", "truncation", cor, "config JSON cut in half",
       config=cfg[: len(cfg) // 2])
    raw("da_member_size_lie", "truncation",
        tar(*(m.encode() for m in members), header("manifest.json", size=100 << 30)), cor,
        "manifest.json header claiming 100 GiB of data that is not there")

    deep = b"[" * 100_000 + b"]" * 100_000
    da("da_manifest_deep_json", "json", cor, "manifest.json nested 100 000 levels deep",
       edit=lambda m, e: deep)
    da("da_config_deep_json", "json", cor, "config nested 100 000 levels deep",
       config=b'{"config":' * 100_000 + b"{}" + b"}" * 100_000)
    wide = json.dumps([{**entry, "Extra": ["lol"] * 1_000_000}]).encode()
    da("da_manifest_wide_json", "json", "ok", "manifest.json of 7 MB with a million extra strings",
       edit=lambda m, e: wide)
    da("da_manifest_not_list", "json", cor, "manifest.json is an object",
       edit=lambda m, e: b'{"Config": "x"}')

    def set_config(value: str) -> Callable[[list[Member], dict], None]:
        return lambda m, e: e.__setitem__("Config", value)

    da("da_config_traversal", "outside", u, "manifest.json Config `../../../etc/passwd`",
       edit=set_config("../../../etc/passwd"))
    da("da_layer_absolute", "outside", u, "manifest.json Layers entry `/etc/passwd`",
       edit=lambda m, e: e.__setitem__("Layers", ["/etc/passwd"]))

    def symlinked(target: str, name: str = "manifest.json") -> bytes:
        return tar(*(m.encode() for m in members), symlink(name, target))

    raw("da_manifest_symlink_outside", "outside", symlinked("../../../../etc/passwd"), u,
        "manifest.json is a symlink out of the archive")

    def layer_link(kind: str, target: str, extra: Iterable[Member] = ()) -> Callable[..., None]:
        def edit(m: list[Member], e: dict) -> None:
            e["Layers"] = ["l.tar"]
            m.extend([Member("l.tar", kind=kind, target=target), *extra])
        return edit

    da("da_layer_symlink_loop", "links", cor, "layer path l.tar → m.tar → l.tar (symlinks)",
       edit=layer_link("symlink", "m.tar", [Member("m.tar", kind="symlink", target="l.tar")]))
    da("da_layer_symlink_outside", "outside", u, "layer path is a symlink to /../../etc/passwd",
       edit=layer_link("symlink", "../../../etc/passwd"))
    da("da_layer_hardlink_outside", "outside", u, "an outer hard link to ../../etc/passwd",
       edit=layer_link("hardlink", "../../etc/passwd"))
    da("da_missing_layer", "outside", cor, "manifest names a layer the archive does not hold",
       edit=lambda m, e: e.__setitem__("Layers", ["nothere/layer.tar"]))

    da("da_config_control_chars", "names", "ok",
       "escape sequences in config labels, env, user, entrypoint, history and the tag",
       config=hostile_config(good), edit=lambda m, e: e.__setitem__(
           "RepoTags", ["hostile:\x1b[31mred\x1b]0;pwned\x07"]))

    env_cfg = json.loads(config_for(good))
    env_cfg["config"]["Env"] = 1
    da("da_config_env_number", "json", cor, "config Env is a number, not a list of strings",
       config=json.dumps(env_cfg).encode())

    bad_cfg = json.loads(config_for(good))
    bad_cfg["rootfs"]["diff_ids"] = [sha256(b"something else")]
    da("da_diffid_mismatch", "digests", dm, "config diff_id does not match the layer",
       config=json.dumps(bad_cfg).encode())

    def wrong_blob_name(m: list[Member], e: dict) -> None:
        wrong = "blobs/sha256/" + hashlib.sha256(b"other").hexdigest()
        for mem in m:
            if mem.name == e["Layers"][0]:
                mem.name = wrong
        e["Layers"] = [wrong]

    da("da_blob_digest_mismatch", "digests", dm, "content-addressed layer path with the wrong hash",
       blobs=True, edit=wrong_blob_name)
    da("da_config_blob_mismatch", "digests", dm, "content-addressed config path with the wrong hash",
       blobs=True, edit=lambda m, e: _rename(m, e, "Config"))
    da("da_layers_twice", "duplicates", "ok", "the same layer listed twice (legal: empty layers do)",
       layers=[good[0], good[0]])
    da("da_layers_twice_one_diffid", "duplicates", cor,
       "the same layer listed twice but one diff_id in the config",
       edit=lambda m, e: e.__setitem__("Layers", e["Layers"] * 2))

    def duplicate_manifest(m: list[Member], e: dict) -> bytes:
        m.append(Member("manifest.json", json.dumps([e]).encode()))
        return json.dumps([{**e, "Config": "../../etc/passwd"}]).encode()

    da("da_duplicate_manifest", "duplicates", u,
       "two manifest.json members; the last (which points outside) is the one read",
       edit=duplicate_manifest)

    valid = whole
    raw("da_outer_gzip_bomb", "bombs", gz(header("manifest.json", size=1 << 30)) +
        gz(b"\0" * (16 << 20)) * 64, u, "a gzip-wrapped archive that inflates to 1 GiB of zeros")
    raw("da_outer_nested_gzip", "bombs", gz(gz(valid)), cor, "archive gzip-wrapped twice")
    raw("da_empty_file", "truncation", b"", cor, "a zero-byte archive")

    # Legacy (pre-1.10) archives: repositories + v1 json parent chains.
    legacy = [file("repositories", json.dumps({"hostile": {"latest": "aaa"}}).encode()),
              file("aaa/json", json.dumps({"id": "aaa", "parent": "bbb"}).encode()),
              file("aaa/layer.tar", BASE),
              file("bbb/json", json.dumps({"id": "bbb", "parent": "aaa"}).encode()),
              file("bbb/layer.tar", BASE)]
    raw("da_legacy_parent_cycle", "json", tar(*legacy), cor, "v1 parent chain aaa → bbb → aaa")
    legacy_out = [file("repositories", json.dumps({"hostile": {"latest": "aaa"}}).encode()),
                  file("aaa/json", json.dumps({"id": "aaa", "parent": "../../etc"}).encode()),
                  file("aaa/layer.tar", BASE)]
    raw("da_legacy_parent_traversal", "outside", tar(*legacy_out), u, "v1 parent id `../../etc`")


def _rename(m: list[Member], e: dict, key: str) -> None:
    wrong = "blobs/sha256/" + hashlib.sha256(b"other").hexdigest()
    for mem in m:
        if mem.name == e[key]:
            mem.name = wrong
    e[key] = wrong


def oci_samples(c: Corpus) -> None:
    cor, dm, u = "CorruptImageError", "DigestMismatchError", "UnsafeArchiveError"
    good = [Layer.plain(BASE)]

    def both(name: str, category: str, files: dict[str, bytes], expect: str | tuple[str, str],
             note: str, extra: Iterable[Member] = ()) -> None:
        e_dir, e_tar = (expect, expect) if isinstance(expect, str) else expect
        write_oci_dir(c.root / "oci" / name, files)
        c.add(name, category, "oci", f"oci/{name}", e_dir, note)
        write_oci_archive(c.root / "oci-archive" / f"{name}.tar", files, extra)
        c.add(name, category, "oci-archive", f"oci-archive/{name}.tar", e_tar, note)

    both("oci_baseline", "baseline", oci_files(good), "ok", "a valid layout (control sample)")
    both("oci_config_control_chars", "names", oci_files(good, config=hostile_config(good)), "ok",
         "escape sequences in every free-text config field")
    deep = b'{"manifests":' * 50_000 + b"[]" + b"}" * 50_000
    both("oci_index_deep_json", "json", oci_files(good, index_edit=lambda i, m: deep), cor,
         "index.json nested 50 000 levels deep")
    both("oci_index_huge", "json",
         oci_files(good, index_edit=lambda i, m: json.dumps(i).encode() + b" " * (17 << 20)),
         (cor, u),
         "index.json of 17 MiB (over the 16 MiB JSON limit)")

    def digest_of(value: str) -> Callable[[dict, bytes], None]:
        def edit(i: dict, m: bytes) -> None:
            i["manifests"][0]["digest"] = value
        return edit

    both("oci_index_digest_traversal", "outside",
         oci_files(good, index_edit=digest_of("sha256:../../../../etc/passwd")), cor,
         "a descriptor digest that is a path (`sha256:../../../../etc/passwd`)")
    both("oci_index_missing_manifest", "digests",
         oci_files(good, index_edit=digest_of(sha256(b"x"))), cor,
         "index points at a manifest digest whose blob is missing")
    files = oci_files(good)
    man_name = next(n for n, d in files.items() if n.startswith("blobs/") and b'"schemaVersion"' in d and b'"layers"' in d)
    cfg_name = next(n for n, d in files.items() if n.startswith("blobs/") and b'"rootfs"' in d)
    layer_name = f"blobs/sha256/{sha256(BASE)[7:]}"
    for label, name, note in (
        ("oci_manifest_tampered", man_name, "manifest blob altered (one bit)"),
        ("oci_config_tampered", cfg_name, "config blob altered (one bit)"),
    ):
        f = dict(files)
        f[name] = _tamper(f[name])
        both(label, "digests", f, dm, note)
    f = dict(files)
    f[layer_name] = BASE.replace(b"root:x:0:0", b"root:y:0:0")  # still a valid tar
    both("oci_layer_tampered", "digests", f, dm, "layer blob altered, still a valid tar")
    f = dict(files)
    f[man_name] = f[man_name][: len(f[man_name]) // 2]
    both("oci_truncated_manifest_blob", "truncation", f, dm, "manifest blob cut in half")
    both("oci_layers_twice", "duplicates", oci_files([good[0], good[0]]), "ok",
         "the same layer listed twice")

    def size_lie(m: dict) -> None:
        m["layers"][0]["size"] = 10

    both("oci_layer_size_lie", "digests", oci_files(good, manifest_edit=size_lie), cor,
         "layer descriptor size smaller than the blob")

    def nested(depth: int) -> dict[str, bytes]:
        f = oci_files(good)
        idx = json.loads(f["index.json"])
        desc = dict(idx["manifests"][0])
        desc.pop("annotations")
        for _ in range(depth):
            child = json.dumps({"schemaVersion": 2,
                                "mediaType": "application/vnd.oci.image.index.v1+json",
                                "manifests": [desc]}).encode()
            f[f"blobs/sha256/{sha256(child)[7:]}"] = child
            desc = {"mediaType": "application/vnd.oci.image.index.v1+json",
                    "digest": sha256(child), "size": len(child)}
        idx["manifests"] = [{**desc, "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
        f["index.json"] = json.dumps(idx).encode()
        return f

    both("oci_nested_indexes", "json", nested(20), cor, "20 nested indexes (limit: 8)")

    def media_list(m: dict) -> None:
        m["layers"][0]["mediaType"] = ["application/vnd.oci.image.layer.v1.tar"]

    both("oci_media_type_not_string", "json", oci_files(good, manifest_edit=media_list),
         "UnsupportedMediaTypeError",
         "a layer descriptor whose mediaType is a list, not a string")

    def platforms(i: dict, m: bytes) -> bytes:
        desc = {k: v for k, v in i["manifests"][0].items() if k != "annotations"}
        i["manifests"] = [{**desc, "platform": {"os": "linux", "architecture": "arm", "variant": 1}},
                          {**desc, "digest": sha256(b"other"),
                           "platform": {"os": "linux", "architecture": "s390x"}}]
        return json.dumps(i).encode()

    both("oci_platform_variant_number", "json", oci_files(good, index_edit=platforms),
         "ImageNotFoundError", "a platform variant that is a number; no linux/amd64 entry")

    # The oci-archive's index.json is a symlink out of the archive (only a tar can say that).
    extra = [Member("index.json", kind="symlink", target="../../../../etc/passwd")]
    write_oci_archive(c.root / "oci-archive" / "oci_index_symlink_outside.tar", oci_files(good), extra)
    c.add("oci_index_symlink_outside", "outside", "oci-archive",
          "oci-archive/oci_index_symlink_outside.tar", u, "index.json is a symlink out of the archive")

    # Directory-only hazards: blobs that are not regular files.
    outside = c.root / "outside" / "not-this-image.tar"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(tar(file("secret", b"a file outside the layout\n")))
    for label, make, expect, note in (
        ("oci_blob_fifo", lambda p: os.mkfifo(p), cor,
         "the layer blob is a fifo: opening it must not block forever"),
        ("oci_blob_devzero", lambda p: os.symlink("/dev/zero", p), cor,
         "the layer blob is a symlink to /dev/zero: an endless stream must not hang"),
        ("oci_blob_symlink_outside", lambda p: os.symlink(str(outside), p), cor,
         "the layer blob is a symlink to a file outside the layout: size and digest cannot match"),
    ):
        d = c.root / "oci" / label
        write_oci_dir(d, files)
        blob = d / layer_name
        blob.unlink()
        make(str(blob))
        c.add(label, "special", "oci", f"oci/{label}", expect, note)


def dockerfile_samples(c: Corpus) -> None:
    d = c.root / "dockerfile"
    d.mkdir(parents=True, exist_ok=True)

    def add(name: str, text: bytes, expect: str, note: str) -> None:
        (d / name).write_bytes(text)
        c.add(name, "dockerfile", "dockerfile", f"dockerfile/{name}", expect, note)

    stages = ["FROM scratch AS s0\n"] + [f"FROM s{i - 1} AS s{i}\n" for i in range(1, 10_000)]
    add("stages_10000.Dockerfile", "".join(stages).encode(), "ok", "10 000 stages, each FROM the last")
    copy = ["FROM scratch AS s0\nCOPY a /a\n"] + [
        f"FROM scratch AS s{i}\nCOPY --from=s{i - 1} /a /a\n" for i in range(1, 10_000)]
    add("copy_from_chain_10000.Dockerfile", "".join(copy).encode(), "ok",
        "10 000 stages chained by COPY --from")
    add("line_1mb.Dockerfile", b"FROM scratch\nRUN echo " + b"a" * (1 << 20) + b"\n",
        "DockerfileSyntaxError", "one 1 MiB line (BuildKit refuses lines over 64 KiB)")
    add("continuation_1mb.Dockerfile",
        b"FROM scratch\nRUN echo \\\n" + (b"a" * 1000 + b" \\\n") * 1024 + b" end\n", "ok",
        "a 1 MiB instruction made of 1 024 continuation lines")
    add("control_chars.Dockerfile",
        b"FROM scratch\nLABEL x=\"\x1b]0;pwned\x07\x1b[2J\"\nCOPY \x1b[31mred /app\nUSER root\n", "ok",
        "terminal escape sequences inside instructions")
    add("invalid_utf8.Dockerfile", b"FROM scratch\nRUN echo \xff\xfe\xc3\n", "ok",
        "bytes that are not UTF-8")
    add("nul_bytes.Dockerfile", b"FROM scratch\nRUN echo \0\0\0\n", "DockerfileSyntaxError",
        "NUL bytes: a binary file, not a Dockerfile")
    add("huge.Dockerfile", b"FROM scratch\n" + b"RUN true\n" * (1 << 20), "DockerfileError",
        "9 MiB of instructions (over the 8 MiB file limit)")


def policy_samples(c: Corpus) -> None:
    d = c.root / "policy"
    d.mkdir(parents=True, exist_ok=True)

    def add(name: str, text: bytes, expect: str, note: str) -> None:
        (d / name).write_bytes(text)
        c.add(name, "policy", "policy", f"policy/{name}", expect, note)

    add("deep_array.toml", b"[policy]\nmax-size = " + b"[" * 5000 + b"]" * 5000 + b"\n", "UsageError",
        "a TOML array nested 5 000 deep")
    add("deep_tables.toml", b"[policy]\n" + b"x = " + b"{a = " * 3000 + b"1" + b"}" * 3000 + b"\n",
        "UsageError", "an inline table nested 3 000 deep")
    add("binary.toml", hashlib.sha512(b"p").digest() * 10, "UsageError", "random bytes")
    add("size_inf.toml", b'[policy]\nmax-size = "1e400GB"\n', "UsageError", "a size that overflows")
    add("control_key.toml", b'[policy]\n"\\u001b[31mkey" = 1\n', "UsageError",
        "an unknown key holding an escape sequence")


def config_file_samples(c: Corpus) -> None:
    """Files the user names (auth file, baseline, structure tests): still parsed defensively."""
    d = c.root / "config"
    d.mkdir(parents=True, exist_ok=True)

    def add(name: str, fmt: str, text: bytes, expect: str, note: str) -> None:
        (d / name).write_bytes(text)
        c.add(name, "config files", fmt, f"config/{name}", expect, note)

    deep = b"[" * 100_000 + b"]" * 100_000
    add("auth_deep.json", "authfile", b'{"auths": ' + deep + b"}", "UsageError",
        "a registry auth file nested 100 000 deep")
    add("auth_binary.json", "authfile", hashlib.sha512(b"a").digest() * 8, "UsageError",
        "a registry auth file of random bytes")
    add("baseline_deep.json", "baseline", b'{"findings": ' + deep + b"}", "UsageError",
        "a baseline file nested 100 000 deep")
    add("cst_deep.yaml", "cst", b"schemaVersion: 2.0.0\ncommandTests: " + b"[" * 5000 + b"]" * 5000
        + b"\n", "UsageError", "a structure-test YAML nested 5 000 deep")
    add("cst_alias_bomb.yaml", "cst",
        b"schemaVersion: 2.0.0\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + b"".join(b"%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n"
                   % ((bytes([98 + i]), bytes([98 + i])) + (bytes([97 + i]),) * 10)
                   for i in range(8))
        + b"fileExistenceTests: *i\n", "UsageError",
        "a YAML billion-laughs: aliases expanding to 10^9 nodes")


def build(out: Path, entries: int) -> list[dict]:
    for sub in ("docker-archive", "oci", "oci-archive"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    c = Corpus(out)
    layer_samples(c, entries)
    docker_archive_samples(c)
    oci_samples(c)
    dockerfile_samples(c)
    policy_samples(c)
    config_file_samples(c)
    (out / "corpus.json").write_text(json.dumps(c.entries, indent=1))
    return c.entries


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="directory to write into (created)")
    ap.add_argument("--entries", type=int, default=100_000,
                    help="entries in the many_entries sample (default 100000)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if any(args.out.iterdir()):
        print(f"{args.out}: not empty", file=sys.stderr)
        return 2
    entries = build(args.out, args.entries)
    print(f"wrote {len(entries)} samples to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
