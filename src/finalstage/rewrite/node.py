"""What a Node app's ``package.json`` says it runs, so ``fix`` copies only that.

``npm start`` runs ``scripts.start`` (npm's default is ``node server.js``). When that script is
a plain ``node FILE [ARGS]``, the runtime stage can run it directly — npm is a build tool, and
it does not forward SIGTERM to the app — and needs only ``package.json``, the production
``node_modules`` and the files the package declares (``files``), or else the entry's top
directory. Anything less certain (a shell script, ``ts-node``, a missing entry) gives None and
the rewrite keeps its marked TODO.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Characters that need a shell: such a command cannot be run (or written) as exec-form words.
SHELLY = re.compile(r"[$`|&;<>(){}*?\\\"'#!]")
_NPM_START = re.compile(r"^npm\s+(start|run\s+start|run-script\s+start)$")


@dataclass(frozen=True)
class NodeApp:
    """The entry point and the paths (relative to the app directory) the runtime needs."""

    start: tuple[str, ...]        # ("node", "src/server.js", ...): what `npm start` runs
    paths: tuple[str, ...]        # package.json, the declared files or the entry's directory


def is_npm_start(command: str) -> bool:
    """Whether a CMD/ENTRYPOINT ``command`` (its words joined) is ``npm start``."""
    return _NPM_START.match(" ".join(command.split())) is not None


def read_node_app(context: Path | None) -> NodeApp | None:
    """The app described by ``context/package.json``, or None when it is not plain enough."""
    if context is None:
        return None
    try:
        manifest = json.loads((context / "package.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    scripts = manifest.get("scripts")
    start = scripts.get("start") if isinstance(scripts, dict) else None
    if start is None:
        start = "node server.js"  # npm's own default for `npm start`
    if not isinstance(start, str) or SHELLY.search(start):
        return None
    words = tuple(start.split())
    entry = next((w for w in words[1:] if not w.startswith("-")), None)
    if len(words) < 2 or words[0] != "node" or entry is None:
        return None
    entry_path = PurePosixPath(entry)
    if entry_path.is_absolute() or ".." in entry_path.parts:
        return None
    return NodeApp(words, ("package.json", *_declared(manifest, entry_path)))


def _declared(manifest: dict[str, object], entry: PurePosixPath) -> tuple[str, ...]:
    """``files`` when it lists plain relative paths, else the entry's top directory (or the
    entry itself when it sits at the top)."""
    files = manifest.get("files")
    if isinstance(files, list) and files and all(
            isinstance(f, str) and f and not SHELLY.search(f) and not f.startswith(("/", "."))
            for f in files):
        declared = tuple(f.rstrip("/") for f in files)
        covered = any(entry.parts[:len(PurePosixPath(f).parts)] == PurePosixPath(f).parts
                      for f in declared)
        return declared if covered else (*declared, entry.parts[0])
    return (entry.parts[0],)


__all__ = ["SHELLY", "NodeApp", "is_npm_start", "read_node_app"]
