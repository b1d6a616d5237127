"""Policy files: every key, both spellings, the three places, and every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from finalstage.errors import UsageError
from finalstage.findings import Severity
from finalstage.policy.load import find_policy, load_policy, parse_policy, parse_size
from finalstage.policy.model import Policy, WasteLimit

FULL = """\
[policy]
max-size = { uncompressed = "80MB", compressed = "30MiB" }
max-layers = 12
max-waste = "5%"
forbidden-categories = ["compiler", "cache"]
forbidden-paths = ["/root/.cache", "/**/*.pem"]
forbidden-packages = ["gcc*", "npm:typescript"]
require-non-root = true
require-exec-form = true
allowed-base-images = ["gcr.io/distroless/*", "*-slim"]
fail-on = "warning"

[policy.severity]
FS905 = "warning"
max-layers = "info"
"""


@pytest.mark.parametrize(("text", "expected"), [
    ("80MB", 80_000_000), ("80 MB", 80_000_000), ("1.5GiB", 1_610_612_736), ("512kB", 512_000),
    ("100", 100), ("100B", 100), ("2TB", 2 * 10**12), ("1KiB", 1024), ("0.5mb", 500_000),
    (1234, 1234), ("3mib", 3 * 1024**2),
])
def test_parse_size(text: object, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["80M", "80 megabytes", "", "MB", "-5MB", "1e9", True, 1.5,
                                 -1, [80], "80MBB", "nan"])
def test_bad_size_is_usage_error(bad: object) -> None:
    with pytest.raises(UsageError) as err:
        parse_size(bad, key="max-size", where="policy x.toml")
    message = str(err.value)
    assert message.startswith("policy x.toml: max-size:")
    assert "\n" not in message


def test_full_policy(tmp_path: Path) -> None:
    file = tmp_path / "finalstage.toml"
    file.write_text(FULL)
    policy = load_policy(file)
    assert policy.max_size == 80_000_000
    assert policy.max_compressed_size == 30 * 1024**2
    assert policy.max_layers == 12
    assert policy.max_waste == WasteLimit(percent=5.0)
    assert policy.forbidden_categories == ("compiler", "cache")
    assert policy.forbidden_paths == ("/root/.cache", "/**/*.pem")
    assert policy.forbidden_packages == ("gcc*", "npm:typescript")
    assert policy.require_non_root and policy.require_exec_form
    assert policy.allowed_base_images == ("gcr.io/distroless/*", "*-slim")
    assert policy.fail_on == Severity.WARNING
    assert policy.severity_for("FS905", "forbidden-category", Severity.ERROR) == Severity.WARNING
    assert policy.severity_for("FS903", "max-layers", Severity.ERROR) == Severity.INFO
    assert not policy.is_empty


def test_snake_case_keys_and_plain_size(tmp_path: Path) -> None:
    file = tmp_path / "p.toml"
    file.write_text('max_size = "1GB"\nmax_waste = 1000\nrequire_non_root = false\n')
    policy = load_policy(file)
    assert policy.max_size == 10**9
    assert policy.max_compressed_size is None
    assert policy.max_waste == WasteLimit(bytes=1000)
    assert policy.max_waste.limit_for(10**6) == 1000
    assert WasteLimit(percent=5).limit_for(1000) == 50


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.finalstage.policy]\nmax-layers = 3\n')
    assert load_policy(tmp_path / "pyproject.toml").max_layers == 3
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_policy(sub).max_layers == 3


def test_find_policy_nearest_finalstage_toml_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.finalstage.policy]\nmax-layers = 3\n')
    inner = tmp_path / "svc"
    inner.mkdir()
    (inner / "finalstage.toml").write_text('select = ["FS1"]\n[policy]\nmax-layers = 9\n')
    assert find_policy(inner).max_layers == 9
    assert find_policy(tmp_path).max_layers == 3


def test_find_policy_without_any_file_is_empty(tmp_path: Path) -> None:
    policy = find_policy(tmp_path)
    assert policy.is_empty
    assert policy == Policy()


def test_find_policy_ignores_broken_foreign_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[[[ not toml")
    assert find_policy(tmp_path).is_empty


@pytest.mark.parametrize(("body", "fragment"), [
    ("max-sise = 1", "unknown key 'max-sise'"),
    ("max-layers = \"ten\"", "max-layers: expected an integer, got string 'ten'"),
    ("max-layers = 0", "max-layers: expected an integer ≥ 1"),
    ("max-layers = true", "max-layers: expected an integer, got boolean"),
    ("max-size = \"80M\"", "max-size: bad size '80M'"),
    ("max-size = { compresed = \"1MB\" }", "max-size: unknown key 'compresed'"),
    ("max-waste = \"150%\"", "max-waste: a percentage above 100"),
    ("max-waste = \"lots\"", "max-waste: bad size 'lots'"),
    ("forbidden-categories = \"compiler\"", "forbidden-categories: expected an array of strings"),
    ("forbidden-categories = [\"compilers\"]", "unknown category 'compilers'"),
    ("forbidden-paths = [\"root/.cache\"]", "must be an absolute path glob"),
    ("forbidden-packages = [1]", "forbidden-packages: expected an array of strings"),
    ("require-non-root = \"yes\"", "require-non-root: expected a boolean"),
    ("allowed-base-images = [\"\"]", "allowed-base-images: empty string"),
    ("fail-on = \"fatal\"", "fail-on: unknown severity 'fatal'"),
    ("fail-on = 2", "fail-on: expected a severity"),
    ("severity = \"error\"", "severity: expected a table"),
    ("[severity]\nFS999 = \"error\"", "unknown rule 'FS999'"),
    ("[severity]\nFS905 = \"loud\"", "severity.FS905: unknown severity 'loud'"),
    ("max-layers = 1\nmax_layers = 2", "given twice"),
])
def test_mistakes_name_file_key_and_type(tmp_path: Path, body: str, fragment: str) -> None:
    file = tmp_path / "finalstage.toml"
    file.write_text("[policy]\n" + body.replace("[severity]", "[policy.severity]") + "\n")
    with pytest.raises(UsageError) as err:
        load_policy(file)
    message = str(err.value)
    assert fragment in message
    assert str(file) in message
    assert "\n" not in message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_policy(tmp_path / "missing.toml")
    with pytest.raises(UsageError, match="is a directory"):
        load_policy(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy\nmax-layers = 1")
    with pytest.raises(UsageError, match="invalid toml"):
        load_policy(bad)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UsageError, match="not utf-8"):
        load_policy(binary)
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    with pytest.raises(UsageError, match=r"no \[tool.finalstage.policy\] table"):
        load_policy(tmp_path / "pyproject.toml")


def test_policy_table_must_be_a_table(tmp_path: Path) -> None:
    file = tmp_path / "finalstage.toml"
    file.write_text('policy = "strict"\n')
    with pytest.raises(UsageError, match="expected a table"):
        load_policy(file)


def test_parse_policy_direct() -> None:
    assert parse_policy({}, "x").is_empty


def test_deeply_nested_toml_is_a_usage_error(tmp_path: Path) -> None:
    file = tmp_path / "deep.toml"
    file.write_text("[policy]\nmax-layers = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(UsageError, match="nested too deeply|expected an integer"):
        load_policy(file)
    (tmp_path / "pyproject.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert find_policy(tmp_path).is_empty
