"""The persistent store of a fleet scan: layer summaries and image verdicts, in one SQLite file.

Keys are content: a layer summary by the layer's digest and the analysis that made it
(``layer_key``), an image verdict by the image's config and layers and the policy it was
judged under (``verdict_key``). Each result is committed as it arrives, so a scan that is
interrupted resumes with every layer it finished. Only the scan's own process writes (workers
hand results back), and a second scan on the same file waits on SQLite's lock. A damaged file
is a miss, never an error: the scan starts over with a fresh one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from finalstage._version import __version__

FILE_NAME = "scan-v1.sqlite"
FORMAT = "scan-v1"


def layer_key(layer: str, analysis: str) -> str:
    """The store key of a layer summary: the layer digest and the analysis tag."""
    return _hash(FORMAT, __version__, analysis, layer)


def verdict_key(config_digest: str, blobs: Iterable[str], policy: str, analysis: str) -> str:
    """The store key of an image verdict: config, layer blobs (its compressed size depends on
    them), policy fingerprint, analysis tag."""
    return _hash(FORMAT, __version__, analysis, policy, config_digest, *blobs)


def _hash(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


class ScanStore:
    """Layer summaries and image verdicts as JSON documents under their keys."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / FILE_NAME
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=60)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS layers (key TEXT PRIMARY KEY, doc TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, doc TEXT)")
            db.commit()
        except sqlite3.DatabaseError:
            self._reset()
            return None
        except OSError:
            return None
        self._db = db
        return db

    def _reset(self) -> None:
        """A damaged file: remove it (and its WAL) so the next connection starts empty."""
        for suffix in ("", "-wal", "-shm"):
            try:
                Path(str(self.path) + suffix).unlink()
            except OSError:
                pass

    def get(self, table: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The documents stored under ``keys`` (missing keys are absent)."""
        db = self._connect()
        wanted = list(dict.fromkeys(keys))
        out: dict[str, dict[str, Any]] = {}
        if db is None or not wanted:
            return out
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT key, doc FROM {_table(table)} WHERE key IN ({marks})",
                                  chunk)
                for key, doc in rows:
                    try:
                        out[key] = json.loads(doc)
                    except ValueError:
                        continue
        except sqlite3.DatabaseError:
            return out
        return out

    def put(self, table: str, key: str, doc: dict[str, Any]) -> None:
        """Store ``doc`` under ``key`` and commit at once (a later interruption keeps it)."""
        db = self._connect()
        if db is None:
            return
        try:
            db.execute(f"INSERT OR REPLACE INTO {_table(table)} (key, doc) VALUES (?, ?)",
                       (key, json.dumps(doc, sort_keys=True)))
            db.commit()
        except sqlite3.DatabaseError:
            return

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _table(name: str) -> str:
    if name not in ("layers", "verdicts"):
        raise ValueError(f"unknown table {name!r}")
    return name


__all__ = ["FILE_NAME", "ScanStore", "layer_key", "verdict_key"]
