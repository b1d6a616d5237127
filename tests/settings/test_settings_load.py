"""Settings files: the config keys and the [policy] table are one thing, read one way.

Every key, both spellings, the places a file is found, and every kind of mistake (one line,
naming the file and the key, with a "did you mean" for near misses).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from finalstage.api.lint import lint as lint_paths
from finalstage.errors import UsageError
from finalstage.findings import Severity
from finalstage.settings import Settings, find_settings, load_settings
from finalstage.units import parse_size

DOCKERFILE = "FROM alpine\nCOPY . /app\n"  # FS102 (warning) line 1, FS103 (error) line 2, FS401

FULL_POLICY = """\
[policy]
max-size = { uncompressed = "80MB", compressed = "30MiB" }
max-layers = 12
max-waste = "5%"
forbidden-categories = ["compiler", "cache", "headers"]
forbidden-paths = ["/root/.cache", "/**/*.pem"]
forbidden-packages = ["gcc*", "npm:typescript", "PyPI:Flask"]
require-non-root = true
require-exec-form = true
allowed-base-images = ["gcr.io/distroless/*", "*-slim"]
fail-on = "warning"

[policy.severity]
FS905 = "warning"
max-layers = "info"
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_config_keys_are_read(tmp_path: Path) -> None:
    cfg = load_settings(_write(tmp_path / "finalstage.toml", """
select = ["FS1"]
ignore = ["root-user"]
failure-threshold = "warning"
[severity-overrides]
FS102 = "error"
unpinned-base-image = "error"
[rules.sdk-base-image]
allowed-images = ["golang"]
"""))
    assert cfg.select == ("FS1",)
    assert cfg.ignore == ("root-user",)
    assert cfg.fail_on is Severity.WARNING
    assert dict(cfg.severities) == {"FS102": Severity.ERROR}
    assert dict(cfg.options_for("FS101")) == {"allowed-images": ("golang",)}


def test_policy_keys_are_rule_options_and_severities(tmp_path: Path) -> None:
    cfg = load_settings(_write(tmp_path / "finalstage.toml", FULL_POLICY))
    assert cfg.options_for("FS901")["max-bytes"] == 80_000_000
    assert cfg.options_for("FS902")["max-bytes"] == 30 * 1024**2
    assert cfg.options_for("FS903")["max-layers"] == 12
    assert dict(cfg.options_for("FS301")) == {"max-percent": 5.0, "max-bytes": None}
    # categories with a rule of their own make that rule an error; the rest go to FS905
    assert cfg.severities["FS201"] is Severity.ERROR and cfg.severities["FS207"] is Severity.ERROR
    assert cfg.options_for("FS905")["categories"] == ("headers",)
    assert cfg.options_for("FS906")["paths"] == ("/root/.cache", "/**/*.pem")
    assert cfg.options_for("FS907")["packages"] == ("gcc*", "npm:typescript", "PyPI:Flask")
    assert cfg.severities["FS401"] is Severity.ERROR and cfg.severities["FS402"] is Severity.ERROR
    assert cfg.options_for("FS910")["allowed"] == ("gcr.io/distroless/*", "*-slim")
    assert cfg.fail_on is Severity.WARNING
    # [policy.severity] wins over what a key implies, by code, name or alias
    assert cfg.severities["FS905"] is Severity.WARNING
    assert cfg.severities["FS903"] is Severity.INFO
    assert {"FS201", "FS207", "FS401", "FS901", "FS910"} <= cfg.required
    assert [k.key for k in cfg.policy][:3] == ["max-size", "max-layers", "max-waste"]


@pytest.mark.parametrize(("text", "expected"), [
    ("80MB", 80_000_000), ("80 MB", 80_000_000), ("1.5GiB", 1_610_612_736), ("512kB", 512_000),
    ("100", 100), ("100B", 100), ("2TB", 2 * 10**12), ("1KiB", 1024), ("0.5mb", 500_000),
    (1234, 1234), ("3mib", 3 * 1024**2),
])
def test_parse_size(text: object, expected: int) -> None:
    assert parse_size(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["80M", "80 megabytes", "", "MB", "-5MB", "1e9", True, 1.5,
                                 -1, [80], "80MBB", "nan"])
def test_bad_size_is_a_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_size(bad)  # type: ignore[arg-type]


def test_snake_case_keys_plain_sizes_and_a_bare_policy_file(tmp_path: Path) -> None:
    cfg = load_settings(_write(tmp_path / "p.toml",
                               'max_size = "1GB"\nmax_waste = 1000\nrequire_non_root = false\n'))
    assert cfg.options_for("FS901")["max-bytes"] == 10**9
    assert "FS902" not in cfg.options
    assert dict(cfg.options_for("FS301")) == {"max-bytes": 1000, "max-percent": None}
    assert "FS401" not in cfg.severities  # false: nothing required


def test_pyproject_tables_and_discovery(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml",
           '[project]\nname = "x"\n[tool.finalstage]\nignore = ["FS109"]\n'
           '[tool.finalstage.policy]\nmax-layers = 3\n')
    assert load_settings(tmp_path / "pyproject.toml").ignore == ("FS109",)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_settings(deep).options_for("FS903")["max-layers"] == 3
    _write(tmp_path / "a" / "finalstage.toml", 'select = ["FS1"]\n[policy]\nmax-layers = 9\n')
    assert find_settings(deep).options_for("FS903")["max-layers"] == 9
    assert find_settings(tmp_path).options_for("FS903")["max-layers"] == 3


def test_no_file_and_foreign_broken_pyprojects_give_defaults(tmp_path: Path) -> None:
    assert find_settings(tmp_path) == Settings()
    _write(tmp_path / "pyproject.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert find_settings(tmp_path) == Settings()
    _write(tmp_path / "pyproject.toml", "[[[ not toml")
    assert find_settings(tmp_path) == Settings()


@pytest.mark.parametrize(("text", "message"), [
    ('selekt = ["FS1"]', "unknown key 'selekt' (did you mean 'select'?)"),
    ('[polcy]\nmax-size = "1MB"', "unknown key 'polcy' (did you mean 'policy'?)"),
    ('select = "FS1"\nignore = [1]', "ignore: expected an array of strings"),
    ('failure-threshold = "fatal"', "failure-threshold: unknown severity 'fatal'"),
    ('[severity-overrides]\nFS999 = "error"', "unknown rule 'FS999'"),
    ('[severity-overrides]\nFS101 = "loud"', "unknown severity 'loud'"),
    ('[rules.no-such-rule]\nx = 1', "unknown rule 'no-such-rule'"),
    ('[rules.sdk-base-image]\nallowed = ["x"]', "unknown option 'allowed'"),
    ('[rules.sdk-base-image]\nallowed-images = 3', "must be a list of strings"),
    ('[rules.waste-over-threshold]\nmax-percent = 150', "must be a percentage"),
    ('[rules.waste-over-threshold]\nmax-bytes = "10M"', "bad size '10M'"),
    ("select = [", "invalid toml"),
    ("x = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
])
def test_bad_config_names_key_and_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "finalstage.toml", text)
    with pytest.raises(UsageError) as info:
        load_settings(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("body", "fragment"), [
    ("max-sise = 1", "unknown key 'max-sise' (did you mean 'max-size'?)"),
    ("max-layers = \"ten\"", "max-layers: expected an integer, got string 'ten'"),
    ("max-layers = 0", "max-layers: expected an integer ≥ 1"),
    ("max-layers = true", "max-layers: expected an integer, got boolean"),
    ("max-size = \"80M\"", "max-size: bad size '80M'"),
    ("max-size = { compresed = \"1MB\" }", "unknown key 'compresed' (did you mean 'compressed'"),
    ("max-waste = \"150%\"", "max-waste: a percentage must be between 0 and 100"),
    ("max-waste = \"lots\"", "max-waste: bad size 'lots'"),
    ("forbidden-categories = \"compiler\"", "forbidden-categories: expected an array of strings"),
    ("forbidden-categories = [\"compilers\"]", "unknown category 'compilers' (did you mean "
                                                "'compiler'?)"),
    ("forbidden-paths = [\"root/.cache\"]", "must be an absolute path glob"),
    ("forbidden-packages = [1]", "forbidden-packages: expected an array of strings"),
    ("forbidden-packages = [\"pip:flask\"]", "unknown package ecosystem 'pip'"),
    ("forbidden-packages = [\"node:left-pad\"]", "did you mean 'npm'?"),
    ("require-non-root = \"yes\"", "require-non-root: expected a boolean"),
    ("allowed-base-images = [\"\"]", "allowed-base-images: empty string"),
    ("fail-on = \"fatal\"", "fail-on: unknown severity 'fatal'"),
    ("fail-on = 2", "fail-on: expected a severity"),
    ("severity = \"error\"", "severity: expected a table"),
    ("[severity]\nFS999 = \"error\"", "unknown rule 'FS999'"),
    ("[severity]\nFS905 = \"loud\"", "severity.FS905: unknown severity 'loud'"),
    ("max-layers = 1\nmax_layers = 2", "given twice"),
])
def test_policy_mistakes_name_file_key_and_type(tmp_path: Path, body: str, fragment: str) -> None:
    file = _write(tmp_path / "finalstage.toml",
                  "[policy]\n" + body.replace("[severity]", "[policy.severity]") + "\n")
    with pytest.raises(UsageError) as err:
        load_settings(file)
    message = str(err.value)
    assert fragment in message
    assert str(file) in message
    assert "\n" not in message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_settings(tmp_path / "missing.toml")
    with pytest.raises(UsageError, match="is a directory"):
        load_settings(tmp_path)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UsageError, match="not utf-8"):
        load_settings(binary)
    _write(tmp_path / "pyproject.toml", "[project]\nname='x'\n")
    with pytest.raises(UsageError, match=r"no \[tool.finalstage\] table"):
        load_settings(tmp_path / "pyproject.toml")
    _write(tmp_path / "finalstage.toml", 'policy = "strict"\n')
    with pytest.raises(UsageError, match="expected a table"):
        load_settings(tmp_path / "finalstage.toml")


def test_lint_uses_discovered_settings(tmp_path: Path) -> None:
    _write(tmp_path / "finalstage.toml",
           'ignore = ["FS103", "FS109"]\n[severity-overrides]\nFS102 = "error"\n')
    dockerfile = _write(tmp_path / "app" / "Dockerfile", DOCKERFILE)
    report = lint_paths([dockerfile])
    assert [(f.rule, f.severity) for f in report.findings] == [("FS102", Severity.ERROR)]
    assert report.is_failed


def test_policy_reaches_lint_too(tmp_path: Path) -> None:
    # [policy] and [rules.*] reach every rule the same way: require-non-root makes the root
    # user an error for lint as well as for check.
    _write(tmp_path / "finalstage.toml", '[policy]\nrequire-non-root = true\n')
    dockerfile = _write(tmp_path / "Dockerfile", "FROM alpine:3.20\nCOPY app /app\n")
    found = {f.rule: f.severity for f in lint_paths([dockerfile]).findings}
    assert found["FS401"] is Severity.ERROR


def test_cli_select_replaces_config_select_and_ignore_adds(tmp_path: Path) -> None:
    cfg = Settings(select=("FS102",), ignore=("FS109",))
    dockerfile = _write(tmp_path / "Dockerfile", DOCKERFILE)
    assert [f.rule for f in lint_paths([dockerfile], settings=cfg).findings] == ["FS102"]
    report = lint_paths([dockerfile], settings=cfg, select=["FS1"], ignore=["FS102"])
    assert [f.rule for f in report.findings] == ["FS103"]


def test_failure_threshold_from_config(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path / "Dockerfile", "FROM alpine\nUSER 1000\n")  # FS102 warning
    assert not lint_paths([dockerfile], settings=Settings()).is_failed
    report = lint_paths([dockerfile], settings=Settings(fail_on=Severity.WARNING))
    assert report.fail_on is Severity.WARNING and report.is_failed
    # An explicit --fail-on beats the config.
    report = lint_paths([dockerfile], settings=Settings(fail_on=Severity.WARNING),
                        fail_on=Severity.ERROR)
    assert not report.is_failed


def test_config_path_argument(tmp_path: Path) -> None:
    path = _write(tmp_path / "conf" / "lint.toml", 'select = ["FS103"]\n')
    dockerfile = _write(tmp_path / "Dockerfile", DOCKERFILE)
    report = lint_paths([dockerfile], settings=str(path))
    assert [f.rule for f in report.findings] == ["FS103"]
