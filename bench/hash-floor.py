"""Floor for a verified read of a docker-archive: sha256 over every byte of every layer tar.

    python bench/hash-floor.py IMAGE.tar

Each layer member is hashed with hashlib (OpenSSL, SHA-NI where the CPU has it) by pread into
a 1 MiB buffer, one thread per layer on all cores (the largest layer first), and checked against its name in the manifest, the way the
layers' diff_ids would be. Nothing else is read or parsed: no verifying reader can do less.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor


def hash_window(fd: int, start: int, length: int, size: int = 1 << 20) -> str:
    h = hashlib.sha256()
    buf = memoryview(bytearray(size))
    pos, end = start, start + length
    while pos < end:
        n = os.preadv(fd, [buf[: min(len(buf), end - pos)]], pos)
        if n <= 0:
            break
        h.update(buf[:n])
        pos += n
    return h.hexdigest()


def main() -> int:
    path = sys.argv[1]
    with tarfile.open(path) as tf:
        members = {m.name: m for m in tf.getmembers()}
        manifest = json.load(tf.extractfile("manifest.json"))  # type: ignore[arg-type]
    layers = [members[name] for name in manifest[0]["Layers"]]
    fd = os.open(path, os.O_RDONLY)
    largest_first = sorted(layers, key=lambda m: -m.size)
    with ThreadPoolExecutor(min(len(layers), os.cpu_count() or 1) or 1) as pool:
        done = dict(zip((m.name for m in largest_first),
                        pool.map(lambda m: hash_window(fd, m.offset_data, m.size), largest_first)))
    digests = [done[m.name] for m in layers]
    os.close(fd)
    # skopeo and docker name each layer member after its diff_id: check them as a reader would.
    bad = [m.name for m, d in zip(layers, digests) if os.path.basename(m.name).split(".")[0] not in (d, "layer")]
    print(f"{len(digests)} layers hashed, {len(bad)} not matching their names")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
