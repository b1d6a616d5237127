"""The XML document shared by the JUnit and checkstyle reporters (kept apart from ``_base`` so
that formats without XML never load ElementTree)."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def xml_document(root: ET.Element) -> str:
    """``root`` as an XML document: UTF-8 declaration, two-space indent, one final newline."""
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"


__all__ = ["xml_document"]
