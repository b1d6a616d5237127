"""The policy rules (FS9xx), one by one, on the hand-made fat image of the engine tests and on a
minimal one: each fires where its budget or ban is broken and passes where it is not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from make_layers import F, config, docker_archive, layer, sha

from finalstage.api.check import check
from finalstage.findings import Finding
from finalstage.settings import from_table
from tests.engine.test_engine_policy import archive, dockerfile


@pytest.fixture()
def slim(tmp_path: Path) -> str:
    tars = [layer([F("app", b"\x7fELF" + b"\0" * 100, mode=0o755)])]
    cfg = json.loads(config([sha(t) for t in tars], history=["COPY app /app # buildkit"]))
    cfg["config"] = {"User": "65532", "Entrypoint": ["/app"],
                     "Labels": {"org.opencontainers.image.base.name": "gcr.io/distroless/cc"}}
    return "docker-archive:" + docker_archive(str(tmp_path / "slim.tar"), tars,
                                              cfg=json.dumps(cfg).encode())


def found(ref: str, policy: dict[str, Any], code: str, **kwargs: Any) -> list[Finding]:
    report = check(ref, policy=from_table({"policy": policy}, "p.toml"), **kwargs)
    return [f for f in report.findings if code in (f.rule, *f.also)]


def test_fs901_fires_over_the_uncompressed_budget(tmp_path: Path) -> None:
    (f,) = found(archive(tmp_path), {"max-size": "1MB"}, "FS901")
    assert f.bytes is not None and f.bytes > 1_000_000 and "over the 1 MB budget" in f.message


def test_fs901_passes_within_budget(slim: str) -> None:
    assert found(slim, {"max-size": "1MB"}, "FS901") == []


def test_fs902_fires_over_the_compressed_budget(tmp_path: Path) -> None:
    (f,) = found(archive(tmp_path), {"max-size": {"compressed": "100kB"}}, "FS902")
    assert "compressed, over the 100 kB budget" in f.message


def test_fs902_passes_within_budget(slim: str) -> None:
    assert found(slim, {"max-size": {"compressed": "100kB"}}, "FS902") == []


def test_fs903_fires_over_the_layer_budget(tmp_path: Path) -> None:
    (f,) = found(archive(tmp_path), {"max-layers": 2}, "FS903")
    assert f.message == "image has 3 layers (5 history entries), more than the 2 layers allowed"


def test_fs903_passes_within_budget(slim: str) -> None:
    assert found(slim, {"max-layers": 1}, "FS903") == []


def test_fs905_fires_per_layer_for_a_category_without_a_rule(tmp_path: Path) -> None:
    ref = archive(tmp_path)
    report = check(ref, policy=from_table({"rules": {"forbidden-category": {
        "categories": ["compiler"]}}}, "p.toml"), select=["FS905"])
    layers = sorted(f.layer for f in report.findings if f.rule == "FS905")
    assert layers == [0, 1]  # ld in the base layer, gcc in the RUN layer: one finding each


def test_fs905_passes_when_the_category_is_absent(slim: str) -> None:
    assert found(slim, {"forbidden-categories": ["headers", "debug"]}, "FS905") == []


def test_fs906_fires_on_a_forbidden_path(tmp_path: Path) -> None:
    (f,) = found(archive(tmp_path), {"forbidden-paths": ["/etc/ssl/private"]}, "FS906")
    assert f.paths == ("/etc/ssl/private/key.pem",) and f.layer == 2


def test_fs906_passes_when_no_path_matches(slim: str) -> None:
    assert found(slim, {"forbidden-paths": ["/root", "/**/*.pem"]}, "FS906") == []


def test_fs907_fires_on_a_forbidden_package(tmp_path: Path) -> None:
    report = check(archive(tmp_path), policy=from_table(
        {"policy": {"forbidden-packages": ["deb:gcc-1?"]}}, "p.toml"), select=["FS907"])
    (f,) = report.findings
    assert f.rule == "FS907" and "deb:gcc-12 12.2.0-14" in f.message
    # with the compiler rule on too, the package and its compiler files are one finding
    (merged,) = found(archive(tmp_path), {"forbidden-packages": ["deb:gcc-1?"]}, "FS907")
    assert merged.rule == "FS201" and merged.also == ("FS907",)


def test_fs907_passes_when_no_package_matches(tmp_path: Path) -> None:
    # ecosystem-scoped: a Debian package is not an npm one
    assert found(archive(tmp_path), {"forbidden-packages": ["npm:gcc-12"]}, "FS907") == []


def test_fs910_fires_on_a_base_outside_the_list(tmp_path: Path) -> None:
    (f,) = found(archive(tmp_path), {"allowed-base-images": ["gcr.io/distroless/*"]}, "FS910",
                 dockerfile=dockerfile(tmp_path))
    assert f.location is not None and f.location.line == 5


def test_fs910_passes_on_an_allowed_base_from_the_label(slim: str) -> None:
    assert found(slim, {"allowed-base-images": ["gcr.io/distroless/*"]}, "FS910") == []


def test_fs911_fires_on_a_failing_structure_test(tmp_path: Path, slim: str) -> None:
    cst = tmp_path / "cst.yaml"
    cst.write_text("schemaVersion: 2.0.0\nfileExistenceTests:\n"
                   "  - name: no shell\n    path: /app\n    shouldExist: false\n")
    report = check(slim, policy=from_table({}, "p.toml"), cst=[cst])
    (f,) = [f for f in report.findings if f.rule == "FS911"]
    assert "structure test failed: File Existence Test: no shell" in f.message
    assert [t.status for t in report.detail.structure_tests] == ["fail"]


def test_fs911_passes_when_every_structure_test_passes(tmp_path: Path, slim: str) -> None:
    cst = tmp_path / "cst.yaml"
    cst.write_text("schemaVersion: 2.0.0\nfileExistenceTests:\n"
                   "  - name: app\n    path: /app\n    shouldExist: true\n")
    report = check(slim, policy=from_table({}, "p.toml"), cst=[cst])
    assert report.findings == () and report.exit_code == 0
