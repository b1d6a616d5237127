"""rpm: the sqlite database (``rpmdb.sqlite``) read with the stdlib, headers decoded by hand.

Each row of the ``Packages`` table holds one header blob: two big-endian uint32 (index count,
data length), 16-byte index entries (tag, type, offset, count), then the data store. Only a few
tags are needed. The old Berkeley DB ``Packages`` file and the ``Packages.db`` ndb format are not
read; they produce a clear warning instead.
"""

from __future__ import annotations

import sqlite3
import struct

from finalstage.analysis.packages.model import Ecosystem, Package, ParseResult

SQLITE_PATHS = ("var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite")
UNSUPPORTED_PATHS = {
    "var/lib/rpm/Packages": "berkeley db",
    "usr/lib/sysimage/rpm/Packages": "berkeley db",
    "var/lib/rpm/Packages.db": "ndb",
    "usr/lib/sysimage/rpm/Packages.db": "ndb",
}

TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH = 1000, 1001, 1002, 1003
TAG_SIZE, TAG_ARCH, TAG_LONGSIZE = 1009, 1022, 5009
TAG_DIRINDEXES, TAG_BASENAMES, TAG_DIRNAMES = 1116, 1117, 1118
_INT_TYPES = {3: ">h", 4: ">i", 5: ">q"}  # INT16, INT32, INT64
_STRING, _STRING_ARRAY, _I18NSTRING = 6, 8, 9
_MAX_ENTRIES = 1 << 16
_WANTED = {TAG_NAME, TAG_VERSION, TAG_RELEASE, TAG_EPOCH, TAG_SIZE, TAG_ARCH, TAG_LONGSIZE,
           TAG_DIRINDEXES, TAG_BASENAMES, TAG_DIRNAMES}


class HeaderError(ValueError):
    """A header blob that does not follow the format."""


def parse_header(blob: bytes) -> dict[int, object]:
    """Decode the wanted tags of one header blob: int tags → list[int], strings → str/list[str]."""
    if len(blob) < 8:
        raise HeaderError("header shorter than 8 bytes")
    count, length = struct.unpack_from(">II", blob, 0)
    start = 8 + 16 * count
    if count > _MAX_ENTRIES or start + length > len(blob):
        raise HeaderError(f"index of {count} entries and {length} data bytes exceeds the blob")
    store = blob[start:start + length]
    out: dict[int, object] = {}
    for i in range(count):
        tag, kind, offset, n = struct.unpack_from(">iiii", blob, 8 + 16 * i)
        if tag not in _WANTED:
            continue
        if offset < 0 or offset > length or n < 0:
            raise HeaderError(f"tag {tag}: offset {offset} outside the data store")
        if kind in (_STRING, _I18NSTRING):
            out[tag] = _strings(store, offset, 1)[0]
        elif kind == _STRING_ARRAY:
            out[tag] = _strings(store, offset, n)
        elif kind in _INT_TYPES:
            fmt = _INT_TYPES[kind]
            size = struct.calcsize(fmt)
            if offset + size * n > length:
                raise HeaderError(f"tag {tag}: {n} integers run past the data store")
            out[tag] = [struct.unpack_from(fmt, store, offset + size * j)[0] for j in range(n)]
    return out


def _strings(store: bytes, offset: int, n: int) -> list[str]:
    out = []
    for _ in range(n):
        end = store.find(b"\0", offset)
        if end < 0:
            raise HeaderError("unterminated string in the data store")
        out.append(store[offset:end].decode("utf-8", errors="replace"))
        offset = end + 1
    return out


def package_from_header(tags: dict[int, object], location: str) -> Package | None:
    """A Package from decoded tags (None for the gpg-pubkey pseudo-packages and nameless ones)."""
    name = tags.get(TAG_NAME)
    if not isinstance(name, str) or not name or name == "gpg-pubkey":
        return None
    version = f"{tags.get(TAG_VERSION, '')}-{tags.get(TAG_RELEASE, '')}".strip("-")
    epoch = tags.get(TAG_EPOCH)
    if isinstance(epoch, list) and epoch and epoch[0]:
        version = f"{epoch[0]}:{version}"
    size = tags.get(TAG_LONGSIZE) or tags.get(TAG_SIZE)
    files: tuple[str, ...] = ()
    basenames, dirnames, indexes = (tags.get(TAG_BASENAMES), tags.get(TAG_DIRNAMES),
                                    tags.get(TAG_DIRINDEXES))
    if isinstance(basenames, list) and isinstance(dirnames, list) and isinstance(indexes, list):
        files = tuple(
            (dirnames[d] + b).strip("/")
            for b, d in zip(basenames, indexes) if 0 <= d < len(dirnames)
        )
    arch = tags.get(TAG_ARCH)
    return Package(
        ecosystem=Ecosystem.RPM, name=name, version=version, location=location,
        installed_size=size[0] if isinstance(size, list) and size else None,
        files=files, arch=arch if isinstance(arch, str) else None,
    )


def parse_sqlite(data: bytes, location: str = SQLITE_PATHS[0]) -> ParseResult:
    """Packages of an ``rpmdb.sqlite`` given as bytes (opened in memory, never written to disk)."""
    if not data.startswith(b"SQLite format 3\0"):
        return ParseResult(warnings=(f"{location}: not an sqlite database: packages not read",))
    if data[18:20] == b"\x02\x02":
        # WAL mode cannot be deserialized; rpm checkpoints on close, so legacy mode reads the same.
        data = data[:18] + b"\x01\x01" + data[20:]
    packages: list[Package] = []
    warnings: list[str] = []
    try:
        conn = sqlite3.connect(":memory:")
        try:
            conn.deserialize(data)
            rows = conn.execute("SELECT hnum, blob FROM Packages").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as err:
        return ParseResult(warnings=(f"{location}: reading rpm database: {err}",))
    for hnum, blob in rows:
        try:
            package = package_from_header(parse_header(bytes(blob)), location)
        except (HeaderError, struct.error, TypeError) as err:
            warnings.append(f"{location}: header {hnum}: {err}")
            continue
        if package is not None:
            packages.append(package)
    return ParseResult(tuple(packages), tuple(warnings))


def unsupported_warning(path: str) -> str | None:
    """The warning for an rpm database format finalstage does not read, or None."""
    kind = UNSUPPORTED_PATHS.get(path)
    if kind is None:
        return None
    return f"{path}: rpm {kind} database is not supported (only rpmdb.sqlite): rpm packages not listed"
