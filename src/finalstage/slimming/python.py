"""The Python closure: interpreter, start-up modules, the import graph, distributions.

The stdlib and the application are kept module by module, following the static import graph
(``sources.scan_python``); a module found in a site directory keeps its whole distribution (as
``RECORD`` lists it, minus tests and headers) and the distributions its ``Requires-Dist`` names.
Development-only distributions (pytest and the like) are never kept. Byte-code caches are kept
only for modules that are kept. Imports by a computed name are reported as dynamic sites.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Sequence

from finalstage.analysis.categories import Category
from finalstage.analysis.classify import classify_path, python_package_category
from finalstage.analysis.packages.python import normalize_name
from finalstage.image.tarheader import DIR
from finalstage.slimming.capture import Script
from finalstage.slimming.closure import Closure, show
from finalstage.slimming.fsview import norm
from finalstage.slimming.loader import Loader
from finalstage.slimming.model import DynamicSite
from finalstage.slimming.pyruntime import Dist, PyRuntime, runtime
from finalstage.slimming.runtime import keep_app_dir
from finalstage.slimming.sources import PySource, scan_python

# What CPython imports before the first line of a program runs (3.8-3.13), and what a few
# stdlib C modules import from C (invisible to a source scan).
STARTUP = ("site", "sitecustomize", "usercustomize", "encodings", "encodings.aliases",
           "encodings.utf_8", "encodings.latin_1", "encodings.ascii", "codecs", "io", "abc",
           "os", "stat", "posixpath", "genericpath", "_collections_abc", "_sitebuiltins",
           "warnings", "linecache", "traceback")
C_IMPORTS = {
    "_pickle": ("copyreg", "_compat_pickle", "functools"),
    "_datetime": ("time", "_strptime"), "time": ("_strptime",), "datetime": ("_strptime",),
    "_decimal": ("collections", "numbers", "contextvars"),
    "_elementtree": ("xml.etree.ElementPath", "copy"), "_ctypes": ("ctypes",),
    "_ssl": ("ssl",), "_json": ("json.decoder",), "_asyncio": ("asyncio",),
    "_socket": ("encodings.idna",), "socket": ("encodings.idna",),
    "zoneinfo": ("tzdata",), "_sqlite3": ("sqlite3",),
}
_EXT_TAGS = ("-x86_64-linux-gnu.so", "-aarch64-linux-gnu.so", "-x86_64-linux-musl.so",
             "-aarch64-linux-musl.so")
_DROP = frozenset({Category.TESTS, Category.HEADERS, Category.DEV_DEPENDENCY, Category.DEBUG,
                   Category.DOCS})


class Python:
    """Follows Python programs. One instance per closure; runtimes per interpreter."""

    def __init__(self, closure: Closure, loader: Loader | None = None) -> None:
        self.c = closure
        self.loader = loader
        self.runtimes: dict[tuple[str, str], PyRuntime] = {}

    # -- entry point (a Commands handler) ---------------------------------------------------
    def run(self, c: Closure, real: str, invoked: str, args: Sequence[str], via: str) -> None:
        rt = self.runtimes.get((real, invoked))
        if rt is None:
            rt = self.runtimes[(real, invoked)] = runtime(c, real, invoked)
            self._startup(rt, via)
        mode, value = _parse_args(list(args))
        if mode == "m":
            self.module(rt, value, [norm(c.workdir)], f"python -m {value}", via)
        elif mode == "c":
            self._scan(rt, scan_python(value.encode()), "__main__", False, via,
                       [norm(c.workdir)], "<-c>")
        elif mode == "script":
            self._script(rt, value, via)

    def _script(self, rt: PyRuntime, script: str, via: str) -> None:
        path = self.c.keep(posixpath.join("/" + self.c.workdir, script),
                           f"script run by {show(rt.interpreter)}", via)
        if path is None:
            self.c.warn(f"python script {script!r} not found in the image")
            return
        value = self.c.value(path)
        source = PySource(value.imports, value.dynamic) if isinstance(value, Script) else value
        if isinstance(source, PySource):
            home = posixpath.dirname(path)
            main = PySource(source.imports + source.main, source.dynamic)
            self._scan(rt, main, "__main__", False, path, [home], path)
            keep_app_dir(self.c, home, f"directory of the script {show(path)}", path)

    def _startup(self, rt: PyRuntime, via: str) -> None:
        why = f"imported at start-up by {show(rt.interpreter)}"
        if self.loader is not None:  # PEP 538: the C locale is coerced to C.UTF-8
            self.loader.locale("C.UTF-8", via)
        for name in STARTUP:
            self.module(rt, name, [], why, via)
        for site in rt.site_dirs:
            self.c.keep(site, "site directory on sys.path", via)
            for name in self.c.view.children(site):
                if name.endswith(".pth"):
                    self._pth(rt, f"{site}/{name}", via)

    def _pth(self, rt: PyRuntime, path: str, via: str) -> None:
        category = python_package_category(posixpath.basename(path))
        if category is not None:
            self.c.dropped[path] = f"{category.value} (.pth file): dropped on purpose"
            return
        self.c.keep(path, "site .pth file, processed at start-up", via)
        data = self.c.value(path)
        if not isinstance(data, bytes):
            return
        for line in data.decode("utf-8", "replace").splitlines():
            if line.startswith(("import ", "import\t")):
                self._scan(rt, scan_python(line.encode()), "", False, path, [], path)
            elif line.strip() and not line.startswith("#"):
                extra = norm(posixpath.join("/" + posixpath.dirname(path), line.strip()))
                if self.c.is_dir(extra) and extra not in rt.path:
                    rt.path.append(extra)

    # -- modules ----------------------------------------------------------------------------
    def module(self, rt: PyRuntime, name: str, first: list[str], why: str, via: str) -> None:
        """Import ``name`` (and its parent packages) as CPython would find it."""
        parts = name.split(".")
        dirs = first + rt.path
        for i in range(len(parts)):
            found = self._find(parts[i], dirs)
            if not found:
                return
            qualified = ".".join(parts[: i + 1])
            for path, is_pkg in found:
                self._load(rt, qualified, path, is_pkg, why, via)
            dirs = [p for p, is_pkg in found if is_pkg]
            if not dirs:
                return

    def _find(self, name: str, dirs: list[str]) -> list[tuple[str, bool]]:
        """(path, is_package) of module ``name`` in the first of ``dirs`` that has it; every
        directory for a namespace package."""
        spaces: list[tuple[str, bool]] = []
        view = self.c.view
        for directory in dirs:
            base = f"{directory}/{name}" if directory else name
            entry = view.get(view.resolve(base).path or "")
            if entry is not None and entry.kind == DIR:
                init = view.resolve(f"{base}/__init__.py").path
                if init is not None:
                    return [(base, True)]
            if view.exists(f"{base}.py"):
                return [(f"{base}.py", False)]
            ext = self._extension(directory, name)
            if ext is not None:
                return [(ext, False)]
            if entry is not None and entry.kind == DIR:
                spaces.append((base, True))
        return spaces

    def _extension(self, directory: str, name: str) -> str | None:
        for child in self.c.view.children(directory):
            if child.startswith(name + ".") and child.endswith(".so") and (
                    child == f"{name}.so" or child == f"{name}.abi3.so"
                    or (child.startswith(f"{name}.cpython-") and child.endswith(_EXT_TAGS))):
                return f"{directory}/{child}"
        return None

    def _load(self, rt: PyRuntime, qualified: str, path: str, is_pkg: bool, why: str,
              via: str) -> None:
        if not self.c.once(f"py:{rt.interpreter}:{path}"):
            return
        if classify_path(f"{path}/__init__.py" if is_pkg else path) is Category.TESTS:
            self.c.dropped.setdefault(path, f"test module {qualified}: never kept")
            return
        site = next((s for s in rt.site_dirs if path.startswith(s + "/")), None)
        if site is not None:
            top = path[len(site) + 1:].split("/")[0].removesuffix(".py")
            dist = rt.owner.get(path) or rt.top.get((site, top.split(".")[0]))
            if dist is not None and not self.dist(
                    rt, dist, f"distribution of module {qualified} ({why})", via):
                return
        file = f"{path}/__init__.py" if is_pkg else path
        if not self.c.view.exists(file):
            self.c.keep(path, why, via)  # a namespace package: the directory itself
            return
        kept = self.c.keep(file, f"module {qualified} ({why})" if qualified != why else why, via)
        if kept is None:
            return
        self._pyc(rt, file, kept)
        for extra in C_IMPORTS.get(qualified, ()):
            self.module(rt, extra, [], f"imported from C by {qualified}", kept)
        if qualified == "zoneinfo" and self.c.once("zoneinfo"):
            self.c.keep_tree("usr/share/zoneinfo", "time zones read by Python's zoneinfo", kept)
        value = self.c.value(kept)
        if isinstance(value, PySource):
            self._scan(rt, value, qualified, is_pkg, kept, [], kept)

    def _pyc(self, rt: PyRuntime, file: str, via: str) -> None:
        if not file.endswith(".py"):
            return
        directory, name = posixpath.split(file)
        pycache = f"{directory}/__pycache__/{name[:-3]}.{rt.tag}"
        levels = ("",) + ((".opt-1", ".opt-2") if self.c.env.get("PYTHONOPTIMIZE") else ())
        for level in levels:
            if self.c.view.get(f"{pycache}{level}.pyc") is not None:
                self.c.keep(f"{pycache}{level}.pyc", "byte code of a kept module", via)

    def _scan(self, rt: PyRuntime, source: PySource, module: str, is_pkg: bool, via: str,
              first: list[str], where: str) -> None:
        package = module if is_pkg else module.rpartition(".")[0]
        for name in source.imports:
            level = len(name) - len(name.lstrip("."))
            if level:
                base = package.split(".") if package else []
                if level - 1 > len(base):
                    continue
                base = base[: len(base) - (level - 1)] if level > 1 else base
                name = ".".join([*base, name[level:]]).strip(".")
                if not name:
                    continue
            self.module(rt, name, first, f"imported by {show(where)}", via)
        for line, text in source.dynamic:
            if not where.startswith(rt.stdlib + "/"):
                self.c.sites.append(DynamicSite(show(where), line, text, "python"))

    # -- distributions ----------------------------------------------------------------------
    def dist(self, rt: PyRuntime, dist: Dist, why: str, via: str) -> bool:
        """Keep a distribution (minus tests and headers) and what it requires; False for a
        development-only distribution, which is never kept."""
        category = python_package_category(posixpath.basename(dist.meta_dir))
        if category is Category.DEV_DEPENDENCY:
            if self.c.once(f"dist:{rt.interpreter}:{dist.meta_dir}"):
                self.c.dropped[dist.meta_dir] = "development-only distribution: never kept"
                for top in dist.top_level:
                    self.c.dropped[f"{dist.site}/{top}"] = \
                        f"module of development-only distribution {dist.name}: never kept"
                self.c.warn(f"{dist.name} is a development-only distribution and was not "
                            f"kept, though {why}")
            return False
        if not self.c.once(f"dist:{rt.interpreter}:{dist.meta_dir}"):
            return True
        self.c.keep_tree(dist.meta_dir, why, via)
        files = dist.files or tuple(self._egg_files(dist))
        for path in files:
            if path.startswith(dist.meta_dir + "/") or "/__pycache__/" in path:
                continue
            if classify_path(path) in _DROP:
                self.c.dropped.setdefault(path, "test, header or doc file of a distribution")
                continue
            kept = self.c.keep(path, f"file of distribution {dist.name}", dist.meta_dir)
            if kept is not None and kept.endswith(".py"):
                self._pyc(rt, kept, kept)
        for name in dist.requires:
            required = rt.dists.get(normalize_name(name))
            if required is not None:
                self.c.later(functools.partial(self._required, rt, required, dist))
        return True

    def _required(self, rt: PyRuntime, dist: Dist, by: Dist) -> None:
        """A required distribution: kept, and its top-level modules imported (what a
        distribution requires it imports; the import graph then goes on from there)."""
        if self.dist(rt, dist, f"Requires-Dist of {by.name}", by.meta_dir):
            for top in dist.top_level:
                self.module(rt, top, [dist.site], f"top-level module of {dist.name}",
                            dist.meta_dir)

    def _egg_files(self, dist: Dist) -> list[str]:
        out: list[str] = []
        for top in dist.top_level:
            base = f"{dist.site}/{top}"
            if self.c.is_dir(base):
                out.extend(self.c.files_under(base))
            elif self.c.view.exists(f"{base}.py"):
                out.append(f"{base}.py")
        return out


def _parse_args(args: list[str]) -> tuple[str, str]:
    """("m", module) | ("c", code) | ("script", path) | ("", "") from interpreter options."""
    with_value = {"-W", "-X", "--check-hash-based-pycs"}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-m", "-c") and i + 1 < len(args):
            return arg[1], args[i + 1]
        if arg.startswith("-m") and len(arg) > 2:
            return "m", arg[2:]
        if arg in with_value:
            i += 2
            continue
        if arg == "-" or not arg.startswith("-"):
            return ("script", arg) if arg != "-" else ("", "")
        i += 1
    return "", ""


__all__ = ["Python"]
