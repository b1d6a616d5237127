"""The closure's bookkeeping: kept paths with their reasons, and the work still to do.

A path is kept once, with the first reason that reached it: ``Reason(why, via)`` where ``via``
is the kept path it was reached from, so every kept path has a chain back to a root of the
config (``CMD``, ``ENTRYPOINT``, ``USER``…). Keeping a path keeps every symlink crossed to reach
it and its parent directories; keeping a regular ELF file schedules its loader dependencies
(``loader.py``). The language handlers add work with ``later``.
"""

from __future__ import annotations

import posixpath
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from finalstage.image.tarheader import DIR, HARDLINK, REG, SYMLINK
from finalstage.slimming.elfdeps import ElfDeps
from finalstage.slimming.fsview import TreeView, norm
from finalstage.slimming.model import DynamicSite

MAX_CHAIN = 24


@dataclass(frozen=True)
class Reason:
    why: str
    via: str | None = None


def show(path: str) -> str:
    """A tree path as users see it (absolute)."""
    return "/" + path


class Closure:
    """Kept paths, reasons, warnings and a work queue over one image's merged tree."""

    def __init__(self, view: TreeView, captured: Mapping[str, object],
                 env: Mapping[str, str], workdir: str) -> None:
        self.view = view
        self.captured = captured
        self.env = dict(env)
        self.workdir = norm(workdir or "/")
        self.kept: dict[str, Reason] = {}
        self.dropped: dict[str, str] = {}      # notable drops, for --explain
        self.warnings: list[str] = []
        self.sites: list[DynamicSite] = []
        self._todo: deque[Callable[[], None]] = deque()
        self.on_elf: Callable[[str, ElfDeps], None] | None = None
        self.done: set[str] = set()            # one-off tasks already scheduled (by key)

    # -- work ---------------------------------------------------------------------------
    def later(self, task: Callable[[], None]) -> None:
        self._todo.append(task)

    def once(self, key: str) -> bool:
        """True the first time ``key`` is seen (for tasks that must run at most once)."""
        if key in self.done:
            return False
        self.done.add(key)
        return True

    def run(self) -> None:
        while self._todo:
            self._todo.popleft()()

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # -- keeping --------------------------------------------------------------------------
    def keep(self, path: str, why: str, via: str | None = None) -> str | None:
        """Keep ``path`` (absolute or tree form) and every symlink on the way; return the real
        path it names, or None when the image has no such path."""
        requested = norm(path)
        found = self.view.resolve(requested)
        for link in found.links:
            self._add(link, f"symlink on the way to {show(requested)} ({why})", via)
        if found.path is None:
            return None
        self._add(found.path, why, via)
        return found.path

    def keep_tree(self, path: str, why: str, via: str | None = None,
                  skip: Callable[[str], str | None] | None = None) -> int:
        """Keep ``path`` and everything under it (``skip(path)`` returns a reason to leave an
        entry and its subtree out). Returns the number of entries kept."""
        real = self.keep(path, why, via)
        if real is None:
            return 0
        count = 0
        stack = [real]
        while stack:
            current = stack.pop()
            for name in self.view.children(current):
                child = f"{current}/{name}" if current else name
                reason = skip(child) if skip is not None else None
                if reason is not None:
                    self.dropped.setdefault(child, reason)
                    continue
                self._add(child, why, via)
                count += 1
                if self.view.is_dir(child):
                    stack.append(child)
        return count

    def keep_dir(self, path: str, why: str, via: str | None = None) -> str | None:
        """Keep a directory itself (not its contents)."""
        return self.keep(path, why, via)

    def _add(self, path: str, why: str, via: str | None) -> None:
        if path in self.kept or not path:
            return
        self.kept[path] = Reason(why, via)
        parent = posixpath.dirname(path)
        while parent and parent not in self.kept:
            self.kept[parent] = Reason(f"parent directory of {show(path)}", path)
            parent = posixpath.dirname(parent)
        entry = self.view.get(path)
        if entry is None:
            return
        if entry.kind == HARDLINK and entry.link:
            self._add(entry.link, f"hard link target of {show(path)}", path)
        elif entry.kind == REG:
            value = self.captured.get(path)
            if isinstance(value, ElfDeps) and self.on_elf is not None:
                hook = self.on_elf
                self.later(lambda: hook(path, value))

    def is_kept(self, path: str) -> bool:
        return norm(path) in self.kept

    def chain(self, path: str) -> tuple[str, ...]:
        """The reasons from ``path`` back to its root."""
        out: list[str] = []
        current: str | None = path
        seen: set[str] = set()
        while current is not None and current not in seen and len(out) < MAX_CHAIN:
            seen.add(current)
            reason = self.kept.get(current)
            if reason is None:
                break
            out.append(reason.why)
            current = reason.via
        return tuple(out)

    # -- lookups the handlers share -------------------------------------------------------
    def value(self, path: str) -> object:
        """The captured value of the regular file behind ``path`` (None when none)."""
        real = self.view.real_file(path)
        return self.captured.get(real) if real is not None else None

    def files_under(self, path: str) -> Iterable[str]:
        """Regular files and links at or under directory ``path``."""
        for entry in self.view.walk(path):
            if entry.kind in (REG, HARDLINK, SYMLINK):
                yield entry.path

    def is_dir(self, path: str) -> bool:
        entry = self.view.get(path)
        return entry is not None and entry.kind == DIR


__all__ = ["Closure", "Reason", "show"]
