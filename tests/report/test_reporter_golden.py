"""Every format on the fixed reports, compared with hand-checked files in golden/.

The golden files were reviewed line by line against the fixed reports in conftest.py (sizes
worked out by hand: 45,678,901 B = 45.7 MB; SARIF endColumn = inclusive end + 1; GitHub
escapes %, CR, LF, and also : and , in properties).
"""

from __future__ import annotations

import pytest
from tests.report._reports import REPORTS, assert_golden

from finalstage.report import render

EXTENSIONS = {
    "text": "txt",
    "json": "json",
    "sarif": "sarif",
    "junit": "xml",
    "github": "github.txt",
    "gitlab": "gitlab.json",
    "checkstyle": "checkstyle.xml",
}


@pytest.fixture(autouse=True)
def _fixed_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tool version and home page are facts of the installation, not of the reporter.
    from finalstage.report import sarif

    monkeypatch.setattr(sarif, "__version__", "0.0.0-test")
    monkeypatch.setattr(sarif, "_information_uri", lambda: "https://finalstage.invalid/")
    monkeypatch.setattr(sarif, "_documentation_uri", lambda: "https://finalstage.invalid/docs")


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_golden(name: str, fmt: str) -> None:
    assert_golden(f"{name}.{EXTENSIONS[fmt]}", render(REPORTS[name](), fmt, color=False))


def test_golden_text_in_colour() -> None:
    assert_golden("lint.color.txt", render(REPORTS["lint"](), "text", color=True))
