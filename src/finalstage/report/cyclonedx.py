"""``inspect`` as a CycloneDX 1.6 JSON SBOM, built with ``cyclonedx-python-lib`` (the ``sbom``
extra): the image is the BOM's subject (a ``container`` component), each package a component
with its purl, version and declared licence, and finalstage's facts as properties
(``finalstage:layer`` — the layer that introduced it —, ``finalstage:bytes``…).

The library is imported with this module, which ``OutputFormat.reporter`` loads only for this
format; without it the format fails with one line naming the extra to install.
"""

from __future__ import annotations

from typing import ClassVar

from finalstage._version import __version__
from finalstage.facts.summary import InspectResult
from finalstage.findings import Report
from finalstage.report._base import Reporter
from finalstage.report.sbom import Component, components, inspected, missing, properties

try:
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.tool import ToolRepository
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL
except ImportError as err:  # the sbom extra is not installed
    raise missing("cyclonedx", err) from err
try:  # its home since cyclonedx-python-lib 11; the old one warns there
    from cyclonedx.contrib.license.factories import LicenseFactory
except ImportError:
    from cyclonedx.factory.license import LicenseFactory


def _component(c: Component, licenses: LicenseFactory) -> CdxComponent:
    p = c.package
    return CdxComponent(
        name=p.name, version=p.version or None, bom_ref=c.ref,
        type=ComponentType.LIBRARY, purl=PackageURL.from_string(c.purl),
        licenses=[licenses.make_from_string(p.license)] if p.license else None,
        properties=[Property(name=k, value=v) for k, v in properties(c)])


def _subject(result: InspectResult) -> CdxComponent:
    return CdxComponent(
        name=result.reference, version=result.digest or result.image_id,
        type=ComponentType.CONTAINER, bom_ref="image",
        properties=[Property(name="finalstage:image_id", value=result.image_id),
                    Property(name="finalstage:uncompressed_size",
                             value=str(result.uncompressed_size)),
                    Property(name="finalstage:layers", value=str(len(result.layers)))])


def cyclonedx_bom(result: InspectResult) -> Bom:
    """The BOM of an inspected image (components sorted, references unique)."""
    factory = LicenseFactory()
    subject = _subject(result)
    tool = CdxComponent(name="finalstage", version=__version__, type=ComponentType.APPLICATION,
                        bom_ref="finalstage")
    bom = Bom(metadata=BomMetaData(component=subject, tools=ToolRepository(components=[tool])))
    items = [_component(c, factory) for c in components(result)]
    for item in items:
        bom.components.add(item)
    bom.register_dependency(subject, items)
    return bom


class CycloneDxReporter(Reporter):
    """The image's packages as a CycloneDX 1.6 JSON document."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        result = inspected(report, "cyclonedx")
        text = JsonV1Dot6(cyclonedx_bom(result)).output_as_string(indent=2)
        return text if text.endswith("\n") else text + "\n"


__all__ = ["CycloneDxReporter", "cyclonedx_bom"]
