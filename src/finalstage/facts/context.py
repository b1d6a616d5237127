"""The build context beside a Dockerfile: its ``.dockerignore``, and what the files the final
chain copies from it contain, as far as secrets go.

Read once, where the Dockerfile is loaded (rules never open files). The context directory is
taken to be the Dockerfile's own (``docker build -f dir/Dockerfile dir``); when the Dockerfile
was given as text or standard input, nothing is known (``BuildContext()``).

``.dockerignore`` follows BuildKit: ``<Dockerfile name>.dockerignore`` beside the Dockerfile
wins over ``.dockerignore``; ``#`` comments, ``!`` re-includes, ``*``/``?``/``[…]`` within one
path element, ``**`` across elements, the last matching line decides.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from finalstage.analysis.secrets import confirm_secret, path_secret, scan_tokens
from finalstage.dockerfile.model import Dockerfile

__all__ = ["BuildContext", "IgnoreRule", "load_context", "parse_dockerignore"]

_PEEK_BYTES = 64 * 1024      # enough for a key or a config file's tokens
_MAX_PROBED = 64             # files read per Dockerfile, at most
_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class IgnoreRule:
    pattern: re.Pattern[str]
    negated: bool


@dataclass(frozen=True)
class BuildContext:
    """What is known about the build context (nothing, by default)."""

    directory: str | None = None
    # The .dockerignore lines as rules; None when no ignore file was found (or nothing is known).
    ignore: tuple[IgnoreRule, ...] | None = None
    ignore_file: str | None = None
    # Context-relative source path → secret kinds its content shows (empty: read, none found).
    secrets: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_known(self) -> bool:
        return self.directory is not None

    def excludes(self, path: str) -> bool:
        """True when the ignore file keeps context-relative ``path`` out of the context."""
        if not self.ignore:
            return False
        parts = [p for p in path.strip("/").split("/") if p and p != "."]
        # A path is out when it, or a parent directory of it, is excluded (BuildKit walks down).
        for end in range(1, len(parts) + 1):
            if _matches(self.ignore, "/".join(parts[:end])):
                return True
        return False

    def content_of(self, source: str) -> tuple[str, ...] | None:
        """Secret kinds found in context file ``source`` (None: not read)."""
        return self.secrets.get(_clean(source))


def _matches(rules: tuple[IgnoreRule, ...], path: str) -> bool:
    excluded = False
    for rule in rules:
        if rule.pattern.fullmatch(path):
            excluded = not rule.negated
    return excluded


def _clean(path: str) -> str:
    cleaned = os.path.normpath("/" + path.strip()).lstrip("/")
    return cleaned or "."


def parse_dockerignore(text: str) -> tuple[IgnoreRule, ...]:
    """The rules of a ``.dockerignore`` text."""
    rules: list[IgnoreRule] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = _clean(line[1:].strip() if negated else line)
        if line == ".":
            continue
        rules.append(IgnoreRule(re.compile(_translate(line)), negated))
    return tuple(rules)


def _translate(pattern: str) -> str:
    """A Go ``filepath.Match`` pattern (plus ``**``) as a regular expression."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                out.append("(?:.*/)?")
                i += 1
            else:
                out.append(".*")
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body.startswith("^") else "[" + body + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def load_context(dockerfile_path: str | None, dockerfile: Dockerfile) -> BuildContext:
    """The context of the Dockerfile at ``dockerfile_path`` (its directory)."""
    if not dockerfile_path or dockerfile_path == "-" or not os.path.isfile(dockerfile_path):
        return BuildContext()
    path = Path(dockerfile_path)
    directory = path.parent
    ignore: tuple[IgnoreRule, ...] | None = None
    ignore_file = None
    for candidate in (path.with_name(path.name + ".dockerignore"), directory / ".dockerignore"):
        try:
            text = candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        ignore, ignore_file = parse_dockerignore(text), str(candidate)
        break
    context = BuildContext(str(directory), ignore, ignore_file)
    return BuildContext(context.directory, ignore, ignore_file,
                        _probe(directory, dockerfile, context))


def _probe(directory: Path, dockerfile: Dockerfile, context: BuildContext
           ) -> dict[str, tuple[str, ...]]:
    """Secret kinds in the context files the final chain copies by name (no globs, no ``.``)."""
    out: dict[str, tuple[str, ...]] = {}
    root = directory.resolve()
    for index in dockerfile.chain:
        for instr in dockerfile.stages[index].instructions:
            if instr.keyword not in ("COPY", "ADD") or instr.flag("from") is not None \
                    or instr.heredocs or len(instr.args) < 2:
                continue
            for source in instr.args[:-1]:
                rel = _clean(source)
                if rel in out or rel == "." or _GLOB.search(rel) or "://" in source:
                    continue
                if len(out) >= _MAX_PROBED or context.excludes(rel):
                    continue
                found = _read_kinds(root, rel)
                if found is not None:
                    out[rel] = found
    return out


def _read_kinds(root: Path, rel: str) -> tuple[str, ...] | None:
    """Secret kinds in the file (or the files directly in the directory) ``rel``."""
    target = (root / rel).resolve()
    if root not in target.parents and target != root:
        return None                                   # outside the context: not ours to read
    files = [target] if target.is_file() else (
        sorted(p for p in target.iterdir() if p.is_file())[:_MAX_PROBED]
        if target.is_dir() else [])
    if not files:
        return None
    kinds: set[str] = set()
    for file in files:
        try:
            with file.open("rb") as handle:
                data = handle.read(_PEEK_BYTES)
        except OSError:
            continue
        kinds.update(scan_tokens(data))
        candidate = path_secret(file.relative_to(root).as_posix())
        if candidate is not None and candidate[1]:        # a name whose content decides
            confirmed = confirm_secret(file.name, candidate[0], data)
            if confirmed:
                kinds.add(confirmed)
    return tuple(sorted(kinds))
