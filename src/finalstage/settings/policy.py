"""A ``[policy]`` table, read as what it is: options and severities of rules.

=====================  ==========================================================================
policy key             rule settings
=====================  ==========================================================================
max-size               FS901 ``max-bytes`` (a table: ``uncompressed`` → FS901, ``compressed`` → FS902)
max-layers             FS903 ``max-layers``
max-waste              FS301 ``max-percent`` (``"5%"``) or ``max-bytes`` (``"20MB"``), as an error
forbidden-categories   the category's own rule as an error (compiler → FS201 …), else FS905
forbidden-paths        FS906 ``paths``
forbidden-packages     FS907 ``packages``
require-non-root       FS401 as an error
require-exec-form      FS402 as an error
allowed-base-images    FS910 ``allowed``
severity               severities by rule code, name or retired alias
fail-on                the failure threshold
=====================  ==========================================================================

Every unknown key and wrong type is a ``UsageError`` naming the file and the key, with a "did
you mean" for near misses: a policy that silently ignores a typo passes builds it should fail.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from finalstage.analysis.categories import Category
from finalstage.errors import UsageError
from finalstage.findings import Severity
from finalstage.rules import get
from finalstage.rules.policy.forbidden_package import parse_pattern
from finalstage.settings.model import PolicyKey
from finalstage.units import parse_size

KEYS = (
    "max-size", "max-layers", "max-waste", "forbidden-categories", "forbidden-paths",
    "forbidden-packages", "require-non-root", "require-exec-form", "allowed-base-images",
    "severity", "fail-on",
)
# Categories with a rule of their own; the others go to forbidden-category (FS905).
CATEGORY_RULES = {
    "compiler": "FS201", "build-tool": "FS202", "package-manager": "FS203", "source": "FS204",
    "tests": "FS205", "dev-dependency": "FS206", "cache": "FS207", "secret": "FS208",
    "docs": "FS302",
}


@dataclass
class PolicySettings:
    """What a ``[policy]`` table adds to the settings."""

    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    severities: dict[str, Severity] = field(default_factory=dict)
    keys: list[PolicyKey] = field(default_factory=list)
    fail_on: Severity | None = None

    def set(self, key: str, code: str, **options: Any) -> None:
        self.options.setdefault(code, {}).update(options)
        self._record(key, code)

    def require(self, key: str, code: str) -> None:
        self.severities[code] = Severity.ERROR
        self._record(key, code)

    def _record(self, key: str, code: str) -> None:
        for n, known in enumerate(self.keys):
            if known.key == key:
                if code not in known.rules:
                    self.keys[n] = PolicyKey(key, known.rules + (code,))
                return
        self.keys.append(PolicyKey(key, (code,)))


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean 'max-size'?)`` for a near miss, else the list of choices."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (expected one of {', '.join(choices)})"


def parse_policy(table: Any, where: str) -> PolicySettings:
    """Validate a ``[policy]`` table (``where`` names it in messages) into rule settings."""
    if not isinstance(table, Mapping):
        raise UsageError(f"{where}: expected a table, got {show(table)}")
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in KEYS:
            raise UsageError(f"{where}: unknown key {raw_key!r}{did_you_mean(key, KEYS)}")
        if key in values:
            raise UsageError(f"{where}: key {raw_key!r} given twice (as - and _ spellings)")
        values[key] = value
    out = PolicySettings()
    for key in sorted(values, key=KEYS.index):  # verdicts in one documented order
        _APPLY[key](out, values[key], f"{where}: {key}")
    return out


def _size(value: Any, where: str) -> int:
    try:
        return parse_size(value)
    except ValueError as err:
        raise UsageError(f"{where}: {err}") from None


def _max_size(out: PolicySettings, value: Any, where: str) -> None:
    # A bare value is the uncompressed budget (what `docker images` shows); a table sets either.
    if not isinstance(value, Mapping):
        out.set("max-size", "FS901", **{"max-bytes": _size(value, where)})
        return
    for key in value:
        if key not in ("compressed", "uncompressed"):
            raise UsageError(f"{where}: unknown key {key!r}"
                             f"{did_you_mean(key, ('compressed', 'uncompressed'))}")
    if "uncompressed" in value:
        out.set("max-size", "FS901", **{"max-bytes": _size(value["uncompressed"], where)})
    if "compressed" in value:
        out.set("max-size", "FS902", **{"max-bytes": _size(value["compressed"], where)})


def _max_layers(out: PolicySettings, value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{where}: expected an integer, got {show(value)}")
    if value < 1:
        raise UsageError(f"{where}: expected an integer ≥ 1, got {value}")
    out.set("max-layers", "FS903", **{"max-layers": value})


def _max_waste(out: PolicySettings, value: Any, where: str) -> None:
    text = value.strip() if isinstance(value, str) else None
    if text is not None and text.endswith("%"):
        try:
            percent = float(text[:-1])
        except ValueError:
            raise UsageError(f"{where}: bad percentage {value!r}") from None
        if not 0 <= percent <= 100:
            raise UsageError(f"{where}: a percentage must be between 0 and 100, got {value!r}")
        out.set("max-waste", "FS301", **{"max-percent": percent, "max-bytes": None})
    else:
        out.set("max-waste", "FS301", **{"max-bytes": _size(value, where), "max-percent": None})
    out.require("max-waste", "FS301")


def _categories(out: PolicySettings, value: Any, where: str) -> None:
    known = tuple(c.value for c in Category)
    rest: list[str] = []
    for name in strings(value, where):
        if name not in known:
            raise UsageError(f"{where}: unknown category {name!r}{did_you_mean(name, known)}")
        code = CATEGORY_RULES.get(name)
        if code is None:
            rest.append(name)
            continue
        out.require("forbidden-categories", code)
        if name == "docs":
            out.set("forbidden-categories", code, **{"min-bytes": 0})
    if rest:
        out.set("forbidden-categories", "FS905", categories=tuple(rest))


def _paths(out: PolicySettings, value: Any, where: str) -> None:
    globs = strings(value, where)
    for glob in globs:
        if not glob.startswith(("/", "*")):
            raise UsageError(f"{where}: {glob!r} must be an absolute path glob (start with / "
                             "or *)")
    out.set("forbidden-paths", "FS906", paths=globs)


def _packages(out: PolicySettings, value: Any, where: str) -> None:
    patterns = strings(value, where)
    for pattern in patterns:
        try:
            parse_pattern(pattern)
        except ValueError as err:
            raise UsageError(f"{where}: {err}") from None
    out.set("forbidden-packages", "FS907", packages=patterns)


def _flag(key: str, code: str) -> Any:
    def apply(out: PolicySettings, value: Any, where: str) -> None:
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected a boolean (true or false), got {show(value)}")
        if value:
            out.require(key, code)
    return apply


def _bases(out: PolicySettings, value: Any, where: str) -> None:
    out.set("allowed-base-images", "FS910", allowed=strings(value, where))


def _severity_table(out: PolicySettings, value: Any, where: str) -> None:
    out.severities.update(severity_table(value, where))


def _fail_on(out: PolicySettings, value: Any, where: str) -> None:
    out.fail_on = parse_severity(value, where)


_APPLY = {
    "max-size": _max_size, "max-layers": _max_layers, "max-waste": _max_waste,
    "forbidden-categories": _categories, "forbidden-paths": _paths,
    "forbidden-packages": _packages, "require-non-root": _flag("require-non-root", "FS401"),
    "require-exec-form": _flag("require-exec-form", "FS402"),
    "allowed-base-images": _bases, "severity": _severity_table, "fail-on": _fail_on,
}


# -- value helpers shared with the config keys ---------------------------------------------------

def show(value: Any) -> str:
    """A value and its TOML type for an error message: ``string 'ten'``."""
    kind = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"


def strings(value: Any, where: str, *, allow_single: bool = False) -> tuple[str, ...]:
    """An array of non-empty strings (``allow_single``: a lone string is a list of one)."""
    if allow_single and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: expected an array of strings, got {show(value)}")
    if any(not v.strip() for v in value):
        raise UsageError(f"{where}: empty string in the list")
    return tuple(value)


def parse_severity(value: Any, where: str) -> Severity:
    """A Severity from its name (``"error"``, ``"warning"``, ``"info"``, ``"style"``)."""
    names = ", ".join(s.value for s in Severity)
    if not isinstance(value, str):
        raise UsageError(f"{where}: expected a severity ({names}), got {show(value)}")
    try:
        return Severity(value.strip().lower())
    except ValueError:
        raise UsageError(f"{where}: unknown severity {value!r} (expected {names})") from None


def severity_table(value: Any, where: str) -> dict[str, Severity]:
    """``{rule code, name or alias: severity}`` → ``{canonical code: Severity}``."""
    if not isinstance(value, Mapping):
        raise UsageError(f"{where}: expected a table of rule = \"severity\", got {show(value)}")
    out: dict[str, Severity] = {}
    for ref, level in value.items():
        try:
            code = get(ref).code
        except UsageError:
            raise UsageError(f"{where}: unknown rule {ref!r} (see `finalstage rules`)") from None
        out[code] = parse_severity(level, f"{where}.{ref}")
    return out


__all__ = ["CATEGORY_RULES", "KEYS", "PolicySettings", "did_you_mean", "parse_policy",
           "parse_severity", "severity_table", "show", "strings"]
