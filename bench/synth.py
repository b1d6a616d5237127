"""Write synthetic docker-archives for the scaling series: N entries spread over L layers.

    python bench/synth.py OUT.tar ENTRIES LAYERS [FILE_BYTES]

Each layer is an uncompressed tar of small regular files (FILE_BYTES each, default 1, so every
entry has data to skip; the scaling guard's byte series makes them larger) in a directory tree 3 levels deep; the archive has the `docker save` layout
(manifest.json, config with diff_ids). Headers are written by hand: tarfile is too slow for 1M.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile


def _header(name: bytes, size: int, typeflag: bytes = b"0", mode: int = 0o644) -> bytes:
    h = bytearray(512)
    h[0 : len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"14000000000\0"
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:155] = b"%06o\0" % sum(h)
    return bytes(h)


def write_layer(path: str, layer: int, count: int, size: int = 1) -> str:
    """Write one layer tar with ``count`` entries; return its sha256 hex digest."""
    sha = hashlib.sha256()
    with open(path, "wb", buffering=1 << 20) as out:

        def emit(b: bytes) -> None:
            sha.update(b)
            out.write(b)

        dirs = set()
        size = max(1, size)
        # Not all zeros, not compressible to nothing: the bytes a hashing reader must really hash.
        data = (os.urandom(4096) * (size // 4096 + 1))[:size] + b"\0" * ((-size) % 512)
        for i in range(count):
            d = f"l{layer}/d{i // 10000}/e{(i // 100) % 100}".encode()
            if d not in dirs:
                for k in range(1, 4):
                    part = b"/".join(d.split(b"/")[:k]) + b"/"
                    if part not in dirs:
                        dirs.add(part)
                        emit(_header(part, 0, b"5", 0o755))
                dirs.add(d)
            emit(_header(d + b"/f%d" % i, size))
            emit(data)
        emit(b"\0" * 1024)
    return sha.hexdigest()


def main() -> None:
    out, entries, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    tmp = out + ".d"
    os.makedirs(tmp, exist_ok=True)
    per = max(1, entries // layers)
    names, diff_ids = [], []
    for layer in range(layers):
        name = f"{layer:03d}/layer.tar"
        os.makedirs(os.path.join(tmp, f"{layer:03d}"), exist_ok=True)
        diff_ids.append("sha256:" + write_layer(os.path.join(tmp, name), layer, per, size))
        names.append(name)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/true"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"synthetic layer {i}"} for i in range(layers)],
        }
    ).encode()
    cfg_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps(
        [{"Config": cfg_name, "RepoTags": [f"synth:{entries}x{layers}"], "Layers": names}]
    ).encode()
    with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as tf:
        for blob_name, blob in ((cfg_name, config), ("manifest.json", manifest)):
            info = tarfile.TarInfo(blob_name)
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
        for name in names:
            tf.add(os.path.join(tmp, name), arcname=name)
    for name in names:
        os.remove(os.path.join(tmp, name))
        os.rmdir(os.path.join(tmp, os.path.dirname(name)))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
