"""``inspect`` as an SPDX 2.3 JSON document, built and written with ``spdx-tools`` (the ``sbom``
extra): one package for the image (purpose ``CONTAINER``, which the document describes and
which contains every other), one per installed package with its purl as an external reference,
its version and declared licence (``NOASSERTION`` when unknown or not an SPDX expression), and
finalstage's facts (introducing layer, bytes, location) in the package comment, SPDX 2.3
having no free-form properties.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from typing import ClassVar

from finalstage._version import __version__
from finalstage.facts.summary import InspectResult
from finalstage.findings import Report
from finalstage.report._base import Reporter
from finalstage.report.sbom import Component, components, inspected, missing, properties

try:
    from license_expression import ExpressionError, get_spdx_licensing
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        CreationInfo,
        Document,
        ExternalPackageRef,
        ExternalPackageRefCategory,
        Package,
        PackagePurpose,
        Relationship,
        RelationshipType,
        SpdxNoAssertion,
    )
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream
except ImportError as err:  # the sbom extra is not installed
    raise missing("spdx", err) from err

NAMESPACE = "https://spdx.org/spdxdocs/finalstage"


def _license(text: str | None) -> object:
    if not text:
        return SpdxNoAssertion()
    licensing = get_spdx_licensing()
    try:
        expression = licensing.parse(text, validate=True, strict=True)
    except ExpressionError:
        return SpdxNoAssertion()
    return expression if expression is not None else SpdxNoAssertion()


def _package(c: Component, number: int) -> Package:
    p = c.package
    declared = _license(p.license)
    comment = "; ".join(f"{k.removeprefix('finalstage:')}={v}" for k, v in properties(c))
    if p.license and isinstance(declared, SpdxNoAssertion):
        comment += f"; declared licence (not an SPDX expression): {p.license}"
    return Package(
        spdx_id=f"SPDXRef-Package-{number}", name=p.name, version=p.version or None,
        download_location=SpdxNoAssertion(), files_analyzed=False,
        license_concluded=SpdxNoAssertion(), license_declared=declared,
        copyright_text=SpdxNoAssertion(), comment=f"finalstage: {comment}",
        external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER,
                                                "purl", c.purl)],
        primary_package_purpose=PackagePurpose.LIBRARY)


def spdx_document(result: InspectResult, created: datetime | None = None) -> Document:
    """The SPDX document of an inspected image."""
    image_hex = result.image_id.partition(":")[2] or result.image_id
    info = CreationInfo(
        spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", name=result.reference,
        document_namespace=f"{NAMESPACE}/{image_hex}-{uuid.uuid4()}",
        creators=[Actor(ActorType.TOOL, f"finalstage-{__version__}")],
        created=(created or datetime.now(UTC)).replace(microsecond=0, tzinfo=None))
    image = Package(
        spdx_id="SPDXRef-Image", name=result.reference, version=result.digest or result.image_id,
        download_location=SpdxNoAssertion(), files_analyzed=False,
        license_concluded=SpdxNoAssertion(), license_declared=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(), primary_package_purpose=PackagePurpose.CONTAINER,
        comment=f"finalstage: image_id={result.image_id}; "
                f"uncompressed_size={result.uncompressed_size}; layers={len(result.layers)}")
    packages = [_package(c, i) for i, c in enumerate(components(result), 1)]
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, "SPDXRef-Image")]
    relationships += [Relationship("SPDXRef-Image", RelationshipType.CONTAINS, p.spdx_id)
                      for p in packages]
    return Document(creation_info=info, packages=[image, *packages], relationships=relationships)


class SpdxReporter(Reporter):
    """The image's packages as an SPDX 2.3 JSON document."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        result = inspected(report, "spdx")
        stream = io.StringIO()
        write_document_to_stream(spdx_document(result), stream, validate=False)
        text = stream.getvalue()
        return text if text.endswith("\n") else text + "\n"


__all__ = ["SpdxReporter", "spdx_document"]
