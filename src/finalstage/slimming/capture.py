"""The files slim reads in its one streaming pass over the source layers, reduced as they pass.

``want`` asks for the whole of: every file that may be ELF (executable, ``*.so*``), Python
sources and ``.pth`` files, distribution metadata (``RECORD``, ``METADATA``, ``top_level.txt``,
``requires.txt``), every ``package.json``, application JavaScript outside ``node_modules``,
application jars (their manifest's ``Class-Path``), and the few ``/etc`` files the loader and
libc read. ``keep`` shrinks each file at once to what the
closure needs (an ``ElfDeps``, the imports of a module, a manifest's dependency names), so a
1.5 GB image leaves a few megabytes in memory. The values are registered with the layer cache:
a second run over the same layers reads nothing.
"""

from __future__ import annotations

import io
import json
import os
import re
import urllib.parse
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from finalstage._version import __version__
from finalstage.fs.cache import register_value_type
from finalstage.slimming import elfdeps, sources
from finalstage.slimming.elfdeps import ElfDeps, is_elf, read_elf
from finalstage.slimming.sources import JsSource, PySource, scan_js, scan_python

CAP_ELF = 512 << 20
CAP_SOURCE = 8 << 20
CAP_SMALL = 4 << 20
CAP_SCRIPT = 256 << 10
CAP_JAR = 64 << 20
CAP_MANIFEST = 1 << 20
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "zsh", "mksh", "busybox"})
_ETC = frozenset({"etc/ld.so.cache", "etc/ld.so.conf", "etc/nsswitch.conf", "etc/passwd",
                  "etc/group", "etc/os-release", "usr/lib/os-release"})
_DIST_FILES = frozenset({"METADATA", "PKG-INFO", "RECORD", "top_level.txt", "requires.txt"})
_JS_SYSTEM = ("usr/share/", "usr/lib/", "usr/local/lib/", "usr/include/", "proc/", "sys/")
_PREFILTER = re.compile(
    r"(?s)(?:etc/|.*\.(?:py|pth|js|mjs|cjs|so|jar)$|.*\.so\.|.*/(?:package\.json|pyvenv\.cfg|"
    r"METADATA|PKG-INFO|RECORD|top_level\.txt|requires\.txt)$|(?:.*/)?(?:s?bin|libexec)/)")


@dataclass(frozen=True)
class Script:
    """An executable text file: its ``#!`` line and, for Python or node scripts, its imports."""

    shebang: str
    imports: tuple[str, ...] = ()
    dynamic: tuple[tuple[int, str], ...] = ()
    text: str = ""           # a shell script's text (its commands are followed)


@dataclass(frozen=True)
class NodeManifest:
    """What slim needs of a ``package.json``."""

    name: str
    main: str
    dependencies: tuple[str, ...]
    optional: tuple[str, ...]
    peer: tuple[str, ...]
    scripts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DistMeta:
    """A Python distribution's name and runtime requirements (``Requires-Dist`` lines)."""

    name: str
    requires: tuple[str, ...]


@dataclass(frozen=True)
class JarManifest:
    """What slim needs of a jar's ``META-INF/MANIFEST.MF``: its ``Class-Path`` (relative
    URLs) and ``Main-Class``."""

    class_path: tuple[str, ...]
    main_class: str


for _tag, _cls in (("slim-elf", ElfDeps), ("slim-py", PySource), ("slim-js", JsSource),
                   ("slim-script", Script), ("slim-npm", NodeManifest), ("slim-dist", DistMeta),
                   ("slim-jar", JarManifest)):
    register_value_type(_tag, _cls)


def slim_tag() -> str:
    """Names what these hooks capture, for the layer cache (a change of the rules: new keys)."""
    stamp = 0
    for module in (elfdeps, sources):
        try:
            stamp = max(stamp, os.stat(module.__file__ or "").st_mtime_ns)
        except OSError:
            pass
    try:
        stamp = max(stamp, os.stat(__file__).st_mtime_ns)
    except OSError:
        pass
    return f"slim:{__version__}:{stamp}"


def wants(path: str, size: int, mode: int) -> int:
    """How many bytes of this regular file to capture (all of it, or nothing)."""
    name = path[path.rfind("/") + 1:]
    if path.startswith("etc/") and (path in _ETC or path.startswith("etc/ld.so.conf.d/")
                                    or name.startswith("ld-musl-")):
        return size if size <= CAP_SMALL else 0
    if name.endswith((".py", ".pth")) or name == "pyvenv.cfg":
        return size if size <= CAP_SOURCE else 0
    if name in _DIST_FILES and (".dist-info/" in path or ".egg-info/" in path):
        return size if size <= CAP_SMALL else 0
    if name == "package.json":
        return size if size <= CAP_SMALL else 0
    if name.endswith((".js", ".mjs", ".cjs")) and "node_modules/" not in path \
            and not path.startswith(_JS_SYSTEM):
        return size if size <= CAP_SOURCE else 0
    if name.endswith(".jar") and not path.startswith(("usr/lib/jvm/", "opt/java/")):
        return size if size <= CAP_JAR else 0
    if mode & 0o111 or name.endswith(".so") or ".so." in name or "/bin/" in path:
        return size if size <= CAP_ELF else 0
    return 0


def keep(path: str, data: bytes) -> object:
    """What the closure keeps of a captured file (None: nothing of use)."""
    name = path[path.rfind("/") + 1:]
    if is_elf(data):
        return read_elf(data)
    if data.startswith(b"#!"):
        return _script(data)
    if name.endswith(".py"):
        return scan_python(data)
    if name == "package.json":
        return _manifest(data)
    if name.endswith((".js", ".mjs", ".cjs")):
        return scan_js(data)
    if name == "RECORD":
        return tuple(line.split(",", 1)[0] for line in data.decode("utf-8", "replace")
                     .splitlines() if line.strip())
    if name in ("METADATA", "PKG-INFO"):
        return _dist_meta(data)
    if name.endswith(".jar"):
        return _jar_manifest(data)
    if name.endswith(".so") or ".so." in name or "/bin/" in path:
        return None  # not ELF (a linker script, a data file): nothing to follow
    return data if len(data) <= CAP_SMALL else None


def _script(data: bytes) -> Script:
    end = data.find(b"\n")
    line = data[2:end if 0 <= end < 512 else 512].decode("utf-8", "replace").strip()
    words = line.split()
    program = " ".join(words[:2]).rsplit("/", 1)[-1] if words else ""
    if "python" in program:
        found = scan_python(data)
        return Script(line, found.imports, found.dynamic)
    if "node" in program:
        js = scan_js(data)
        return Script(line, js.requires, js.dynamic)
    if program.split()[-1] in _SHELLS if program else False:
        return Script(line, text=data[:CAP_SCRIPT].decode("utf-8", "replace"))
    return Script(line)


def _names(value: object) -> tuple[str, ...]:
    return tuple(sorted(str(k) for k in value)) if isinstance(value, dict) else ()


def _manifest(data: bytes) -> NodeManifest | None:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    scripts = doc.get("scripts")
    pairs = tuple(sorted((str(k), str(v)) for k, v in scripts.items())) \
        if isinstance(scripts, dict) else ()
    main = doc.get("main")
    return NodeManifest(str(doc.get("name") or ""), main if isinstance(main, str) else "",
                        _names(doc.get("dependencies")), _names(doc.get("optionalDependencies")),
                        _names(doc.get("peerDependencies")), pairs)


def _jar_manifest(data: bytes) -> JarManifest | None:
    """The manifest of a jar (None when it is no readable zip or has no manifest)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as jar:
            info = jar.getinfo("META-INF/MANIFEST.MF")
            if info.file_size > CAP_MANIFEST:
                return None
            text = jar.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, RuntimeError,
            NotImplementedError):
        return None
    fields: dict[str, str] = {}
    key = ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.startswith(" ") and key:
            fields[key] += line[1:]  # a continuation line (manifests wrap at 72 bytes)
        elif ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.removeprefix(" ")
        elif not line.strip():
            break  # the main section ends at the first blank line
    urls = fields.get("Class-Path", "").split()
    return JarManifest(tuple(urllib.parse.unquote(u) for u in urls if "://" not in u),
                       fields.get("Main-Class", ""))


def _dist_meta(data: bytes) -> DistMeta:
    name = ""
    requires: list[str] = []
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break  # the header block ends at the first blank line
        key, _, value = line.partition(":")
        if key == "Name":
            name = value.strip()
        elif key == "Requires-Dist":
            requires.append(value.strip())
    return DistMeta(name, tuple(requires))


def hooks() -> tuple[Callable[[str, int, int], int], Callable[[str, bytes], object]]:
    """The ``want``/``keep`` pair for ``Image.scan``, with the reader's C-level prefilter."""
    def want(path: str, size: int, mode: int) -> int:
        return wants(path, size, mode)

    want.match = _PREFILTER.match  # type: ignore[attr-defined]
    want.modes = 0o111  # type: ignore[attr-defined]
    return want, keep


__all__ = ["DistMeta", "JarManifest", "NodeManifest", "Script", "hooks", "keep", "slim_tag", "wants"]
