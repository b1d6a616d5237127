"""Find and read ``finalstage.toml`` / ``[tool.finalstage]`` into one ``Settings``.

::

    select = ["FS1", "FS003"]          # codes, prefixes, names, groups, "ALL"
    ignore = ["FS102"]
    failure-threshold = "warning"      # error | warning | info | style
    [severity-overrides]
    FS102 = "error"
    [rules.sdk-base-image]
    extra-images = ["mycorp/builder"]
    [policy]                           # sugar over rule options (settings/policy.py)
    max-size = "150MB"

The file is found by walking up from a start directory (the Dockerfile's, else the working
directory): the first ``finalstage.toml``, or ``pyproject.toml`` with a ``[tool.finalstage]``
table, wins. A file given with ``--config``/``--policy`` may also be a bare policy table.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from finalstage.errors import UsageError
from finalstage.findings import Severity
from finalstage.rules import get
from finalstage.settings.model import Settings
from finalstage.settings.policy import (
    KEYS as POLICY_KEYS,
)
from finalstage.settings.policy import (
    PolicySettings,
    did_you_mean,
    parse_policy,
    parse_severity,
    severity_table,
    show,
    strings,
)
from finalstage.userfiles import load_toml

CONFIG_NAME = "finalstage.toml"
KEYS = ("select", "ignore", "failure-threshold", "severity-overrides", "rules", "policy")


def load_settings(path: str | Path) -> Settings:
    """Read the settings file given on the command line (``--config`` or ``--policy``)."""
    file = Path(path)
    data = load_toml(file, "config")
    if file.name == "pyproject.toml" or "tool" in data:
        table = _dig(data, ("tool", "finalstage"))
        if not isinstance(table, Mapping):
            raise UsageError(f"reading config {file}: no [tool.finalstage] table")
        return from_table(table, f"{file} [tool.finalstage]")
    if data and all(key.replace("_", "-") in POLICY_KEYS for key in data):
        return from_table({"policy": data}, str(file))  # a bare policy file
    return from_table(data, str(file))


def find_settings(start: str | Path) -> Settings:
    """The settings that apply in directory ``start``, or the defaults."""
    directory = Path(start).resolve()
    for candidate in (directory, *directory.parents):
        own = candidate / CONFIG_NAME
        if own.is_file():
            return load_settings(own)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return load_settings(pyproject)
    return Settings()


def from_table(table: Mapping[str, Any], where: str) -> Settings:
    """Validate a whole settings table (``where`` names it in messages)."""
    for key in table:
        if key not in KEYS:
            raise UsageError(f"config {where}: unknown key {key!r}{did_you_mean(key, KEYS)}")
    select = table.get("select")
    options = _rule_options(table.get("rules", {}), where)
    severities: dict[str, Severity] = {}
    policy = PolicySettings()
    if "policy" in table:
        policy = parse_policy(table["policy"], f"policy {where} [policy]")
        for code, values in policy.options.items():
            options.setdefault(code, {}).update(values)
        severities.update({c: s for c, s in policy.severities.items()})
    severities.update(severity_table(table.get("severity-overrides", {}),
                                     f"config {where}: severity-overrides"))
    threshold = table.get("failure-threshold")
    fail_on = policy.fail_on
    if threshold is not None:
        fail_on = parse_severity(threshold, f"config {where}: failure-threshold")
    return Settings(
        select=None if select is None else strings(select, f"config {where}: select",
                                                   allow_single=True),
        ignore=strings(table.get("ignore", []), f"config {where}: ignore", allow_single=True)
        if table.get("ignore") else (),
        severities=MappingProxyType(severities),
        options=MappingProxyType({c: MappingProxyType(v) for c, v in options.items()}),
        required=frozenset(code for key in policy.keys for code in key.rules),
        policy=tuple(policy.keys),
        fail_on=fail_on,
        source=where,
    )


def _rule_options(value: Any, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping):
        raise UsageError(f"config {where}: rules must be a table, got {show(value)}")
    out: dict[str, dict[str, Any]] = {}
    for ref, options in value.items():
        try:
            rule = get(ref)
        except UsageError as err:
            raise UsageError(f"config {where}: rules: unknown rule {ref!r}") from err
        if not isinstance(options, Mapping):
            raise UsageError(f"config {where}: rules.{ref} must be a table, got {show(options)}")
        checked: dict[str, Any] = {}
        for key, setting in options.items():
            option = rule.options.get(key)
            if option is None:
                known = tuple(rule.options) or ("(none)",)
                raise UsageError(f"config {where}: rules.{ref}: unknown option {key!r}"
                                 f"{did_you_mean(key, known)}")
            checked[key] = option.parse(setting, f"config {where}: rules.{ref}.{key}")
        out.setdefault(rule.code, {}).update(checked)
    return out


def _dig(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = data
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False  # someone else's broken pyproject is not ours to report
    return isinstance(_dig(data, ("tool", "finalstage")), Mapping)


__all__ = ["CONFIG_NAME", "KEYS", "find_settings", "from_table", "load_settings"]
