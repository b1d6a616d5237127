"""What both SBOM formats (CycloneDX, SPDX) say about each package of an image: its package URL
(purl), version, declared licence, the layer that introduced it and its bytes.

The purl follows the purl specification's types (``deb``, ``apk``, ``rpm``, ``npm``, ``pypi``,
``golang``, ``maven``, ``gem``). Debian-family packages get the ``ubuntu`` namespace when the
version says so, else ``debian``: the image's ``os-release`` is not part of the analysis.
The layer a package was introduced by is the lowest layer that holds one of its files (for a
package the database lists no files of, the layer of its database record).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from finalstage.analysis.packages.model import Ecosystem, Package
from finalstage.errors import UsageError
from finalstage.facts.summary import InspectResult
from finalstage.findings import Report

INSTALL_HINT = "pip install 'finalstage[sbom]'"


def missing(fmt: str, err: ImportError) -> UsageError:
    """The error for an SBOM format whose library is not installed."""
    return UsageError(f"--format {fmt} needs {err.name or 'its library'}: {INSTALL_HINT}")


try:  # loaded only with the SBOM reporters (``OutputFormat.reporter``)
    from packageurl import PackageURL
except ImportError as err:  # the sbom extra is not installed
    raise missing("cyclonedx|spdx", err) from err


@dataclass(frozen=True)
class Component:
    """One package as an SBOM component."""

    package: Package
    purl: str
    ref: str                    # unique within the document
    layer: int | None           # the layer that introduced it


def inspected(report: Report, fmt: str) -> InspectResult:
    """The inspect summary an SBOM is made from, or UsageError saying why there is none."""
    detail = report.detail
    if not isinstance(detail, InspectResult):
        raise UsageError(f"{fmt} output is for inspect, not {report.command}")
    if detail.analysis is None:
        raise UsageError(f"{fmt} output needs the content analysis: drop --no-classify")
    return detail


def purl_parts(p: Package) -> tuple[str, str | None, str, dict[str, str]]:
    """(type, namespace, name, qualifiers) of a package's purl."""
    eco = p.ecosystem
    qualifiers = {"arch": p.arch} if p.arch else {}
    if eco is Ecosystem.DEB:
        return "deb", "ubuntu" if "ubuntu" in p.version else "debian", p.name, qualifiers
    if eco is Ecosystem.APK:
        return "apk", "alpine", p.name, qualifiers
    if eco is Ecosystem.RPM:
        return "rpm", None, p.name, qualifiers
    if eco is Ecosystem.NPM and p.name.startswith("@") and "/" in p.name:
        scope, _, name = p.name.partition("/")
        return "npm", scope, name, {}
    if eco in (Ecosystem.GOLANG, Ecosystem.MAVEN):
        sep = "/" if eco is Ecosystem.GOLANG else ":"
        namespace, found, name = p.name.rpartition(sep)
        return eco.value, namespace if found else None, name, {}
    if eco is Ecosystem.PYPI:
        return "pypi", None, p.name.lower().replace("_", "-").replace(".", "-"), {}
    return eco.value, None, p.name, {}


def introduced_by(p: Package, record_layer: int | None) -> int | None:
    """The layer that introduced ``p``: its lowest layer with files, else its record's."""
    return min(p.layers) if p.layers else record_layer


def purl_of(p: Package) -> str:
    """The package URL of ``p``."""
    kind, namespace, name, qualifiers = purl_parts(p)
    return PackageURL(type=kind, namespace=namespace, name=name, version=p.version or None,
                      qualifiers=qualifiers or None).to_string()


def components(result: InspectResult) -> list[Component]:
    """Every package of the image, sorted, with a unique reference each."""
    assert result.analysis is not None
    tree = result.merged
    packages = sorted(result.analysis.packages,
                      key=lambda p: (p.ecosystem, p.name, p.version, p.location))
    seen: Counter[str] = Counter()
    out = []
    for p in packages:
        purl = purl_of(p)
        seen[purl] += 1
        ref = purl if seen[purl] == 1 else f"{purl}#{seen[purl]}"
        entry = tree.get(p.location) if tree is not None and p.location else None
        out.append(Component(p, purl, ref, introduced_by(p, entry.layer if entry else None)))
    return out


def properties(c: Component) -> list[tuple[str, str]]:
    """The finalstage facts of a component: introducing layer, all layers, bytes, location."""
    p = c.package
    props = [("finalstage:layer", str(c.layer))] if c.layer is not None else []
    if p.layers:
        props.append(("finalstage:layers", ",".join(map(str, p.layers))))
    if p.bytes is not None:
        props.append(("finalstage:bytes", str(p.bytes)))
    if p.location:
        props.append(("finalstage:location", "/" + p.location))
    if p.is_dev:
        props.append(("finalstage:dev", "true"))
    return props


__all__ = ["INSTALL_HINT", "Component", "components", "inspected", "introduced_by", "missing",
           "properties", "purl_of", "purl_parts"]
