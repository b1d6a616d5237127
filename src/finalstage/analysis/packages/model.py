"""The package record shared by every package-database reader."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Ecosystem(enum.StrEnum):
    """Where a package comes from (purl-like type names)."""

    DEB = "deb"
    APK = "apk"
    RPM = "rpm"
    NPM = "npm"
    PYPI = "pypi"
    GOLANG = "golang"
    MAVEN = "maven"
    GEM = "gem"


@dataclass(frozen=True)
class Package:
    """One installed package, as its database or manifest describes it.

    ``files`` are the paths the package owns, normalised (no leading ``/``), when the database
    lists them; ``installed_size`` is in bytes, as the database states it (dpkg's KiB converted).
    ``location`` is the path of the file the record was read from. ``bytes``/``layers`` are filled
    in by ``analyze`` from the entries actually present in the image.
    """

    ecosystem: Ecosystem
    name: str
    version: str
    location: str
    installed_size: int | None = None
    files: tuple[str, ...] = field(default=(), repr=False)
    arch: str | None = None
    is_dev: bool = False
    bytes: int | None = None
    layers: tuple[int, ...] = ()
    license: str | None = None     # as the package declares it (an SPDX expression, usually)

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity within one image: (ecosystem, name, location)."""
        return (self.ecosystem, self.name, self.location)


@dataclass(frozen=True)
class ParseResult:
    """Packages read from one database, and warnings for whatever was malformed in it."""

    packages: tuple[Package, ...] = ()
    warnings: tuple[str, ...] = ()


def decode(data: bytes) -> str:
    """Database text as str; undecodable bytes become U+FFFD instead of raising."""
    return data.decode("utf-8", errors="replace")


def norm(path: str) -> str:
    """An owned-file path as entries use it: no leading ``/`` or ``./``."""
    path = path.removeprefix("./")
    return path.strip("/")
