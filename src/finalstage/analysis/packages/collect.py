"""Collect every package of an image from the captured databases and manifests.

Returns the packages, an owner index (owned path or package directory → package key) used to
attribute bytes, and the development-dependency sets (npm package directories, Python keys).
Malformed input becomes warning strings, never an exception.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import replace

from finalstage.analysis.categories import PYTHON_PACKAGES, Category
from finalstage.analysis.elf import ElfInfo
from finalstage.analysis.packages import apk, dpkg, golang, java, node, python, rpm, ruby
from finalstage.analysis.packages.model import Package, ParseResult
from finalstage.analysis.packages.paths import resolve_files
from finalstage.escape import one_line

# Distribution-packaged node modules (Debian's usr/share/nodejs) and global installs: their
# package.json devDependencies describe how the distribution built them, not this image's app.
_SYSTEM_NODE_TREES = ("usr/share/", "usr/lib/", "usr/local/lib/node_modules/")
_PY_DEV_TOOLS = frozenset(PYTHON_PACKAGES[Category.DEV_DEPENDENCY])

PackageKey = tuple[str, str, str]


def _show(path: str) -> str:
    return one_line("/" + path)


def gem_dir(path: str) -> str | None:
    """``…/gems/rack-3.0.8/lib/x.rb`` → ``…/gems/rack-3.0.8`` (the directory a gem owns)."""
    index = path.rfind("/gems/")
    if index < 0:
        return None
    end = path.find("/", index + 6)
    return path if end < 0 else path[:end]


def collect(
    paths: Iterable[str],
    blobs: dict[str, bytes],
    elves: dict[str, ElfInfo],
    warnings: list[str],
    *,
    present: Mapping[str, object] | None = None,
    links: Mapping[str, str] | None = None,
) -> tuple[list[Package], dict[str, PackageKey], set[str], set[PackageKey]]:
    """Packages, the path → package-key owner index, npm dev package dirs, Python dev keys.

    With the tree's non-directory ``present`` paths and its symlinks (``links``: path →
    target), each package's file list is resolved to the paths the tree holds (merged /usr)."""
    packages: list[Package] = []

    def take(result: ParseResult) -> None:
        packages.extend(result.packages)
        warnings.extend(result.warnings)

    dpkg_blobs = {p: d for p, d in blobs.items() if p.startswith("var/lib/dpkg/")}
    if dpkg_blobs:
        take(dpkg.read(dpkg_blobs))
    if apk.INSTALLED in blobs:
        take(apk.parse_installed(blobs[apk.INSTALLED]))
    for path in rpm.SQLITE_PATHS:
        if path in blobs:
            take(rpm.parse_sqlite(blobs[path], path))
    unsupported = rpm.UNSUPPORTED_PATHS  # exact paths: one set lookup per entry
    # One comprehension picks the few interesting paths; the loop below sees only those.
    for path in [p for p in paths if p in unsupported or p.endswith(".gemspec")]:
        message = rpm.unsupported_warning(path) if path in unsupported else None
        if message:
            warnings.append(message)
        elif path.endswith(".gemspec") and ruby.is_gemspec(path):
            gem = ruby.package_from_gemspec_path(path)
            if gem is not None:
                packages.append(gem)

    npm_dev = _node_packages(blobs, packages, warnings)
    py_dev_keys = _python_packages(blobs, packages, warnings)
    for path, data in blobs.items():
        if java.is_pom_properties(path):
            pom = java.parse_pom_properties(data, path)
            if pom is not None:
                packages.append(pom)
    for path, info in sorted(elves.items()):
        if info.go is not None:
            packages.extend(golang.packages_from(info.go, path))
    if present is not None and links:
        packages = resolve_files(packages, present, links)
    return packages, owner_index(packages), npm_dev, py_dev_keys


def owner_index(packages: list[Package]) -> dict[str, PackageKey]:
    """Owned path (or npm package directory) → the key of the package that owns it.

    The first package that lists a file owns it: updating in reverse order lets earlier
    packages overwrite later ones, one C-level update per package instead of one call per
    file. An npm package then owns its directory (assigned after: the last one wins)."""
    owner_of: dict[str, PackageKey] = {}
    for package in reversed(packages):
        if package.files:
            owner_of.update(dict.fromkeys(package.files, package.key))
    for package in packages:
        if package.ecosystem == "npm":
            owner_of[posixpath.dirname(package.location)] = package.key
    return owner_of


def _node_packages(blobs: dict[str, bytes], packages: list[Package],
                   warnings: list[str]) -> set[str]:
    """npm packages from node_modules manifests; returns the dev package directories."""
    lock_dev: dict[str, bool] = {}
    app_manifests: dict[str, node.Manifest] = {}
    for path, data in blobs.items():
        name = path[path.rfind("/") + 1:]
        try:
            if name in (node.LOCKFILE, node.SHRINKWRAP) or path.endswith(node.HIDDEN_LOCKFILE):
                if name == node.LOCKFILE and "node_modules/" in path and not path.endswith(
                        node.HIDDEN_LOCKFILE):
                    continue  # lockfiles shipped inside dependencies describe nothing installed
                base = node.lockfile_base(path)
                for entry in node.parse_lockfile(data, _show(path)):
                    full = f"{base}/{entry.path}" if base else entry.path
                    lock_dev[full] = lock_dev.get(full, True) and entry.is_dev
            elif (name == "package.json" and "node_modules/" not in path
                  and not path.startswith(_SYSTEM_NODE_TREES)):
                app_manifests[path[: -len("/package.json")] if "/" in path else ""] = (
                    node.parse_manifest(data, _show(path)))
        except node.ManifestError as err:
            warnings.append(str(err))
    dev_dirs: set[str] = set()
    for path, data in blobs.items():
        if not path.endswith("/package.json") or "node_modules/" not in path:
            continue
        pkg_dir = path[: -len("/package.json")]
        if node.package_dir(path) != pkg_dir:
            continue
        try:
            manifest = node.parse_manifest(data, _show(path))
        except node.ManifestError as err:
            warnings.append(str(err))
            continue
        is_dev = lock_dev.get(pkg_dir)
        if is_dev is None:
            is_dev = _dev_by_app_manifest(pkg_dir, manifest.name, app_manifests)
        if is_dev:
            dev_dirs.add(pkg_dir)
        if not manifest.name:  # (replace() is slow: only for the rare nameless manifest)
            manifest = replace(manifest, name=node.package_name_from_path(pkg_dir))
        packages.append(node.package_from_manifest(manifest, path, is_dev))
    return dev_dirs


def _dev_by_app_manifest(pkg_dir: str, name: str, apps: Mapping[str, node.Manifest]) -> bool:
    """Without a lockfile: a top-level package only the app's devDependencies name."""
    base, _, rest = pkg_dir.rpartition("node_modules/")
    if "node_modules/" in base:
        return False  # a nested (transitive) package: only a lockfile can tell
    app = apps.get(base.rstrip("/"))
    if app is None:
        return False
    return rest == name and name in app.dev_dependencies and name not in app.dependencies


def _python_packages(blobs: dict[str, bytes], packages: list[Package],
                     warnings: list[str]) -> set[tuple[str, str, str]]:
    """Python distributions; returns the keys of development ones."""
    dev_names = set(_PY_DEV_TOOLS)
    for path, data in blobs.items():
        if python.is_dev_requirements(path):
            dev_names |= python.parse_requirements(data)
    frozen_dev = frozenset(dev_names)
    dev_keys: set[tuple[str, str, str]] = set()
    for path, data in blobs.items():
        name = path[path.rfind("/") + 1:]
        if not ((name == "METADATA" and path.endswith(".dist-info/METADATA"))
                or (name == "PKG-INFO" and path.endswith(".egg-info/PKG-INFO"))):
            continue
        record = blobs.get(posixpath.join(posixpath.dirname(path), "RECORD"))
        package = python.package_from_dist_info(path, data, record, frozen_dev)
        if package is None:
            warnings.append(f"{_show(path)}: no Name header: distribution skipped")
            continue
        packages.append(package)
        if package.is_dev:
            dev_keys.add(package.key)
    return dev_keys
