"""YAML rule cases (sqlfluff's shape): ``cases/<CODE>.yml`` holds ``rule:`` and named cases.

Each case gives ``dockerfile`` text and the expected ``findings`` of that rule as a list of
``{line: N}`` (optionally ``message:`` a substring that must appear, ``source_line:`` the exact
text shown, ``severity:`` error/warning/info). ``findings: []`` proves the rule passes. Optional
keys: ``build_args``, ``target``, ``select`` (default: the rule itself), ``config`` (a LintConfig
table as in finalstage.toml), ``disable_ignore_pragma``, and ``context`` (files of the build
context, name → text, ``.dockerignore`` included): with it the Dockerfile is written beside
those files and linted from disk, as the command line does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from finalstage.api.lint import lint as lint_paths
from finalstage.api.lint import lint_text
from finalstage.settings import Settings
from finalstage.settings import from_table as _from_table

CASES = Path(__file__).parent / "cases"
_CASE_KEYS = {"dockerfile", "findings", "build_args", "target", "select", "config",
              "disable_ignore_pragma", "description", "context"}


def load_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(rule code, case name, case) for every case of every file."""
    out = []
    for path in sorted(CASES.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rule = data.pop("rule")
        for name, case in data.items():
            unknown = set(case) - _CASE_KEYS
            assert not unknown, f"{path.name}:{name}: unknown keys {unknown}"
            out.append((rule, f"{path.stem}:{name}", case))
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule_case" in metafunc.fixturenames:
        cases = load_cases()
        metafunc.parametrize("rule_case", cases, ids=[c[1] for c in cases])


def test_rule_case(rule_case: tuple[str, str, dict[str, Any]], tmp_path: Path) -> None:
    rule, _name, case = rule_case
    config = _from_table(case.get("config", {}), "<case>") if "config" in case else None
    rules = rule.split("_")
    if rule == "FS001":
        findings = _lint_as_one_of_many(case, tmp_path)
    elif "context" in case:
        findings = _lint_in_context(case, tmp_path, config, rules)
    else:
        findings = lint_text(
            case["dockerfile"],
            build_args=case.get("build_args"),
            target=case.get("target"),
            settings=config,
            select=case.get("select", rules),
            disable_ignore_pragma=case.get("disable_ignore_pragma", False),
        )
    got = [f for f in findings if f.rule in rules or "select" in case]
    expected = case["findings"]
    assert [f.location.line for f in got] == [e["line"] for e in expected], \
        "\n".join(f"{f.rule} {f.location.line}: {f.message}" for f in got)
    for finding, want in zip(got, expected):
        if "rule" in want:
            assert finding.rule == want["rule"]
        if "message" in want:
            assert want["message"] in finding.message
        if "source_line" in want:
            assert finding.source_line == want["source_line"]
        if "severity" in want:
            assert finding.severity.value == want["severity"], finding.message
        assert not finding.message.endswith("."), "messages carry no trailing period"


def _lint_as_one_of_many(case: dict[str, Any], tmp_path: Path) -> list[Any]:
    """FS001 only exists when several files are linted: lint the case next to a valid file."""
    from finalstage.settings import Settings as LintConfig
    from finalstage.api.lint import lint as lint_paths

    broken = tmp_path / "Dockerfile"
    broken.write_text(case["dockerfile"], encoding="utf-8")
    valid = tmp_path / "ok.Dockerfile"
    valid.write_text("FROM scratch\n", encoding="utf-8")
    report = lint_paths([str(broken), str(valid)], settings=LintConfig(), select=["FS001"],
                        target=case.get("target"))
    return [f for f in report.findings if f.location and f.location.file == str(broken)]


def _lint_in_context(case: dict[str, Any], tmp_path: Path, config: Any,
                     rules: list[str]) -> list[Any]:
    """Write the build context's files and the Dockerfile into one directory; lint from disk."""
    for name, text in case["context"].items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(case["dockerfile"], encoding="utf-8")
    report = lint_paths([str(dockerfile)], settings=config or Settings(),
                        select=case.get("select", rules), build_args=case.get("build_args"),
                        target=case.get("target"))
    return list(report.findings)
