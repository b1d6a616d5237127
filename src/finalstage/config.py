"""Lint configuration: ``finalstage.toml`` or ``[tool.finalstage]`` in ``pyproject.toml``.

Keys (hadolint's ``override``/``failure-threshold``, sqlfluff's per-rule sections)::

    select = ["FS1", "FS003"]          # codes, prefixes, names, groups, "ALL"
    ignore = ["FS109"]
    failure-threshold = "warning"      # error | warning | info | style
    [severity-overrides]
    FS102 = "error"
    [rules.sdk-base-image]
    extra-images = ["mycorp/builder"]

A ``policy`` table belongs to ``finalstage check`` (policy/) and is left alone here. Unknown keys
or wrong types are a ``UsageError`` naming the key and the file. The file is found by walking up
from the Dockerfile's directory; the first ``finalstage.toml``, or ``pyproject.toml`` that has a
``[tool.finalstage]`` table, wins.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finalstage.errors import UsageError
from finalstage.findings import Severity
from finalstage.userfiles import load_toml

CONFIG_NAME = "finalstage.toml"
_KEYS = {"select", "ignore", "failure-threshold", "severity-overrides", "rules"}
_FOREIGN_KEYS = {"policy"}  # read by finalstage check


@dataclass(frozen=True)
class LintConfig:
    """The lint settings of one configuration file (or the defaults)."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    failure_threshold: Severity | None = None
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    path: str | None = None


def load_config(path: str | Path) -> LintConfig:
    """Read a ``finalstage.toml`` or ``pyproject.toml`` file given on the command line."""
    file = Path(path)
    data = load_toml(file, "config")
    if file.name == "pyproject.toml":
        table = data.get("tool", {}).get("finalstage", {})
        return _from_table(table, f"{file} [tool.finalstage]")
    return _from_table(data, str(file))


def find_config(start: str | Path) -> LintConfig:
    """The configuration that applies to files in ``start`` (a directory), or the defaults."""
    directory = Path(start).resolve()
    for candidate in (directory, *directory.parents):
        own = candidate / CONFIG_NAME
        if own.is_file():
            return load_config(own)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return load_config(pyproject)
    return LintConfig()


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False  # someone else's broken pyproject is not ours to report
    tool = data.get("tool")
    return isinstance(tool, dict) and isinstance(tool.get("finalstage"), dict)


def _from_table(table: Mapping[str, Any], where: str) -> LintConfig:
    for key in table:
        if key not in _KEYS | _FOREIGN_KEYS:
            raise UsageError(f"config {where}: unknown key {key!r} "
                             f"(expected one of {', '.join(sorted(_KEYS))})")
    select = table.get("select")
    return LintConfig(
        select=None if select is None else _strings(select, "select", where),
        ignore=_strings(table.get("ignore", []), "ignore", where),
        severity_overrides=_overrides(table.get("severity-overrides", {}), where),
        failure_threshold=(
            None if "failure-threshold" not in table
            else _severity(table["failure-threshold"], "failure-threshold", where)
        ),
        rule_options=_rule_options(table.get("rules", {}), where),
        path=where,
    )


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"config {where}: {key} must be a list of strings, got {value!r}")
    return tuple(value)


def _severity(value: Any, key: str, where: str) -> Severity:
    try:
        return Severity(str(value).lower()) if isinstance(value, str) else Severity(value)
    except ValueError as err:
        choices = ", ".join(s.value for s in Severity)
        raise UsageError(f"config {where}: {key} must be one of {choices}, got {value!r}") from err


def _overrides(value: Any, where: str) -> dict[str, Severity]:
    from finalstage.rules import get

    if not isinstance(value, dict):
        raise UsageError(f"config {where}: severity-overrides must be a table, got {value!r}")
    out: dict[str, Severity] = {}
    for ref, severity in value.items():
        try:
            code = get(ref).code
        except UsageError as err:
            raise UsageError(f"config {where}: severity-overrides: unknown rule {ref!r}") from err
        out[code] = _severity(severity, f"severity-overrides.{ref}", where)
    return out


def _rule_options(value: Any, where: str) -> dict[str, dict[str, Any]]:
    from finalstage.rules import get

    if not isinstance(value, dict):
        raise UsageError(f"config {where}: rules must be a table, got {value!r}")
    out: dict[str, dict[str, Any]] = {}
    for ref, options in value.items():
        try:
            rule = get(ref)
        except UsageError as err:
            raise UsageError(f"config {where}: rules: unknown rule {ref!r}") from err
        if not isinstance(options, dict):
            raise UsageError(f"config {where}: rules.{ref} must be a table, got {options!r}")
        checked: dict[str, Any] = {}
        for key, setting in options.items():
            option = rule.options.get(key)
            if option is None:
                known = ", ".join(sorted(rule.options)) or "none"
                raise UsageError(f"config {where}: rules.{ref}: unknown option {key!r} "
                                 f"(options: {known})")
            if not _matches(setting, option.default):
                raise UsageError(f"config {where}: rules.{ref}.{key} must be "
                                 f"{_type_name(option.default)}, got {setting!r}")
            checked[key] = tuple(setting) if isinstance(setting, list) else setting
        out[rule.name] = checked
    return out


def _matches(value: Any, default: Any) -> bool:
    if isinstance(default, (tuple, list)):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _type_name(default: Any) -> str:
    if isinstance(default, (tuple, list)):
        return "a list of strings"
    return {bool: "a boolean", int: "an integer", str: "a string"}.get(type(default), "valid")


__all__ = ["CONFIG_NAME", "LintConfig", "find_config", "load_config"]
