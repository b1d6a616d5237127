"""The GIL convoy a side hash meets: hash the largest layer of a docker-archive alone, then
beside a thread that runs Python without pause (as the tar parse does), for a few GIL switch
intervals and buffer sizes. This is what chose ``localfile.SideHash``'s 8 MiB buffer and the
0.2 ms interval it sets while it runs.

    python bench/gil-convoy.py IMAGE.tar
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import tarfile
import threading
import time
from pathlib import Path


# The hash floor's own loop (bench/hash-floor.py), timed here with other buffer sizes.
_floor_hash = runpy.run_path(str(Path(__file__).with_name("hash-floor.py")))["hash_window"]


def hash_window(fd: int, start: int, length: int, size: int) -> float:
    t0 = time.perf_counter()
    _floor_hash(fd, start, length, size)
    return time.perf_counter() - t0


def busy(stop: threading.Event) -> None:
    table: dict[str, tuple[int, int]] = {}
    i = 0
    while not stop.is_set():
        table[str(i % 50000)] = (i, i + 1)
        i += 1


def main() -> int:
    path = sys.argv[1]
    with tarfile.open(path) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        layer = max((outer.getmember(n) for n in manifest[0]["Layers"]), key=lambda m: m.size)
    fd = os.open(path, os.O_RDONLY)
    print(f"largest layer: {layer.size / 1e6:.0f} MB")
    print("| switch interval | buffer | alone s | beside a busy Python thread s | slowdown |")
    print("|---:|---:|---:|---:|---:|")
    default = sys.getswitchinterval()
    for interval in (default, 0.001, 0.0002):
        for size in (1 << 20, 8 << 20):
            sys.setswitchinterval(interval)
            alone = hash_window(fd, layer.offset_data, layer.size, size)
            stop = threading.Event()
            other = threading.Thread(target=busy, args=(stop,))
            other.start()
            try:
                shared = hash_window(fd, layer.offset_data, layer.size, size)
            finally:
                stop.set()
                other.join()
            print(f"| {interval * 1000:g} ms | {size >> 20} MiB | {alone:.3f} | {shared:.3f} | "
                  f"{shared / alone:.1f}x |")
    sys.setswitchinterval(default)
    return 0


if __name__ == "__main__":
    sys.exit(main())
