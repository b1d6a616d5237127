"""One Python interpreter of the image: its version, ``sys.path`` and installed distributions.

The interpreter's real path gives the version (``python3.11``) and the prefix (``/usr``,
``/usr/local``); a virtual environment is the invoked path's ``pyvenv.cfg`` (with or without the
system site directories). ``sys.path`` is what CPython builds: ``PYTHONPATH``, the stdlib and
``lib-dynload``, then the site directories that exist (Debian's ``dist-packages`` too, and the
user's ``~/.local``), then the paths ``.pth`` files add.

Distributions come from ``*.dist-info`` (``RECORD`` lists their files, ``METADATA`` their
``Requires-Dist``) and ``*.egg-info`` (``top_level.txt``, ``requires.txt``; Debian's packages).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from finalstage.analysis.packages.python import normalize_name
from finalstage.slimming.capture import DistMeta
from finalstage.slimming.closure import Closure
from finalstage.slimming.fsview import norm

_VERSION = re.compile(r"python(\d+)\.(\d+)")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass
class Dist:
    """An installed distribution: its metadata dir, its files and its requirements."""

    name: str
    site: str
    meta_dir: str
    files: tuple[str, ...]            # tree paths (RECORD), or () for egg-info
    top_level: tuple[str, ...]
    requires: tuple[str, ...]         # normalized names (extras left out)


@dataclass
class PyRuntime:
    """``sys.path`` and the distributions of one interpreter."""

    interpreter: str
    version: str                       # "3.11"
    stdlib: str
    path: list[str]                    # sys.path without the script's directory
    site_dirs: list[str]
    venv: str | None = None
    dists: dict[str, Dist] = field(default_factory=dict)        # normalized name → Dist
    owner: dict[str, Dist] = field(default_factory=dict)        # tree path → Dist
    top: dict[tuple[str, str], Dist] = field(default_factory=dict)  # (site, name) → Dist

    @property
    def tag(self) -> str:
        return "cpython-" + self.version.replace(".", "")


def runtime(c: Closure, real: str, invoked: str) -> PyRuntime:
    """The runtime of interpreter ``real`` run as ``invoked``."""
    match = _VERSION.search(posixpath.basename(real)) or _VERSION.search(posixpath.basename(
        invoked))
    prefix = posixpath.dirname(posixpath.dirname(real))
    version = f"{match.group(1)}.{match.group(2)}" if match else _guess_version(c, prefix)
    stdlib = next((d for d in (f"{prefix}/lib/python{version}", f"usr/lib/python{version}",
                               f"usr/local/lib/python{version}") if c.is_dir(norm(d))),
                  f"{prefix}/lib/python{version}")
    stdlib = norm(stdlib)
    path = [norm(d) for d in c.env.get("PYTHONPATH", "").split(":") if d]
    path += [stdlib, f"{stdlib}/lib-dynload"]
    venv = _venv(c, invoked)
    sites: list[str] = []
    if venv is not None:
        sites.append(f"{venv}/lib/python{version}/site-packages")
    if venv is None or _system_site(c, venv):
        home = _home(c)
        sites += [f"{home}/.local/lib/python{version}/site-packages" if home else "",
                  f"{prefix}/local/lib/python{version}/dist-packages",
                  f"{prefix}/lib/python{version}/site-packages", "usr/lib/python3/dist-packages",
                  f"usr/lib/python{version}/dist-packages",
                  f"usr/local/lib/python{version}/site-packages"]
    sites = list(dict.fromkeys(norm(s) for s in sites if s and c.is_dir(norm(s))))
    rt = PyRuntime(real, version, stdlib, path + sites, sites, venv)
    for site in sites:
        _index(c, rt, site)
    return rt


def _guess_version(c: Closure, prefix: str) -> str:
    for base in (f"{prefix}/lib", "usr/lib", "usr/local/lib"):
        names = [n for n in c.view.children(norm(base)) if _VERSION.fullmatch(n)]
        if names:
            best = max(names, key=lambda n: tuple(int(x) for x in n[6:].split(".")))
            return best[6:]
    return "3"


def _venv(c: Closure, invoked: str) -> str | None:
    """The virtual environment ``invoked`` (…/bin/python) belongs to, if any."""
    root = posixpath.dirname(posixpath.dirname(norm(invoked)))
    if c.view.is_file(f"{root}/pyvenv.cfg" if root else "pyvenv.cfg"):
        c.keep(f"{root}/pyvenv.cfg", "read by the interpreter at start-up (virtualenv)",
               norm(invoked))
        return root
    return None


def _system_site(c: Closure, venv: str) -> bool:
    data = c.value(f"{venv}/pyvenv.cfg")
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
    return bool(re.search(r"include-system-site-packages\s*=\s*true", text, re.IGNORECASE))


def _home(c: Closure) -> str:
    """The home directory of the image's user (``root`` when unknown)."""
    return c.env.get("HOME", "/root").strip("/") or "root"


def _index(c: Closure, rt: PyRuntime, site: str) -> None:
    """Every distribution whose metadata directory sits in ``site``."""
    for name in c.view.children(site):
        meta = f"{site}/{name}"
        if name.endswith(".dist-info"):
            dist = _dist_info(c, site, meta, name)
        elif name.endswith(".egg-info"):
            dist = _egg_info(c, site, meta, name)
        else:
            continue
        key = normalize_name(dist.name)
        rt.dists.setdefault(key, dist)
        for path in dist.files:
            rt.owner.setdefault(path, dist)
        for top in dist.top_level:
            rt.top.setdefault((site, top), dist)


def _dist_info(c: Closure, site: str, meta: str, name: str) -> Dist:
    record = c.value(f"{meta}/RECORD")
    files = tuple(norm(posixpath.join("/" + site, p)) for p in record) \
        if isinstance(record, tuple) else ()
    files = tuple(f for f in files if f.startswith(site + "/"))
    metadata = c.value(f"{meta}/METADATA")
    dist_name = metadata.name if isinstance(metadata, DistMeta) and metadata.name \
        else name[: -len(".dist-info")].split("-")[0]
    requires = tuple(_requirement(r) for r in metadata.requires) \
        if isinstance(metadata, DistMeta) else ()
    tops = _top_level(c, meta) or tuple(sorted({
        f[len(site) + 1:].split("/")[0].removesuffix(".py") for f in files
        if not f[len(site) + 1:].split("/")[0].endswith((".dist-info", ".data", ".pth"))}))
    return Dist(dist_name, site, meta, files, tops, tuple(r for r in requires if r))


def _egg_info(c: Closure, site: str, meta: str, name: str) -> Dist:
    dist_name = name[: -len(".egg-info")].split("-")[0]
    requires: list[str] = []
    data = c.value(f"{meta}/requires.txt")
    if isinstance(data, bytes):
        for line in data.decode("utf-8", "replace").splitlines():
            if line.startswith("["):
                break  # extras and markers start the sections
            requires.append(_requirement(line))
    return Dist(dist_name, site, meta, (), _top_level(c, meta) or (dist_name,),
                tuple(r for r in requires if r))


def _top_level(c: Closure, meta: str) -> tuple[str, ...]:
    data = c.value(f"{meta}/top_level.txt")
    if not isinstance(data, bytes):
        return ()
    return tuple(n.strip() for n in data.decode("utf-8", "replace").splitlines() if n.strip())


def _requirement(line: str) -> str:
    """The normalized name of a requirement, or "" when it applies only with an extra."""
    spec, _, marker = line.partition(";")
    if "extra" in marker:
        return ""
    match = _REQ_NAME.match(spec)
    return normalize_name(match.group(1)) if match else ""


__all__ = ["Dist", "PyRuntime", "runtime"]
