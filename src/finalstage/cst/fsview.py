"""Reading a ``FileSystemView`` as container-structure-test reads a container's filesystem:
symlinks followed inside the image root, Go's permission strings, ``$VAR`` from the image env."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from finalstage.cst.model import FileStat, FileSystemView

_MAX_SYMLINKS = 40
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# Go's FileMode.String() letters in its order: d a l T L D p S u g c t ?
_GO_KIND_LETTER = {"dir": "d", "symlink": "L", "fifo": "p", "block": "D", "char": "Dc"}
_GO_LETTER_ORDER = {"d": 0, "L": 4, "D": 5, "p": 6, "u": 8, "g": 9, "c": 10, "t": 11}


def go_filemode(stat: FileStat) -> str:
    """Go's ``os.FileMode.String()`` of an entry, as container-structure-test compares it."""
    letters = _GO_KIND_LETTER.get(stat.kind, "")
    if stat.mode & 0o4000:
        letters += "u"
    if stat.mode & 0o2000:
        letters += "g"
    if stat.mode & 0o1000:
        letters += "t"
    letters = "".join(sorted(letters, key=lambda c: _GO_LETTER_ORDER[c])) or "-"
    rwx = "".join(c if stat.mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    return letters + rwx


def resolve(fs: FileSystemView, path: str, *,
            follow_last: bool = True) -> tuple[str, FileStat] | None:
    """Follow symlinks (inside the image root) in the components of ``path``; the last one
    too unless ``follow_last`` is False (an ``lstat``)."""
    parts = [p for p in posixpath.normpath("/" + path).split("/") if p]
    current = "/"
    hops = 0
    while parts:
        name = parts.pop(0)
        if name == "..":
            current = posixpath.dirname(current) or "/"
            continue
        candidate = posixpath.join(current, name)
        stat = fs.lstat(candidate)
        if stat is None:
            return None
        if stat.kind == "symlink" and stat.link is not None and (parts or follow_last):
            hops += 1
            if hops > _MAX_SYMLINKS:
                return None
            target = stat.link
            base = "/" if target.startswith("/") else current
            parts = [p for p in target.split("/") if p and p != "."] + parts
            current = base
            continue
        current = candidate
    stat = fs.lstat(current) if current != "/" else FileStat("dir", 0o755, 0, 0)
    return (current, stat) if stat is not None else None


def regular_file(fs: FileSystemView, path: str) -> str | None:
    """The path whose bytes ``path`` reads: symlinks resolved, a hardlink followed to its
    target; None when there is no regular file there."""
    found = resolve(fs, path)
    if found is None:
        return None
    real, stat = found
    if stat.kind == "hardlink" and stat.link:
        return "/" + stat.link.lstrip("/")
    if stat.kind != "file":
        return None
    return real


def read_file(fs: FileSystemView, path: str) -> bytes | None:
    """The bytes of the regular file at ``path`` (see ``regular_file``), or None."""
    real = regular_file(fs, path)
    return fs.read(real) if real is not None else None


def substitute_env(text: str, env: Mapping[str, str]) -> str:
    """``$VAR`` and ``${VAR}`` from the image env (unset → empty, as Go's os.Expand)."""
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


__all__ = ["go_filemode", "read_file", "regular_file", "resolve", "substitute_env"]
