"""dpkg: ``/var/lib/dpkg/status`` (+ ``info/*.list``) and distroless ``status.d/*``.

The status file is RFC 822-style paragraphs. Only packages whose ``Status`` says ``installed``
count (``deinstall ok config-files`` leaves a paragraph behind but no package). ``Installed-Size``
is in KiB. Distroless images have no dpkg; they ship one paragraph per package in
``status.d/<name>`` and, in newer images, the package's files in ``status.d/<name>.md5sums``.

``diversions`` (``dpkg-divert``) moves a path of every package but the diverting one elsewhere:
the file lists are rewritten the way dpkg placed the files. The lists stay in dpkg's namespace
otherwise (``/lib/…`` on a merged-/usr system); ``packages.paths`` resolves them in the tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from finalstage.analysis.packages.model import Ecosystem, Package, ParseResult, decode, norm

STATUS = "var/lib/dpkg/status"
STATUS_D = "var/lib/dpkg/status.d/"
INFO = "var/lib/dpkg/info/"
DIVERSIONS = "var/lib/dpkg/diversions"

Diversion = tuple[str, str]
"""(where the diverted file is, the package that diverted it; ``:`` for a local diversion)."""


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """Yield each paragraph as {field: value}; continuation lines are appended to the value."""
    fields: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, None
        elif line[0] in " \t":
            if last is not None:
                fields[last] += "\n" + line.strip()
        else:
            key, sep, value = line.partition(":")
            if sep:
                last = key.strip()
                fields[last] = value.strip()
            else:
                last = None  # a line that is neither a field nor a continuation: ignored
    if fields:
        yield fields


def parse_status(data: bytes, location: str = STATUS) -> ParseResult:
    """Installed packages of a dpkg status file (or one distroless status.d file)."""
    packages: list[Package] = []
    warnings: list[str] = []
    for number, fields in enumerate(paragraphs(decode(data)), start=1):
        name = fields.get("Package")
        if not name:
            warnings.append(f"{location}: paragraph {number} has no Package field: skipped")
            continue
        status = fields.get("Status", "install ok installed").split()
        if not status or status[-1] != "installed":
            continue
        size_text = fields.get("Installed-Size")
        size: int | None = None
        if size_text:
            try:
                size = int(size_text) * 1024
            except ValueError:
                warnings.append(f"{location}: {name}: bad Installed-Size {size_text[:40]!r}")
        packages.append(Package(
            ecosystem=Ecosystem.DEB, name=name, version=fields.get("Version", ""),
            location=location, installed_size=size, arch=fields.get("Architecture"),
        ))
    return ParseResult(tuple(packages), tuple(warnings))


def parse_list(data: bytes) -> tuple[str, ...]:
    """Paths of an ``info/<pkg>.list`` file (absolute paths, one per line; ``/.`` skipped)."""
    # norm() inlined: this runs for every line of every .list file (tens of thousands)
    paths = (line.strip().removeprefix("./").strip("/") for line in decode(data).splitlines())
    return tuple(path for path in paths if path and path != ".")


def parse_md5sums(data: bytes) -> tuple[str, ...]:
    """Paths of a ``<pkg>.md5sums`` file (``<md5>  <path relative to />`` per line)."""
    out = []
    for line in decode(data).splitlines():
        _, sep, path = line.partition("  ")
        if sep and path.strip():
            out.append(norm(path.strip()))
    return tuple(out)


def parse_diversions(data: bytes) -> dict[str, Diversion]:
    """``diversions``: three lines per diversion (the path, where it goes, the package that
    diverts it); normalised paths. A trailing incomplete triple is ignored."""
    lines = decode(data).splitlines()
    out: dict[str, Diversion] = {}
    for i in range(0, len(lines) - 2, 3):
        source, target, by = norm(lines[i].strip()), norm(lines[i + 1].strip()), lines[i + 2]
        if source and target:
            out[source] = (target, by.strip())
    return out


def divert(package: Package, diversions: Mapping[str, Diversion]) -> Package:
    """``package`` with its diverted files at the place dpkg put them (the diverting package's
    own copy stays; a local diversion, by ``:``, moves every package's copy)."""
    if not diversions or not package.files:
        return package
    moved = [(f, d[0]) for f in package.files
             if (d := diversions.get(f)) is not None and d[1] != package.name]
    if not moved:
        return package
    new = dict(moved)
    return replace(package, files=tuple(new.get(f, f) for f in package.files))


def read(captured: Mapping[str, bytes]) -> ParseResult:
    """Every dpkg package in ``captured`` (path → bytes), with owned files attached."""
    packages: list[Package] = []
    warnings: list[str] = []
    lists: dict[str, tuple[str, ...]] = {}
    diversions = parse_diversions(captured[DIVERSIONS]) if DIVERSIONS in captured else {}
    for path, data in captured.items():
        if path.startswith(INFO) and path.endswith(".list"):
            lists[path[len(INFO):-5]] = parse_list(data)
        elif path.startswith(STATUS_D) and path.endswith(".md5sums"):
            lists[path[len(STATUS_D):-8]] = parse_md5sums(data)
    for path, data in captured.items():
        if path == STATUS or (path.startswith(STATUS_D) and not path.endswith(".md5sums")):
            result = parse_status(data, path)
            warnings.extend(result.warnings)
            for package in result.packages:
                files = _files_for(package, lists, path)
                packages.append(divert(_with_files(package, files), diversions))
    return ParseResult(tuple(packages), tuple(warnings))


def _files_for(package: Package, lists: dict[str, tuple[str, ...]], path: str) -> tuple[str, ...]:
    for key in (f"{package.name}:{package.arch}", package.name):
        if key in lists:
            return lists[key]
    if path.startswith(STATUS_D):  # status.d/<name> → status.d/<name>.md5sums
        return lists.get(path[len(STATUS_D):], ())
    return ()


def _with_files(package: Package, files: tuple[str, ...]) -> Package:
    return replace(package, files=files) if files else package
