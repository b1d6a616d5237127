"""Python distributions: ``*.dist-info/METADATA`` + ``RECORD``, ``*.egg-info/PKG-INFO``.

METADATA is an RFC 822 header block (only the headers before the first blank line are read:
the body is the long description). RECORD is CSV, one ``path,hash,size`` per file, paths
relative to the directory that holds the ``.dist-info`` (``../../../bin/x`` for scripts).
"""

from __future__ import annotations

import csv
import io
import posixpath
import re

from finalstage.analysis.packages.model import Ecosystem, Package, decode

DEV_REQUIREMENT_FILES = frozenset({
    "requirements-dev.txt", "dev-requirements.txt", "requirements_dev.txt",
    "requirements-test.txt", "test-requirements.txt", "requirements-tests.txt",
    "requirements_test.txt", "requirements-lint.txt",
})
DEV_REQUIREMENT_DIR_FILES = ("requirements/dev.txt", "requirements/test.txt",
                             "requirements/tests.txt", "requirements/lint.txt")

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: lower case, runs of ``-_.`` → ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_metadata(data: bytes) -> tuple[str, str]:
    """(Name, Version) from METADATA / PKG-INFO headers; empty strings when absent."""
    name = version = ""
    for line in decode(data).splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if key == "Name" and not name:
            name = value.strip()
        elif key == "Version" and not version:
            version = value.strip()
    return name, version


def parse_license(data: bytes) -> str | None:
    """The licence a METADATA / PKG-INFO declares: ``License-Expression`` (PEP 639), else a
    one-line ``License`` field (older metadata often puts the whole licence text there)."""
    found: dict[str, str] = {}
    for line in decode(data).splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key in ("License-Expression", "License") and key not in found:
            found[key] = value.strip()
    short = found.get("License", "")
    if found.get("License-Expression"):
        return found["License-Expression"]
    return short if short and len(short) <= 64 and short.upper() != "UNKNOWN" else None


def parse_record(data: bytes, site_dir: str) -> tuple[tuple[str, ...], int]:
    """(owned paths normalised against ``site_dir``, sum of the sizes RECORD states)."""
    files = []
    total = 0
    for row in csv.reader(io.StringIO(decode(data).replace("\0", ""))):
        if not row or not row[0]:
            continue
        path = posixpath.normpath(posixpath.join(site_dir, row[0]))
        if path.startswith("../") or path == "..":
            continue  # escapes the image root: a broken RECORD, ignore that line
        files.append(path.lstrip("/"))
        if len(row) > 2 and row[2].isdigit():
            total += int(row[2])
    return tuple(files), total


def package_from_dist_info(metadata_path: str, metadata: bytes, record: bytes | None,
                           dev_names: frozenset[str]) -> Package | None:
    """The Package of one ``<name>-<version>.dist-info`` (or ``.egg-info``) directory."""
    name, version = parse_metadata(metadata)
    if not name:
        return None
    dist_dir = posixpath.dirname(metadata_path)
    site_dir = posixpath.dirname(dist_dir)
    files: tuple[str, ...] = ()
    size: int | None = None
    if record is not None:
        files, size = parse_record(record, site_dir)
    return Package(ecosystem=Ecosystem.PYPI, name=name, version=version, location=dist_dir,
                   installed_size=size, files=files, is_dev=normalize_name(name) in dev_names,
                   license=parse_license(metadata))


def is_dev_requirements(path: str) -> bool:
    """True for requirements files that by their name list development dependencies."""
    name = path[path.rfind("/") + 1:]
    return name in DEV_REQUIREMENT_FILES or path.endswith(DEV_REQUIREMENT_DIR_FILES)


def parse_requirements(data: bytes) -> frozenset[str]:
    """Normalised project names of a requirements file (options, -r, URLs and comments skipped)."""
    names = set()
    for line in decode(data).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith(("-", "git+", "http:", "https:", "file:", ".", "/")):
            continue
        match = _REQUIREMENT_NAME.match(line)
        if match:
            names.add(normalize_name(match.group(1)))
    return frozenset(names)
