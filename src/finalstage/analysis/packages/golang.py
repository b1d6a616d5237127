"""Go: the build information every Go ≥ 1.18 binary embeds (``go version -m`` reads the same).

The blob starts with the 14-byte magic ``\\xff Go buildinf:``, then pointer size and flags; with
flag bit 2 set (Go ≥ 1.18) two varint-length-prefixed strings follow at offset 32: the Go version
and the module info, whose text is wrapped in 16 sentinel bytes on each side. Older binaries store
pointers instead; reading those needs the virtual-address map and is reported as unsupported.
"""

from __future__ import annotations

from dataclasses import dataclass

from finalstage.analysis.packages.model import Ecosystem, Package

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = _HEADER = 32
FLAG_INLINE = _FLAG_INLINE = 0x2


class BuildInfoError(ValueError):
    """A buildinfo blob that is truncated or in an unsupported layout."""


@dataclass(frozen=True)
class GoBuildInfo:
    """What ``go version -m`` prints: toolchain, main package and module, dependencies."""

    go_version: str
    path: str                                  # main package path
    main: tuple[str, str]                      # (module path, version)
    deps: tuple[tuple[str, str], ...]          # (module path, version), replacements applied
    settings: tuple[tuple[str, str], ...] = ()  # build settings (-ldflags, GOOS, vcs.revision…)


def find(data: bytes, start: int = 0) -> int:
    """Offset of the buildinfo magic (16-byte aligned in real binaries), or -1."""
    return data.find(MAGIC, start)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise BuildInfoError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def varint_at(data: bytes) -> tuple[int, int]:
    """(value, bytes used) of the varint at the start of ``data``; BuildInfoError if cut."""
    value, end = _varint(data, 0)
    return value, end


def _string(data: bytes, pos: int) -> tuple[str, int]:
    length, pos = _varint(data, pos)
    if pos + length > len(data):
        raise BuildInfoError("string runs past the end of the data")
    return data[pos:pos + length].decode("utf-8", errors="replace"), pos + length


def parse(data: bytes, offset: int) -> GoBuildInfo:
    """Decode the buildinfo blob at ``offset`` (as returned by ``find``)."""
    header = data[offset:offset + _HEADER]
    if len(header) < _HEADER or not header.startswith(MAGIC):
        raise BuildInfoError("truncated buildinfo header")
    flags = header[15]
    if not flags & _FLAG_INLINE:
        raise BuildInfoError("pre-go1.18 buildinfo layout (pointers) is not supported")
    version, pos = _string(data, offset + _HEADER)
    modinfo, _ = _string(data, pos)
    if len(modinfo) >= 33 and modinfo[-17] == "\n":
        modinfo = modinfo[16:-16]
    return parse_modinfo(version, modinfo)


def parse_modinfo(go_version: str, text: str) -> GoBuildInfo:
    """Parse the tab-separated module info text (``path``/``mod``/``dep``/``=>``/``build``)."""
    path = ""
    main = ("", "")
    deps: list[tuple[str, str]] = []
    settings: list[tuple[str, str]] = []
    for line in text.splitlines():
        fields = line.split("\t")
        key = fields[0]
        if key == "path" and len(fields) > 1:
            path = fields[1]
        elif key == "mod" and len(fields) > 2:
            main = (fields[1], fields[2])
        elif key == "dep" and len(fields) > 2:
            deps.append((fields[1], fields[2]))
        elif key == "=>" and len(fields) > 2 and deps:
            deps[-1] = (fields[1], fields[2])  # replacement of the preceding dep
        elif key == "build" and len(fields) > 1:
            name, _, value = fields[1].partition("=")
            settings.append((name, value))
    return GoBuildInfo(go_version, path, main, tuple(deps), tuple(settings))


def packages_from(info: GoBuildInfo, location: str) -> tuple[Package, ...]:
    """Packages for one Go binary: the Go stdlib, the main module and each dependency."""
    out = [Package(Ecosystem.GOLANG, "stdlib", info.go_version.removeprefix("go"), location)]
    if info.main[0]:
        out.append(Package(Ecosystem.GOLANG, info.main[0], info.main[1], location))
    out.extend(Package(Ecosystem.GOLANG, name, version, location) for name, version in info.deps)
    return tuple(out)
