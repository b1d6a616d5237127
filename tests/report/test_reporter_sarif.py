"""The SARIF reporter, validated against the official OASIS SARIF 2.1.0 schema.

tests/report/data/README.md says where the schema files come from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, validators
from tests.report._reports import DATA, REPORTS, check_report, lint_report

from finalstage.findings import Finding, Location, Report, RuleInfo, Severity
from finalstage.report import render
from finalstage.report.sarif import artifact_uri

OASIS = DATA / "sarif-schema-2.1.0.json"
SDK = DATA / "sarif-2.1.0-sarif-sdk.json"


def _validator(path: Path) -> Any:
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def schemas() -> list[Any]:
    return [_validator(OASIS), _validator(SDK)]


def _errors(schemas: list[Any], doc: object) -> list[str]:
    return [f"{e.json_path}: {e.message}" for v in schemas for e in v.iter_errors(doc)]


def test_the_official_schema_is_the_oasis_one() -> None:
    schema = json.loads(OASIS.read_text(encoding="utf-8"))
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert validators.validator_for(schema) is Draft4Validator


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_valid_against_schemas(schemas: list[Any], name: str) -> None:
    doc = json.loads(render(REPORTS[name](), "sarif"))
    assert _errors(schemas, doc) == []


def test_schema_catches_a_broken_log(schemas: list[Any]) -> None:
    # Proves the validator is really checking: a wrong level must be rejected by both.
    doc = json.loads(render(lint_report(), "sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert len(_errors(schemas, doc)) == 2


def test_rules_table_and_results() -> None:
    doc = json.loads(render(check_report(), "sarif"))
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    driver = run["tool"]["driver"]
    assert driver["name"] == "finalstage"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["FS101", "FS103", "FS301", "FS402"]
    fs103 = rules[1]
    assert fs103["name"] == "copy-entire-context"
    assert fs103["shortDescription"]["text"] == "The final stage copies the whole build context"
    assert fs103["fullDescription"]["text"] == (
        "Flags `COPY . .` and `ADD . .` in a stage that reaches the final image."
    )
    assert fs103["help"]["markdown"].startswith("The final stage copies")
    assert fs103["defaultConfiguration"] == {"level": "error"}
    assert rules[3]["defaultConfiguration"] == {"level": "note"}  # info
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    image, attributed = run["results"]
    assert image["level"] == "warning"
    # an image finding with no Dockerfile line: shown at the Dockerfile (code scanning shows
    # results only at files of the repository), placed in the image by logical locations
    physical = image["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
    logical = image["locations"][0]["logicalLocations"]
    assert logical[0] == {"name": "app:1.0", "kind": "module"}
    assert logical[1]["name"] == "layer 2"
    assert logical[2]["name"] == image["properties"]["paths"][0]
    assert image["properties"]["bytes"] == 45_678_901
    assert image["properties"]["layer"] == 2
    assert len(image["properties"]["paths"]) == 7
    assert len(image["partialFingerprints"]["finalstage/v1"]) == 32
    assert attributed["level"] == "note"
    region = attributed["locations"][0]["physicalLocation"]["region"]
    assert region == {
        "startLine": 12,
        "startColumn": 1,
        "endLine": 12,
        "endColumn": len("ENTRYPOINT /app --port 80%") + 1,  # every region has an end
        "snippet": {"text": "ENTRYPOINT /app --port 80%"},
    }
    assert run["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"]


def test_end_column_is_exclusive() -> None:
    doc = json.loads(render(lint_report(), "sarif"))
    region = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    # Location(…, 9, 1, 9, 8) covers "COPY . ." (8 characters); SARIF ends after them.
    assert (region["startColumn"], region["endLine"], region["endColumn"]) == (1, 9, 9)


def test_rule_only_seen_in_findings_gets_a_descriptor(schemas: list[Any]) -> None:
    finding = Finding("FS999", "made-up", Severity.STYLE, "m", location=Location("D", 1))
    report = Report(
        command="lint",
        findings=(finding,),
        rules=(RuleInfo("FS100", "a", "A", Severity.ERROR, ""),),
    )
    doc = json.loads(render(report, "sarif"))
    assert [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]] == ["FS100", "FS999"]
    assert doc["runs"][0]["results"][0]["ruleIndex"] == 1
    assert _errors(schemas, doc) == []


def test_fingerprint_ignores_sizes_and_the_image_reference() -> None:
    def fp(n: int, image: str = "x") -> str:
        f = Finding("FS301", "n", Severity.WARNING, f"{n} bytes wasted", bytes=n, layer=1,
                    paths=("/a",))
        doc = json.loads(render(Report(command="check", findings=(f,), targets=(image,)),
                                "sarif"))
        return doc["runs"][0]["results"][0]["partialFingerprints"]["finalstage/v1"]

    assert fp(1) == fp(2)
    # a new tag (or digest) of the same image is the same alert in code scanning
    assert fp(1, "registry.example/app:1.0") == fp(1, "registry.example/app:1.1@sha256:" + "a" * 64)


def test_every_result_has_a_fingerprint_and_regions_have_ends() -> None:
    doc = json.loads(render(check_report(), "sarif"))
    for result in doc["runs"][0]["results"]:
        assert len(result["partialFingerprints"]["finalstage/v1"]) == 32
        region = result["locations"][0].get("physicalLocation", {}).get("region")
        if region is not None:
            assert region["endColumn"] > region["startColumn"] or region["endLine"] > \
                region["startLine"]


def test_artifact_uri(tmp_path: Path) -> None:
    assert artifact_uri("Dockerfile") == "Dockerfile"
    assert artifact_uri("./svc/Dockerfile") == "svc/Dockerfile"
    assert artifact_uri("a b/Docker#file") == "a%20b/Docker%23file"
    assert artifact_uri("../up/Dockerfile") == "../up/Dockerfile"
    assert artifact_uri(str(tmp_path / "x" / "Dockerfile"), cwd=tmp_path) == "x/Dockerfile"
    assert artifact_uri("/elsewhere/Dockerfile", cwd=tmp_path) == "file:///elsewhere/Dockerfile"
    undecodable = b"/d/\xff".decode("utf-8", "surrogateescape")
    assert artifact_uri(undecodable, cwd=tmp_path) == "file:///d/%FF"
    assert artifact_uri("/nul\x00byte", cwd=tmp_path) == "file:///nul%00byte"
    assert artifact_uri("\ud800") == "%ED%A0%80"  # not from a decoder: kept, not a crash


def test_information_uri_is_optional(monkeypatch: pytest.MonkeyPatch, schemas: list[Any]) -> None:
    from finalstage.report import sarif

    monkeypatch.setattr(sarif, "_information_uri", lambda: None)
    doc = json.loads(render(lint_report(), "sarif"))
    assert "informationUri" not in doc["runs"][0]["tool"]["driver"]
    assert _errors(schemas, doc) == []
    monkeypatch.setattr(sarif, "_information_uri", lambda: "https://example.org/fs")
    doc = json.loads(render(lint_report(), "sarif"))
    assert doc["runs"][0]["tool"]["driver"]["informationUri"] == "https://example.org/fs"
