"""``--format html``: one self-contained page for ``inspect``, ``check`` and ``diff`` (and a
static one, no script, for a fleet ``scan``: ``report.scan_html``).

The page holds its data (JSON, built by ``data.page_data``), its code (``app.js``) and its
treemap layout library inline: d3-hierarchy 3.1.3 (ISC), vendored as published
(``vendor/d3-hierarchy.min.js``, its licence beside it). A Content-Security-Policy allows only
the page's own scripts and style, by hash, and no connection of any kind: the file makes no
network request and runs nothing injected into it. The data is JSON inside a
``<script type="application/json">`` with ``<``, ``>`` and ``&`` escaped, so no value can end
that element; the page inserts every value with ``textContent``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from functools import cache
from pathlib import Path
from typing import ClassVar

from finalstage._version import __version__
from finalstage.errors import UsageError
from finalstage.escape import one_line
from finalstage.findings import Report
from finalstage.report._base import Reporter
from finalstage.report.html.data import page_data
from finalstage.report.scan_html import render_fleet_html
from finalstage.scan.model import FleetReport

HERE = Path(__file__).parent
_SLOT = re.compile(r"\{\{(\w+)\}\}")
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


@cache
def _asset(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def embed_json(data: object) -> str:
    """``data`` as JSON that cannot close or break out of the script element holding it."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).translate(_SCRIPT_SAFE)


def render_page(data: dict[str, object], title: str) -> str:
    """The whole page for ``data`` (see ``page_data``)."""
    style, vendor, app = _asset("app.css"), _asset("vendor/d3-hierarchy.min.js"), _asset("app.js")
    csp = (f"default-src 'none'; script-src {_hash(vendor)} {_hash(app)}; "
           f"style-src {_hash(style)}; "
           "connect-src 'none'; form-action 'none'; base-uri 'none'")
    values = {
        "csp": html.escape(csp), "title": html.escape(title), "style": style,
        "version": html.escape(__version__), "data": embed_json(data),
        "vendor": vendor, "app": app,
    }
    # One pass over the template: what was inserted is never searched again.
    return _SLOT.sub(lambda m: values[m.group(1)], _asset("page.html"))


class HtmlReporter(Reporter):
    """One offline HTML page with a treemap, the layers, findings and packages."""

    human_readable: ClassVar[bool] = False

    def render(self, report: Report) -> str:
        if isinstance(report.detail, FleetReport):
            return render_fleet_html(report.detail)
        if report.command not in ("inspect", "check", "diff"):
            raise UsageError(f"html output is for inspect, check and diff, not {report.command}")
        target = " → ".join(report.targets) or report.command
        return render_page(page_data(report), one_line(f"finalstage {report.command}: {target}"))


__all__ = ["HtmlReporter", "embed_json", "render_page"]
