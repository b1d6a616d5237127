"""The registry and the rule conventions (ruff ``registry.rs`` tests, sqlfluff docstring test)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from finalstage.errors import UsageError
from finalstage.findings import Severity
from finalstage.rules import (
    ALL_RULES,
    IMAGE_RULES,
    REDIRECTS,
    DockerfileRule,
    ImageRule,
    Needs,
    Option,
    get,
    select,
)
from finalstage.rules.docs import expected_files

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
IMAGE_TESTS = Path(__file__).parent / "image"
DOCKERFILE_RULES = tuple(r for r in ALL_RULES if not issubclass(r, ImageRule))


def test_codes_and_names_are_unique() -> None:
    codes = [r.code for r in ALL_RULES]
    names = [r.name for r in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)


def test_registry_is_in_code_order() -> None:
    codes = [r.code for r in ALL_RULES]
    assert codes == sorted(codes)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_round_trip_by_code_and_name(rule: type) -> None:
    assert get(rule.code) is rule
    assert get(rule.name) is rule
    assert get(rule.code.lower()) is rule


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_doc_sections_and_title(rule: type) -> None:
    doc = rule.doc()
    title = doc.splitlines()[0]
    assert title and not title.endswith(".") and title == rule.title()
    positions = [doc.index(s) for s in ("## What it does", "## Why is this bad?", "## Example",
                                        "Use instead:")]
    assert positions == sorted(positions)
    assert doc.count("```dockerfile") >= 2, "a bad example and a fixed one"
    assert isinstance(rule.severity, Severity)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_option_is_documented(rule: type) -> None:
    doc = rule.doc()
    for key, option in rule.options.items():
        assert isinstance(option, Option)
        assert f"- `{key}`" in doc


@pytest.mark.parametrize("rule", DOCKERFILE_RULES, ids=lambda r: r.code)
def test_every_rule_has_cases(rule: type) -> None:
    path = CASES / f"{rule.code}.yml"
    assert path.is_file(), f"missing {path}"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"rule: {rule.code}\n")
    assert "findings: []" in text, "a case proving the rule passes"
    assert re.search(r"line: \d+", text), "a case proving where the rule fires"


@pytest.mark.parametrize("rule", IMAGE_RULES, ids=lambda r: r.code)
def test_every_image_rule_has_tests(rule: type) -> None:
    # Image rules run on images, not Dockerfile text: their cases are tests in tests/rules/image
    # named test_<code>_fires… (proves where it fires) and test_<code>_passes… (proves it passes).
    text = "\n".join(p.read_text(encoding="utf-8") for p in IMAGE_TESTS.glob("test_*.py"))
    code = rule.code.lower()
    assert re.search(rf"^def test_{code}_fires", text, re.MULTILINE), f"no test_{code}_fires*"
    assert re.search(rf"^def test_{code}_passes", text, re.MULTILINE), f"no test_{code}_passes*"


def test_image_rules_are_the_content_size_and_policy_families() -> None:
    # FS2xx content, FS3xx size, FS9xx policy budgets read the image; FS4xx runtime config
    # judges from the image config or the Dockerfile, whichever is given (one rule per fact).
    assert IMAGE_RULES and all(r.code[2] in "239" for r in IMAGE_RULES)
    assert all(issubclass(r, ImageRule) == (r.code[2] in "239") for r in ALL_RULES)
    assert all(r.needs is Needs.EITHER for r in ALL_RULES if r.code[2] == "4")


def test_generated_docs_match_the_rules() -> None:
    docs = REPO / "docs" / "rules"
    for name, text in expected_files(ALL_RULES).items():
        page = docs / name
        assert page.is_file(), f"docs/rules/{name} missing: run scripts/gen_rule_docs.py"
        assert page.read_text(encoding="utf-8") == text, \
            f"docs/rules/{name} out of date: run scripts/gen_rule_docs.py"


def test_gen_rule_docs_check_mode_passes() -> None:
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_rule_docs.py"),
                             "--check"], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr


def test_name_convention_is_enforced_at_class_definition() -> None:
    with pytest.raises(TypeError, match="must name the pattern"):
        class AvoidThing(DockerfileRule):
            """Title

            ## What it does
            x
            ## Why is this bad?
            x
            ## Example
            ```dockerfile
            FROM a
            ```
            Use instead:
            ```dockerfile
            FROM b
            ```
            """

            code = "FS999"
            name = "avoid-thing"
            severity = Severity.WARNING


@pytest.mark.parametrize("code, problem", [("F101", "FS \\+ three digits"),
                                           ("FS1011", "FS \\+ three digits")])
def test_code_format_is_enforced(code: str, problem: str) -> None:
    with pytest.raises(TypeError, match=problem):
        type("Bad", (DockerfileRule,), {"code": code, "name": "bad-thing",
                                         "severity": Severity.WARNING, "__doc__": "x"})


def test_doc_section_order_is_enforced() -> None:
    doc = ("Title\n\n## Why is this bad?\nx\n## What it does\nx\n## Example\n```dockerfile\n"
           "FROM a\n```\nUse instead:\n```dockerfile\nFROM b\n```\n")
    with pytest.raises(TypeError, match="order"):
        type("Bad", (DockerfileRule,), {"code": "FS998", "name": "bad-order",
                                         "severity": Severity.WARNING, "__doc__": doc})


def test_missing_section_is_enforced() -> None:
    doc = "Title\n\n## What it does\nx\n## Example\n```dockerfile\nFROM a\n```\n"
    with pytest.raises(TypeError, match="missing"):
        type("Bad", (DockerfileRule,), {"code": "FS997", "name": "bad-doc",
                                         "severity": Severity.WARNING, "__doc__": doc})


def test_select_by_prefix_name_group_and_ignore() -> None:
    assert {r.code for r in select(["FS10"])} == {f"FS10{i}" for i in range(1, 9)}
    assert {r.code for r in select(["FS3"])} == {"FS301", "FS302", "FS303"}
    assert [r.code for r in select(["sdk-base-image"])] == ["FS101"]
    assert {r.code for r in select(["secrets"])} == {"FS111", "FS112", "FS208"}
    assert "FS103" not in {r.code for r in select(None, ["FS103"])}
    # The more specific reference wins: a code beats a prefix in either direction.
    assert [r.code for r in select(["FS101"], ["FS1"])] == ["FS101"]
    assert "FS101" not in {r.code for r in select(["FS1"], ["FS101"])}
    assert select(["ALL"]) == ALL_RULES


def test_unknown_selector_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown rule selector: 'FS8'"):
        select(["FS8"])
    with pytest.raises(UsageError, match="unknown rule"):
        get("no-such-rule")


def test_redirects_point_at_existing_rules() -> None:
    for old, new in REDIRECTS.items():
        assert old not in {r.code for r in ALL_RULES} | {r.name for r in ALL_RULES}
        get(new)
