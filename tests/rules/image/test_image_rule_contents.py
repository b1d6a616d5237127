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


def test_fs204_spares_a_wheels_own_c_source_in_a_pip_target_tree(tmp_path: Path) -> None:
    # `pip install --target=/deps` of markupsafe ships _speedups.c beside its .so, listed in
    # the wheel's RECORD: the library's file, not the application's source; app/main.c is.
    record = (b"markupsafe/__init__.py,,\nmarkupsafe/_speedups.c,,\n"
              b"markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so,,\n"
              b"markupsafe-2.1.5.dist-info/METADATA,,\nmarkupsafe-2.1.5.dist-info/RECORD,,\n")
    deps = layer([
        F("opt/deps/markupsafe/__init__.py", b"i" * 100),
        F("opt/deps/markupsafe/_speedups.c", b"c" * 900),
        F("opt/deps/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so", b"s" * 800,
          mode=0o755),
        F("opt/deps/markupsafe-2.1.5.dist-info/METADATA",
          b"Metadata-Version: 2.1\nName: MarkupSafe\nVersion: 2.1.5\n"),
        F("opt/deps/markupsafe-2.1.5.dist-info/RECORD", record)])
    app = layer([F("app/main.c", b"m" * 300), F("app/server", b"x" * 2000, mode=0o755)])
    image = "docker-archive:" + docker_archive(str(tmp_path / "w.tar"), [deps, app])
    ex = examine(open_image(image))
    assert [p.name for p in ex.analysis.packages if p.name.lower() == "markupsafe"]
    [found] = [f for f in ex.findings if f.rule == "FS204"]
    assert found.paths == ("/app/main.c",) and "/app/server" in found.message
