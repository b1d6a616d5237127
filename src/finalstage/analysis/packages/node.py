"""npm: ``node_modules/**/package.json``, ``package-lock.json`` (v1, v2, v3) and hidden lockfiles.

Dev dependencies are what the lockfile marks ``"dev": true``; without a lockfile, the top-level
packages named only in the app's ``devDependencies``. Paths inside a lockfile are relative to the
directory holding it (for the hidden ``node_modules/.package-lock.json``, the directory above).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from finalstage.analysis.packages.model import Ecosystem, Package

NODE_MODULES = "node_modules"
LOCKFILE = "package-lock.json"
HIDDEN_LOCKFILE = "node_modules/.package-lock.json"
SHRINKWRAP = "npm-shrinkwrap.json"


class ManifestError(ValueError):
    """A package.json or lockfile that is not the JSON object it should be."""


@dataclass(frozen=True)
class LockEntry:
    """One package of a lockfile: its install path relative to the lockfile's directory."""

    path: str
    name: str
    version: str
    is_dev: bool


@dataclass(frozen=True)
class Manifest:
    """What a package.json says: name, version and the names of its declared dependencies."""

    name: str
    version: str
    dependencies: frozenset[str]
    dev_dependencies: frozenset[str]
    license: str | None = None


def load_object(data: bytes, what: str) -> dict[str, object]:
    """``data`` parsed as a JSON object, or ManifestError with a one-line reason."""
    try:
        doc = json.loads(data)
    except UnicodeDecodeError as err:
        raise ManifestError(f"{what}: not utf-8 text ({err.reason})") from err
    except ValueError as err:
        raise ManifestError(f"{what}: invalid json: {str(err).splitlines()[0][:80]}") from err
    except RecursionError as err:
        raise ManifestError(f"{what}: json nested too deeply") from err
    if not isinstance(doc, dict):
        raise ManifestError(f"{what}: expected a json object, got {type(doc).__name__}")
    return doc


def parse_manifest(data: bytes, location: str) -> Manifest:
    """Name, version and dependency names of a package.json."""
    doc = load_object(data, location)
    return Manifest(
        name=_text(doc.get("name")), version=_text(doc.get("version")),
        dependencies=_names(doc.get("dependencies")) | _names(doc.get("optionalDependencies")),
        dev_dependencies=_names(doc.get("devDependencies")),
        license=_license(doc.get("license")),
    )


def _license(value: object) -> str | None:
    """The ``license`` field: an SPDX expression, or the legacy ``{"type": "MIT"}`` object."""
    if isinstance(value, dict):
        value = value.get("type")
    return value.strip() or None if isinstance(value, str) else None


def parse_lockfile(data: bytes, location: str) -> tuple[LockEntry, ...]:
    """The packages of a lockfile, v2/v3 ``packages`` map or v1 nested ``dependencies``."""
    doc = load_object(data, location)
    packages = doc.get("packages")
    if isinstance(packages, dict):
        out = []
        for path, info in packages.items():
            if not path or not isinstance(info, dict) or not isinstance(path, str):
                continue  # "" is the root project itself
            name = _text(info.get("name")) or package_name_from_path(path)
            out.append(LockEntry(path, name, _text(info.get("version")), info.get("dev") is True))
        return tuple(out)
    dependencies = doc.get("dependencies")
    if isinstance(dependencies, dict):
        out = []
        _walk_v1(dependencies, "", out, depth=0)
        return tuple(out)
    raise ManifestError(f"{location}: lockfile has neither packages nor dependencies")


def _walk_v1(deps: dict[str, object], prefix: str, out: list[LockEntry], depth: int) -> None:
    if depth > 64:
        return  # a cycle or absurd nesting in a hand-edited file: stop, keep what we have
    for name, info in deps.items():
        if not isinstance(info, dict):
            continue
        path = f"{prefix}{NODE_MODULES}/{name}"
        out.append(LockEntry(path, name, _text(info.get("version")), info.get("dev") is True))
        nested = info.get("dependencies")
        if isinstance(nested, dict):
            _walk_v1(nested, path + "/", out, depth + 1)


def package_dir(path: str) -> str | None:
    """The package directory of a path inside node_modules (``a/node_modules/@s/n/x.js`` →
    ``a/node_modules/@s/n``), or None when the path is not inside a package."""
    index = path.rfind("node_modules/")
    if index < 0 or (index > 0 and path[index - 1] != "/"):
        return None
    start = index + len("node_modules/")
    end = path.find("/", start)
    if end < 0:
        return path if start < len(path) else None
    if path[start] == "@":
        end2 = path.find("/", end + 1)
        return path if end2 < 0 else path[:end2]
    return path[:end]


def package_name_from_path(path: str) -> str:
    """``node_modules/a/node_modules/@s/n`` → ``@s/n``."""
    tail = path[path.rfind("node_modules/") + len("node_modules/"):]
    return tail


def lockfile_base(location: str) -> str:
    """The directory a lockfile's paths are relative to."""
    if location.endswith(HIDDEN_LOCKFILE):
        base = location[: -len(HIDDEN_LOCKFILE)]
    else:
        base = location[: location.rfind("/") + 1] if "/" in location else ""
    return base.rstrip("/")


def package_from_manifest(manifest: Manifest, location: str, is_dev: bool) -> Package:
    """The Package for a node_modules/<name>/package.json."""
    return Package(ecosystem=Ecosystem.NPM, name=manifest.name, version=manifest.version,
                   location=location, is_dev=is_dev, license=manifest.license)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _names(value: object) -> frozenset[str]:
    return frozenset(k for k in value if isinstance(k, str)) if isinstance(value, dict) else frozenset()
