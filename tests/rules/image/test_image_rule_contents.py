"""The contents renderer (report/contents.py) on a hand-made image whose numbers are known."""

from __future__ import annotations

import json
from pathlib import Path

from make_layers import F, docker_archive, layer

from finalstage.image.open import open_image
from tests.harness.examine import examine
from finalstage.report.contents import contents_data, render_contents_text


def _image(tmp_path: Path) -> str:
    base = layer([F("usr/share/doc/pkg/README.md", b"d" * 3000),
                  F("usr/bin/make", b"m" * 5000, mode=0o755)])
    app = layer([F("app/tests/test_x.py", b"t" * 700), F("app/main.go", b"g" * 400),
                 F("app/\x1b]0;pwned\x07.go", b"e" * 10)])
    return "docker-archive:" + docker_archive(str(tmp_path / "c.tar"), [base, app])


def test_contents_data_categories_layers_and_findings(tmp_path: Path) -> None:
    ex = examine(open_image(_image(tmp_path)))
    data = contents_data(ex.analysis)
    json.dumps(data)  # JSON-ready
    cats = {c["category"]: c for c in data["categories"]}
    assert cats["build-tool"]["bytes"] == 5000 and cats["build-tool"]["layer"] == 0
    assert cats["tests"]["top"] == [{"path": "/app/tests/test_x.py", "bytes": 700}]
    assert cats["tests"]["by_layer"] == [{"layer": 1, "bytes": 700, "files": 1}]
    assert cats["source"]["bytes"] == 410 and cats["source"]["files"] == 2
    assert [c["bytes"] for c in data["categories"]] == sorted(
        (c["bytes"] for c in data["categories"]), reverse=True)
    # the findings are the report's (one JSON shape for every command)
    rules = {f.rule: f for f in ex.findings}
    assert rules["FS202"].paths == ("/usr/bin/make",) and rules["FS202"].bytes == 5000
    assert rules["FS205"].layer == 1 and rules["FS205"].paths == ("/app/tests/test_x.py",)


def test_text_escapes_hostile_names(tmp_path: Path) -> None:
    ex = examine(open_image(_image(tmp_path)))
    text = render_contents_text(ex.analysis, ex.findings, packages=True)
    assert "\x1b" not in text and "\x07" not in text
    assert "build tools" in text and "5 kB" in text and "FS205 error" in text
