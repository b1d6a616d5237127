#!/usr/bin/env python3
"""Coverage-guided fuzzing (atheris / libFuzzer) of the tar reader and the layer reader.

Not a pytest module (the name does not start with ``test_``): run it directly, for ``make fuzz``::

    .venv/bin/python tests/fuzz/atheris_tar.py -max_total_time=300 -rss_limit_mb=2048 CORPUS_DIR

The first input byte picks the path: 0-3 raw tar through ``iter_tar`` with small limits, 4-7 the
same bytes as a stored layer through ``scan_layer`` (compression sniffing, gzip/zstd/xz,
digests), 8-11 the same as a local file (pread headers, side-thread hashing), 12+ a docker-archive ``manifest.json`` + config through the archive reader. Anything
but success or a ``FinalstageError`` with a one-line message is a finding: atheris stops and
writes the crashing input (``crash-<sha1>``) into the working directory. With no corpus
directory the run starts from a few seed tars. Needs ``pip install atheris``.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tarfile
import tempfile

import atheris
from _fuzz import SMALL, MemSource  # this folder: the script's own sys.path entry

with atheris.instrument_imports():
    from finalstage.errors import FinalstageError
    from finalstage.fs.merge import merged_tree
    from finalstage.image import archive
    from finalstage.image.core import LayerHandle
    from finalstage.image.image import Image
    from finalstage.image.layers import scan_layer
    from finalstage.image.tarstream import iter_tar

_TMP = tempfile.mkdtemp(prefix="finalstage-atheris-")


def _member(name: str, data: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info.tobuf(tarfile.PAX_FORMAT) + data + b"\0" * (-len(data) % 512)


def _one(data: bytes) -> None:
    if not data:
        return
    mode, body = data[0], data[1:]
    if mode < 4:
        list(iter_tar(MemSource(body), context="fuzz", limits=SMALL))
    elif mode < 8:
        handle = LayerHandle(None, None, None, None, lambda: io.BytesIO(body))
        scan_layer(handle, 0, limits=SMALL, verify=bool(mode & 1))
    elif mode < 12:
        # The same bytes as a local file: headers by pread, digest hashed on the side thread.
        path = os.path.join(_TMP, "layer.tar")
        with open(path, "wb") as f:
            f.write(body)
        diff_id = "sha256:" + hashlib.sha256(body).hexdigest() if mode & 1 else None
        handle = LayerHandle(None, None, diff_id, len(body), lambda: open(path, "rb"))
        scan_layer(handle, 0, limits=SMALL, verify=bool(mode & 2))
    else:
        cut = body.find(b"\0")
        manifest, config = (body, b"{}") if cut < 0 else (body[:cut], body[cut + 1 :])
        path = os.path.join(_TMP, "image.tar")
        with open(path, "wb") as f:
            f.write(_member("config.json", config) + _member("layer.tar", b"\0" * 1024)
                    + _member("manifest.json", manifest) + b"\0" * 1024)
        merged_tree(Image(archive.open_core(path)))


def test_one_input(data: bytes) -> None:
    try:
        _one(data)
    except FinalstageError as err:
        text = str(err)
        if not text or "\n" in text:
            raise AssertionError(f"error message is not one line: {text!r}") from err


def _seeds(directory: str) -> None:
    """Write a few seed inputs when the corpus directory is empty."""
    os.makedirs(directory, exist_ok=True)
    if os.listdir(directory):
        return
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name in ("etc/passwd", "usr/" + "x" * 120 + "/f"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tf.addfile(info, io.BytesIO(b"abc"))
        link = tarfile.TarInfo("bin/sh")
        link.type, link.linkname = tarfile.SYMTYPE, "busybox"
        tf.addfile(link)
    seeds = {
        "tar": b"\0" + buf.getvalue(),
        "layer": b"\4" + buf.getvalue(),
        "file-layer": b"\x0b" + buf.getvalue(),
        "manifest": b"\x0c" + b'[{"Config":"config.json","Layers":["layer.tar"]}]\0'
        + b'{"rootfs":{"diff_ids":[]},"config":{"Env":["A=1"]}}',
    }
    for name, blob in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(blob)


def main() -> None:
    dirs = [a for a in sys.argv[1:] if not a.startswith("-")]
    for d in dirs:
        _seeds(d)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
