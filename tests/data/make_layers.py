"""Build tiny layer tars and images for edge-case tests (imported by tests/image and tests/fs).

Everything is generated at test time with ``tarfile``/``gzip`` or by patching raw header bytes,
so the repository holds no binary fixtures; README.md in this folder lists what each builder
makes and why.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class F:
    """One member for ``layer()``: kind f(ile) d(ir) l(symlink) h(ardlink) c(har) p(fifo)."""

    name: str
    data: bytes = b""
    kind: str = "f"
    mode: int = 0o644
    link: str = ""
    uid: int = 0
    gid: int = 0


def layer(members: Iterable[F], *, fmt: int = tarfile.PAX_FORMAT, encoding: str = "utf-8") -> bytes:
    """An uncompressed layer tar holding ``members`` in order."""
    buf = io.BytesIO()
    with tarfile.open(
        fileobj=buf, mode="w", format=fmt, encoding=encoding, errors="surrogateescape"
    ) as tf:
        for m in members:
            ti = tarfile.TarInfo(m.name)
            ti.mode = m.mode
            ti.uid, ti.gid = m.uid, m.gid
            ti.mtime = 1_700_000_000
            if m.kind == "f":
                ti.size = len(m.data)
                tf.addfile(ti, io.BytesIO(m.data))
                continue
            ti.type = {
                "d": tarfile.DIRTYPE,
                "l": tarfile.SYMTYPE,
                "h": tarfile.LNKTYPE,
                "c": tarfile.CHRTYPE,
                "b": tarfile.BLKTYPE,
                "p": tarfile.FIFOTYPE,
            }[m.kind]
            ti.linkname = m.link
            if m.kind in "cb":
                ti.devmajor, ti.devminor = 1, 3
            tf.addfile(ti)
    return buf.getvalue()


def gz(data: bytes, level: int = 6) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def fix_checksum(header: bytearray) -> bytearray:
    """Recompute a 512-byte tar header's checksum after patching it."""
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    return header


def raw_header(
    name: str, size: int, typeflag: bytes = b"0", *, size_field: bytes | None = None
) -> bytes:
    """A hand-made ustar header (for absurd sizes and base-256 fields tarfile will not write)."""
    h = bytearray(512)
    h[0 : len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field if size_field is not None else b"%011o\0" % size
    h[136:148] = b"00000000000\0"
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    return bytes(fix_checksum(h))


def config(
    diff_ids: Sequence[str],
    *,
    history: Sequence[str] | None = None,
    env: Sequence[str] = (),
    extra: dict | None = None,
) -> bytes:
    doc = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Env": list(env), "Cmd": ["/bin/sh"], "User": "1000"},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [
            {"created_by": h} for h in (history or [f"layer {i}" for i in range(len(diff_ids))])
        ],
    }
    if extra:
        doc.update(extra)
    return json.dumps(doc).encode()


def docker_archive(
    path: str,
    layers: Sequence[bytes],
    *,
    tag: str = "test:latest",
    manifest_layers: Sequence[str] | None = None,
    cfg: bytes | None = None,
    diff_ids: Sequence[str] | None = None,
    gzip_layers: bool = False,
) -> str:
    """Write a ``docker save``-style archive with the given layer tars; returns ``path``."""
    stored = [gz(x) if gzip_layers else x for x in layers]
    ids = list(diff_ids) if diff_ids is not None else [sha(x) for x in layers]
    cfg = cfg if cfg is not None else config(ids)
    names = [f"{sha(s)[7:]}/layer.tar" for s in stored]
    manifest = [
        {
            "Config": sha(cfg)[7:] + ".json",
            "RepoTags": [tag],
            "Layers": list(manifest_layers) if manifest_layers is not None else names,
        }
    ]
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:

        def add(name: str, data: bytes) -> None:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))

        for name, data in zip(names, stored):
            add(name, data)
        add(sha(cfg)[7:] + ".json", cfg)
        add("manifest.json", json.dumps(manifest).encode())
    return path


def oci_layout(
    root: str,
    layers: Sequence[bytes],
    *,
    layer_media_type: str | None = None,
    config_media_type: str = "application/vnd.oci.image.config.v1+json",
    ref: str | None = "latest",
    skip_blobs: Sequence[int] = (),
    cfg: bytes | None = None,
) -> str:
    """Write an OCI layout dir (gzip layers unless told otherwise); returns ``root``."""
    blobs = os.path.join(root, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data: bytes) -> str:
        d = sha(data)
        with open(os.path.join(blobs, d[7:]), "wb") as f:
            f.write(data)
        return d

    diff_ids = [sha(x) for x in layers]
    cfg = cfg if cfg is not None else config(diff_ids)
    descs = []
    for i, x in enumerate(layers):
        blob = gz(x)
        d = sha(blob)
        if i not in skip_blobs:
            put(blob)
        descs.append(
            {
                "mediaType": layer_media_type or "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": d,
                "size": len(blob),
            }
        )
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": config_media_type, "digest": put(cfg), "size": len(cfg)},
            "layers": descs,
        }
    ).encode()
    mdesc = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": put(manifest),
        "size": len(manifest),
    }
    if ref:
        mdesc["annotations"] = {"org.opencontainers.image.ref.name": ref}
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [mdesc]}, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    return root
