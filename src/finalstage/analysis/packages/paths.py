"""Owned paths where the merged tree holds them.

A package database names each file by the path its package put it at. On a merged-/usr system
(Debian 12, Ubuntu 22.04+, Fedora) ``/lib``, ``/bin``, ``/sbin`` and ``/lib64`` are symlinks into
``/usr``, so ``libgcc-s1``'s ``/lib/x86_64-linux-gnu/libgcc_s.so.1`` is stored in the image at
``usr/lib/x86_64-linux-gnu/libgcc_s.so.1``: dpkg does not know about the aliasing, the tree only
knows the real path. ``resolve_files`` rewrites every listed path that is not in the tree as it
is, by resolving its directories through the tree's symlinks (any symlinked directory, not only
the four merged-/usr ones; relative and absolute targets, ``..``; at most ``MAX_HOPS`` links per
directory, like the kernel's limit, so a loop ends). The last component is never followed: a
package that lists a symlink owns the link, not what it points at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from finalstage.analysis.packages.model import Package

MAX_HOPS = 40


def resolve_dir(path: str, links: Mapping[str, str]) -> str | None:
    """``path`` (a directory, no leading ``/``) with every symlink in it followed; None for a
    loop (more than ``MAX_HOPS`` links)."""
    pending = path.split("/")[::-1]
    out: list[str] = []
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
        target = links.get("/".join(out))
        if target is None:
            continue
        hops += 1
        if hops > MAX_HOPS:
            return None
        out.pop()
        if target.startswith("/"):
            out = []
        pending.extend(reversed(target.split("/")))
    return "/".join(out)


def resolver(present: Mapping[str, object] | frozenset[str],
             links: Mapping[str, str]) -> Callable[[str], str]:
    """A function giving each owned path as the tree holds it (itself when it is in
    ``present`` or no symlinked directory leads to it); directories resolved once each."""
    parents: dict[str, str] = {"": ""}

    def resolve(path: str) -> str:
        if path in present:
            return path
        head, _, name = path.rpartition("/")
        real = parents.get(head)
        if real is None:
            found = resolve_dir(head, links)
            real = parents[head] = head if found is None else found
        if real == head:
            return path
        return f"{real}/{name}" if real else name

    return resolve


def resolve_files(packages: Iterable[Package], present: Mapping[str, object],
                  links: Mapping[str, str]) -> list[Package]:
    """``packages`` with their file lists as the tree holds them (see the module doc)."""
    if not links:
        return list(packages)
    resolve = resolver(present, links)
    out = []
    for package in packages:
        files = package.files
        # C-level: iterates the file list, looking each path up in ``present``
        absent = set(files).difference(present) if files else ()
        moved = {f: real for f in absent if (real := resolve(f)) != f}
        if moved:
            package = replace(package, files=tuple(moved.get(f, f) for f in files))
        out.append(package)
    return out
