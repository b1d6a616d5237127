"""Lint configuration: finalstage.toml / [tool.finalstage], discovery, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from finalstage.config import LintConfig, find_config, load_config
from finalstage.errors import UsageError
from finalstage.findings import Severity
from finalstage.lint import lint_paths

DOCKERFILE = "FROM alpine\nCOPY . /app\n"  # FS102 (warning) line 1, FS103 (error) line 2, FS109


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_full_config_is_read(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path / "finalstage.toml", """
select = ["FS1"]
ignore = ["root-user"]
failure-threshold = "warning"
[severity-overrides]
FS102 = "error"
unpinned-base-image = "error"
[rules.sdk-base-image]
allowed-images = ["golang"]
[policy]
max_size = "80MB"
"""))
    assert cfg.select == ("FS1",)
    assert cfg.ignore == ("root-user",)
    assert cfg.failure_threshold is Severity.WARNING
    assert cfg.severity_overrides == {"FS102": Severity.ERROR}
    assert cfg.rule_options == {"sdk-base-image": {"allowed-images": ("golang",)}}


def test_pyproject_tool_table(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path / "pyproject.toml",
                             '[project]\nname = "x"\n[tool.finalstage]\nignore = ["FS109"]\n'))
    assert cfg.ignore == ("FS109",)


@pytest.mark.parametrize("text, message", [
    ('selekt = ["FS1"]', "unknown key 'selekt'"),
    ('select = "FS1"\nignore = [1]', "ignore must be a list of strings"),
    ('failure-threshold = "fatal"', "failure-threshold must be one of"),
    ('[severity-overrides]\nFS999 = "error"', "unknown rule 'FS999'"),
    ('[severity-overrides]\nFS101 = "loud"', "severity-overrides.FS101 must be one of"),
    ('[rules.no-such-rule]\nx = 1', "unknown rule 'no-such-rule'"),
    ('[rules.sdk-base-image]\nallowed = ["x"]', "unknown option 'allowed'"),
    ('[rules.sdk-base-image]\nallowed-images = "golang"', "must be a list of strings"),
    ("select = [", "invalid toml"),
])
def test_bad_config_names_key_and_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "finalstage.toml", text)
    with pytest.raises(UsageError) as info:
        load_config(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_discovery_walks_up_and_prefers_nearest(tmp_path: Path) -> None:
    _write(tmp_path / "finalstage.toml", 'ignore = ["FS109"]\n')
    _write(tmp_path / "svc" / "pyproject.toml", '[project]\nname = "x"\n')  # no tool table
    deep = tmp_path / "svc" / "docker"
    deep.mkdir(parents=True)
    assert find_config(deep).ignore == ("FS109",)
    _write(tmp_path / "svc" / "pyproject.toml", '[tool.finalstage]\nignore = ["FS102"]\n')
    assert find_config(deep).ignore == ("FS102",)


def test_lint_uses_discovered_config(tmp_path: Path) -> None:
    _write(tmp_path / "finalstage.toml",
           'ignore = ["FS103", "FS109"]\n[severity-overrides]\nFS102 = "error"\n')
    dockerfile = _write(tmp_path / "app" / "Dockerfile", DOCKERFILE)
    report = lint_paths([dockerfile])
    assert [(f.rule, f.severity) for f in report.findings] == [("FS102", Severity.ERROR)]
    assert report.is_failed


def test_cli_select_replaces_config_select_and_ignore_adds(tmp_path: Path) -> None:
    cfg = LintConfig(select=("FS102",), ignore=("FS109",))
    dockerfile = _write(tmp_path / "Dockerfile", DOCKERFILE)
    assert [f.rule for f in lint_paths([dockerfile], config=cfg).findings] == ["FS102"]
    report = lint_paths([dockerfile], config=cfg, select=["FS1"], ignore=["FS102"])
    assert [f.rule for f in report.findings] == ["FS103"]


def test_failure_threshold_from_config(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path / "Dockerfile", "FROM alpine\nUSER 1000\n")  # FS102 warning
    assert not lint_paths([dockerfile], config=LintConfig()).is_failed
    report = lint_paths([dockerfile], config=LintConfig(failure_threshold=Severity.WARNING))
    assert report.fail_on is Severity.WARNING and report.is_failed
    # An explicit --fail-on beats the config.
    report = lint_paths([dockerfile], config=LintConfig(failure_threshold=Severity.WARNING),
                        fail_on=Severity.ERROR)
    assert not report.is_failed


def test_config_path_argument(tmp_path: Path) -> None:
    path = _write(tmp_path / "conf" / "lint.toml", 'select = ["FS103"]\n')
    dockerfile = _write(tmp_path / "Dockerfile", DOCKERFILE)
    report = lint_paths([dockerfile], config=str(path))
    assert [f.rule for f in report.findings] == ["FS103"]


def test_deeply_nested_config_is_one_usage_error(tmp_path: Path) -> None:
    # tomllib recurses per nesting level: without a guard this was a RecursionError crash
    path = _write(tmp_path / "finalstage.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(UsageError, match="nested too deeply") as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_deeply_nested_pyproject_is_skipped_by_discovery(tmp_path: Path) -> None:
    # someone else's broken pyproject.toml on the way up is not ours to report
    _write(tmp_path / "pyproject.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert find_config(tmp_path).ignore == ()
