"""Read a ``Policy`` from TOML: ``finalstage.toml`` ``[policy]``, ``[tool.finalstage.policy]`` in
``pyproject.toml``, or any file given with ``--policy``.

Keys are kebab-case (``max-size``); the snake_case spelling of the issue (``max_size``) is
accepted too. Every unknown key and every wrong type is a ``UsageError`` naming the file, the key
and the expected type, because a policy that silently ignores a typo passes builds it should fail.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from finalstage.errors import UsageError
from finalstage.findings import Severity
from finalstage.policy.model import CLAUSES, Policy, WasteLimit
from finalstage.userfiles import load_toml

CONFIG_NAME = "finalstage.toml"

# Decimal units as `docker images` prints them; binary units as `du -h` means them. A bare
# "M" or "G" is refused: docker (1024) and SI (1000) disagree on it, and a budget must be exact.
_UNITS = {
    "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_RULE_CODE = re.compile(r"^FS\d{3}$")
_RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")

_KEYS = (
    "max-size", "max-layers", "max-waste", "forbidden-categories", "forbidden-paths",
    "forbidden-packages", "require-non-root", "require-exec-form", "allowed-base-images",
    "severity", "fail-on",
)


def parse_size(value: Any, *, key: str = "size", where: str = "policy") -> int:
    """Bytes from an int or a string like ``"80MB"``, ``"1.5GiB"``, ``"512 kB"``, ``"100"``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UsageError(f"{where}: {key}: expected a size (bytes or a string like \"80MB\"), "
                         f"got {_show(value)}")
    if isinstance(value, int):
        if value < 0:
            raise UsageError(f"{where}: {key}: a size cannot be negative, got {value}")
        return value
    match = _SIZE.match(value)
    unit = match.group(2).lower() if match else ""
    if match is None or (unit and unit not in _UNITS):
        raise UsageError(f"{where}: {key}: bad size {value!r} (expected a number with a unit: "
                         "B, kB, MB, GB, TB (×1000) or KiB, MiB, GiB, TiB (×1024))")
    amount = float(match.group(1)) * _UNITS[unit or "b"]
    if not math.isfinite(amount):
        raise UsageError(f"{where}: {key}: bad size {value!r}")
    return round(amount)


def parse_policy(table: Mapping[str, Any], where: str) -> Policy:
    """Validate a ``[policy]`` table into a Policy; ``where`` names it in error messages."""
    if not isinstance(table, Mapping):
        raise UsageError(f"{where}: expected a table, got {_show(table)}")
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in _KEYS:
            raise UsageError(f"{where}: unknown key {raw_key!r} "
                             f"(expected one of {', '.join(_KEYS)})")
        if key in values:
            raise UsageError(f"{where}: key {raw_key!r} given twice (as - and _ spellings)")
        values[key] = value

    out: dict[str, Any] = {"source": where}
    if "max-size" in values:
        out["max_size"], out["max_compressed_size"] = _max_size(values["max-size"], where)
    if "max-layers" in values:
        out["max_layers"] = _positive_int(values["max-layers"], "max-layers", where)
    if "max-waste" in values:
        out["max_waste"] = _waste(values["max-waste"], where)
    if "forbidden-categories" in values:
        out["forbidden_categories"] = _categories(values["forbidden-categories"], where)
    if "forbidden-paths" in values:
        paths = _strings(values["forbidden-paths"], "forbidden-paths", where)
        for glob in paths:
            if not glob.startswith("/") and not glob.startswith("*"):
                raise UsageError(f"{where}: forbidden-paths: {glob!r} must be an absolute path "
                                 "glob (start with / or *)")
        out["forbidden_paths"] = paths
    if "forbidden-packages" in values:
        out["forbidden_packages"] = _strings(values["forbidden-packages"],
                                             "forbidden-packages", where)
    for key in ("require-non-root", "require-exec-form"):
        if key in values:
            if not isinstance(values[key], bool):
                raise UsageError(f"{where}: {key}: expected a boolean (true or false), "
                                 f"got {_show(values[key])}")
            out[key.replace("-", "_")] = values[key]
    if "allowed-base-images" in values:
        out["allowed_base_images"] = _strings(values["allowed-base-images"],
                                              "allowed-base-images", where)
    if "severity" in values:
        out["severities"] = _severities(values["severity"], where)
    if "fail-on" in values:
        out["fail_on"] = parse_severity(values["fail-on"], key="fail-on", where=where)
    return Policy(**out)


def parse_severity(value: Any, *, key: str, where: str) -> Severity:
    """A Severity from its name (``"error"``, ``"warning"``, ``"info"``, ``"style"``)."""
    names = ", ".join(s.value for s in Severity)
    if not isinstance(value, str):
        raise UsageError(f"{where}: {key}: expected a severity ({names}), got {_show(value)}")
    try:
        return Severity(value.strip().lower())
    except ValueError:
        raise UsageError(f"{where}: {key}: unknown severity {value!r} (expected {names})") from None


def load_policy(path: str | Path) -> Policy:
    """Read the policy from a file given with ``--policy``.

    The file may be a ``finalstage.toml`` (``[policy]`` table), a ``pyproject.toml``
    (``[tool.finalstage.policy]``), or a TOML file whose top level is the policy itself.
    """
    file = Path(path)
    data = load_toml(file, "policy")
    if file.name == "pyproject.toml" or "tool" in data:
        table = _dig(data, ("tool", "finalstage", "policy"))
        if table is None:
            raise UsageError(f"reading policy {file}: no [tool.finalstage.policy] table")
        return parse_policy(table, f"policy {file} [tool.finalstage.policy]")
    if "policy" in data:
        return parse_policy(data["policy"], f"policy {file} [policy]")
    return parse_policy(data, f"policy {file}")


def find_policy(start: str | Path) -> Policy:
    """The policy that applies in directory ``start``: the nearest ``finalstage.toml`` with a
    ``[policy]`` table or ``pyproject.toml`` with ``[tool.finalstage.policy]``, walking up;
    an empty Policy when there is none (as ruff and the lint config find theirs)."""
    directory = Path(start).resolve()
    for candidate in (directory, *directory.parents):
        own = candidate / CONFIG_NAME
        if own.is_file():
            data = load_toml(own, "policy")
            if "policy" in data:
                return parse_policy(data["policy"], f"policy {own} [policy]")
            return Policy(source=str(own))  # the nearest config file wins, even without a policy
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
                continue  # someone else's broken pyproject is not ours to report
            table = _dig(data, ("tool", "finalstage", "policy"))
            if table is not None:
                return parse_policy(table, f"policy {pyproject} [tool.finalstage.policy]")
    return Policy()


# -- helpers -------------------------------------------------------------------------------


def _dig(data: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = data
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _show(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"


def _max_size(value: Any, where: str) -> tuple[int | None, int | None]:
    # A bare value is the uncompressed budget (what `docker images` shows); a table sets either.
    if isinstance(value, Mapping):
        for key in value:
            if key not in ("compressed", "uncompressed"):
                raise UsageError(f"{where}: max-size: unknown key {key!r} "
                                 "(expected compressed, uncompressed)")
        return (
            parse_size(value["uncompressed"], key="max-size.uncompressed", where=where)
            if "uncompressed" in value else None,
            parse_size(value["compressed"], key="max-size.compressed", where=where)
            if "compressed" in value else None,
        )
    return parse_size(value, key="max-size", where=where), None


def _positive_int(value: Any, key: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{where}: {key}: expected an integer, got {_show(value)}")
    if value < 1:
        raise UsageError(f"{where}: {key}: expected an integer ≥ 1, got {value}")
    return value


def _waste(value: Any, where: str) -> WasteLimit:
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            percent = float(match.group(1))
            if percent > 100:
                raise UsageError(f"{where}: max-waste: a percentage above 100 makes no sense, "
                                 f"got {value!r}")
            return WasteLimit(percent=percent)
    return WasteLimit(bytes=parse_size(value, key="max-waste", where=where))


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: {key}: expected an array of strings, got {_show(value)}")
    if any(not v.strip() for v in value):
        raise UsageError(f"{where}: {key}: empty string in the list")
    return tuple(value)


def known_categories() -> tuple[str, ...] | None:
    """The content categories the analysis package defines, or None while it has none."""
    try:
        from finalstage.analysis import categories as module
    except ImportError:
        return None
    for name in ("CATEGORIES", "ALL_CATEGORIES", "NAMES"):
        found = getattr(module, name, None)
        if found:
            return tuple(str(getattr(c, "value", getattr(c, "name", c))) for c in found)
    enum_type = getattr(module, "Category", None)
    if enum_type is not None:
        try:
            return tuple(str(getattr(c, "value", c)) for c in enum_type)
        except TypeError:
            return None
    return None


def _categories(value: Any, where: str) -> tuple[str, ...]:
    names = _strings(value, "forbidden-categories", where)
    known = known_categories()
    if known is not None:
        for name in names:
            if name not in known:
                raise UsageError(f"{where}: forbidden-categories: unknown category {name!r} "
                                 f"(expected one of {', '.join(known)})")
    return names


def _severities(value: Any, where: str) -> Mapping[str, Severity]:
    if not isinstance(value, Mapping):
        raise UsageError(f"{where}: severity: expected a table of rule = \"severity\", "
                         f"got {_show(value)}")
    clause_names = {c.name for c in CLAUSES}
    out: dict[str, Severity] = {}
    for rule, level in value.items():
        ref = rule.upper() if _RULE_CODE.match(rule.upper()) else rule
        if not (_RULE_CODE.match(ref) or _RULE_NAME.match(ref)):
            raise UsageError(f"{where}: severity: {rule!r} is not a rule code (FS101) or name")
        if not _is_known_rule(ref) and ref not in clause_names:
            raise UsageError(f"{where}: severity: unknown rule {rule!r} (see `finalstage rules`)")
        out[ref] = parse_severity(level, key=f"severity.{rule}", where=where)
    return MappingProxyType(out)


def _is_known_rule(ref: str) -> bool:
    if any(ref in (c.code, c.name) for c in CLAUSES):
        return True
    try:
        from finalstage import rules
        all_rules = getattr(rules, "ALL_RULES", None)
    except ImportError:
        all_rules = None
    if not all_rules:
        return True  # no registry yet: accept well-formed references rather than refuse all
    return any(ref in (r.code, r.name) for r in all_rules)


__all__ = ["CONFIG_NAME", "find_policy", "known_categories", "load_policy", "parse_policy",
           "parse_severity", "parse_size"]
