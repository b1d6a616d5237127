"""The floor of any Python reader that lists an uncompressed docker-archive: the header floor
(``../shared/bench/header-floor.py``: one pread per header, the size field parsed, data seeked
past) plus the least a listing needs of each entry: its name decoded (ustar prefix, GNU long
names, PAX ``path``) and a record of it (type, mode, size) in one dict per image, where a later
layer's entry replaces an earlier one's. No checksum, no limits, no whiteouts, no
classification, no report.

    python bench/list-floor.py IMAGE.tar     # prints: entries files seconds

finalstage's ``--no-verify`` inspect does this and everything else; the ratio of the two shows
how much of its time is the per-entry work beyond a bare listing.
"""

from __future__ import annotations

import json
import os
import sys
import tarfile
import time


def pax_path(data: bytes) -> str | None:
    """The ``path`` record of a PAX extended header, if any."""
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        length = int(data[pos:space])
        key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        if key == b"path":
            return value.decode("utf-8", "surrogateescape")
        pos += length
    return None


def list_layer(fd: int, base: int, end: int, tree: dict[str, tuple[int, int, int]]) -> int:
    pread, off, n, long_name = os.pread, base, 0, None
    while off + 512 <= end:
        h = pread(fd, 512, off)
        if h[0] == 0:
            break
        sz = h[124:136]
        size = int.from_bytes(sz[1:], "big") if sz[0] & 0x80 else int(sz.rstrip(b"\0 ") or b"0", 8)
        flag = h[156]
        data_off, off = off + 512, off + 512 + ((size + 511) & ~511)
        if flag in (0x78, 0x4C):  # PAX 'x' or GNU 'L': the next entry's name
            data = pread(fd, size, data_off)
            long_name = pax_path(data) if flag == 0x78 else data.rstrip(b"\0").decode(
                "utf-8", "surrogateescape")
            continue
        if flag in (0x67, 0x4B):  # global PAX, GNU long link name
            continue
        name = long_name or h[0:100].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        if long_name is None and h[257:263] == b"ustar\0" and h[345]:
            name = h[345:500].split(b"\0", 1)[0].decode("utf-8", "surrogateescape") + "/" + name
        long_name = None
        tree[name.strip("/")] = (flag, int(h[100:108].rstrip(b"\0 ") or b"0", 8), size)
        n += 1
    return n


def main() -> int:
    t0 = time.perf_counter()
    path = sys.argv[1]
    fd = os.open(path, os.O_RDONLY)
    with tarfile.open(path) as outer:  # the outer archive has few members
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        layers = [outer.getmember(name) for name in manifest[0]["Layers"]]
    tree: dict[str, tuple[int, int, int]] = {}
    entries = sum(list_layer(fd, m.offset_data, m.offset_data + m.size, tree) for m in layers)
    files = sum(1 for flag, _, _ in tree.values() if flag in (0x30, 0))
    print(entries, files, round(time.perf_counter() - t0, 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
