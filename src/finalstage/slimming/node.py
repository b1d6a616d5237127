"""The node closure: the entry script, the application, and its ``dependencies`` closure.

The application root is the nearest directory above the entry script that holds a
``package.json``. Its files are kept minus tests, sources that do not run (TypeScript), docs and
dev configuration; ``node_modules`` is kept package by package for the ``dependencies`` (and
optional and peer dependencies) of the application and, recursively, of each package, resolved
the way ``require`` resolves them (``node_modules`` of each parent directory, then ``NODE_PATH``
and the global folders). ``devDependencies`` are never followed. Literal ``require``/``import``
specifiers of the application's own files count too; computed ones are dynamic sites.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Sequence

from finalstage.slimming.appfiles import drop_reason
from finalstage.slimming.capture import NodeManifest, Script
from finalstage.slimming.closure import Closure, show
from finalstage.slimming.fsview import norm
from finalstage.slimming.model import DynamicSite
from finalstage.slimming.sources import JsSource

BUILTINS = frozenset({
    "assert", "async_hooks", "buffer", "child_process", "cluster", "console", "constants",
    "crypto", "dgram", "diagnostics_channel", "dns", "domain", "events", "fs", "http", "http2",
    "https", "inspector", "module", "net", "os", "path", "perf_hooks", "process", "punycode",
    "querystring", "readline", "repl", "stream", "string_decoder", "sys", "timers", "tls",
    "trace_events", "tty", "url", "util", "v8", "vm", "wasi", "worker_threads", "zlib", "test",
})
_GLOBAL = ("usr/local/lib/nodejs", "usr/share/nodejs", "usr/lib/nodejs",
           "usr/lib/x86_64-linux-gnu/nodejs", "usr/lib/aarch64-linux-gnu/nodejs",
           "usr/local/lib/node_modules", "usr/lib/node_modules")
_VALUED = frozenset({"-r", "--require", "--import", "--loader", "--experimental-loader",
                     "--env-file", "--input-type", "--title", "--conditions", "-C"})


class Node:
    """Follows node programs."""

    def __init__(self, closure: Closure) -> None:
        self.c = closure

    def run(self, c: Closure, real: str, invoked: str, args: Sequence[str], via: str) -> None:
        preload, script = _parse_args(list(args))
        for spec in preload:
            self.require(spec, c.workdir, f"--require of {show(real)}", via)
        if script is None:
            return
        entry = self._entry(posixpath.join("/" + c.workdir, script))
        if entry is None:
            c.warn(f"node entry script {script!r} not found in the image")
            return
        kept = c.keep(entry, f"entry script run by {show(real)}", via)
        if kept is None:
            return
        root = self._root(posixpath.dirname(entry))
        if root is not None and "/node_modules/" not in f"/{root}/":
            self.app(root, kept)
        elif root is not None:
            self.package(root, f"package of {show(kept)}", kept)
        self._scan(kept, posixpath.dirname(kept), kept)

    def _entry(self, path: str) -> str | None:
        base = norm(path)
        for candidate in (base, f"{base}.js", f"{base}.cjs", f"{base}.mjs",
                          f"{base}/index.js"):
            real = self.c.view.resolve(candidate).path
            if real is not None and self.c.view.real_file(real) is not None:
                return candidate
        return None

    def _root(self, directory: str) -> str | None:
        current = norm(directory)
        while True:
            if self.c.view.exists(f"{current}/package.json" if current else "package.json"):
                return current
            if not current:
                return None
            current = posixpath.dirname(current)

    def app(self, root: str, via: str) -> None:
        """The application's own files, then its dependencies."""
        if not self.c.once(f"node-app:{root}"):
            return
        if not root:  # a package.json at the image root: never keep the whole image
            self.c.keep("package.json", f"package manifest of {show(via)}", via)
            self._dependencies(root, "application", via)
            return

        def skip(path: str) -> str | None:
            if path == f"{root}/node_modules":
                return "node_modules: kept package by package (dependencies only)"
            return drop_reason(path, root)

        self.c.keep_tree(root, f"application files of {show(via)}", via, skip)
        for file in list(self.c.files_under(root)):
            if "/node_modules/" not in f"/{file}" and self.c.is_kept(file):
                self._scan(file, posixpath.dirname(file), file)
        self._dependencies(root, "application", via)

    def package(self, directory: str, why: str, via: str) -> None:
        """A package of ``node_modules`` (its nested ``node_modules`` left to resolution)."""
        if not self.c.once(f"node-pkg:{directory}"):
            return

        def skip(path: str) -> str | None:
            if path == f"{directory}/node_modules":
                return "nested node_modules: kept package by package"
            return drop_reason(path, directory)

        self.c.keep_tree(directory, why, via, skip)
        self._dependencies(directory, posixpath.basename(directory), f"{directory}/package.json")

    def _dependencies(self, directory: str, who: str, via: str) -> None:
        manifest = self.c.value(f"{directory}/package.json")
        if not isinstance(manifest, NodeManifest):
            return
        name = manifest.name or who
        for dep in manifest.dependencies:
            self.c.later(functools.partial(self.require, dep, directory,
                                           f"dependency of {name}", via))
        for dep in (*manifest.optional, *manifest.peer):
            self.c.later(functools.partial(self.require, dep, directory,
                                           f"optional or peer dependency of {name}", via,
                                           quiet=True))

    def require(self, spec: str, start: str, why: str, via: str, quiet: bool = False) -> None:
        """Resolve a package specifier from directory ``start`` and keep the package."""
        if spec.startswith("node:") or spec.split("/")[0] in BUILTINS:
            return
        if spec.startswith((".", "/")):
            entry = self._entry(posixpath.join("/" + start, spec))
            if entry is not None:
                self.c.keep(entry, why, via)
            return
        name = "/".join(spec.split("/")[:2]) if spec.startswith("@") else spec.split("/")[0]
        found = self._resolve(name, start)
        if found is None:
            if not quiet:
                self.c.warn(f"node package {name!r} ({why}) not found from {show(start)}")
            return
        self.package(found, why, via)

    def _resolve(self, name: str, start: str) -> str | None:
        current = norm(start)
        while True:
            if not current.endswith("node_modules"):
                candidate = f"{current}/node_modules/{name}" if current else \
                    f"node_modules/{name}"
                if self.c.view.exists(f"{candidate}/package.json") or \
                        self.c.view.exists(f"{candidate}/index.js"):
                    return self.c.view.resolve(candidate).path
            if not current:
                break
            current = posixpath.dirname(current)
        for directory in [*self.c.env.get("NODE_PATH", "").split(":"), *_GLOBAL]:
            if directory and self.c.view.exists(f"{norm(directory)}/{name}"):
                return self.c.view.resolve(f"{norm(directory)}/{name}").path
        return None

    def _scan(self, file: str, directory: str, via: str) -> None:
        value = self.c.value(file)
        if isinstance(value, Script):
            value = JsSource(value.imports, value.dynamic)
        if not isinstance(value, JsSource):
            return
        for spec in value.requires:
            if not spec.startswith((".", "/")):
                self.require(spec, directory, f"required by {show(file)}", via, quiet=True)
        for line, text in value.dynamic:
            self.c.sites.append(DynamicSite(show(file), line, text, "node"))


def _parse_args(args: list[str]) -> tuple[list[str], str | None]:
    """(--require modules, the script) from node's options."""
    preload: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-e", "--eval", "-p", "--print"):
            return preload, None
        if arg in _VALUED:
            if arg in ("-r", "--require", "--import") and i + 1 < len(args):
                preload.append(args[i + 1])
            i += 2
            continue
        if arg == "--":
            return preload, args[i + 1] if i + 1 < len(args) else None
        if not arg.startswith("-"):
            return preload, arg
        i += 1
    return preload, None


__all__ = ["BUILTINS", "Node"]
