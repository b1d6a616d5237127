"""Loading a container-structure-test config, as strictly as container-structure-test 1.19 does:
an unknown field, a wrong type or a bad regex is a ``UsageError`` naming where it is, not a
silently skipped test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from finalstage.cst.model import CstConfig, CstTest
from finalstage.cst.patterns import regex
from finalstage.errors import UsageError
from finalstage.userfiles import read_text

SCHEMA_VERSIONS = ("2.0.0",)

_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "fileExistenceTests": {"name": str, "path": str, "shouldExist": bool, "permissions": str,
                           "uid": int, "gid": int, "isExecutableBy": str},
    "fileContentTests": {"name": str, "path": str, "expectedContents": list,
                         "excludedContents": list},
    "commandTests": {"name": str, "setup": list, "teardown": list, "envVars": list,
                     "exitCode": int, "command": str, "args": list, "expectedOutput": list,
                     "excludedOutput": list, "expectedError": list, "excludedError": list,
                     "entrypoint": list},
    "metadataTest": {"envVars": list, "unboundEnvVars": list, "exposedPorts": list,
                     "unexposedPorts": list, "entrypoint": list, "cmd": list, "workdir": str,
                     "volumes": list, "unmountedVolumes": list, "labels": list, "user": str},
    "licenseTests": {"debian": bool, "files": list},
}
_TOP = {"schemaVersion", "globalEnvVars", "fileExistenceTests", "fileContentTests",
        "commandTests", "metadataTest", "licenseTests", "containerRunOptions"}
# Sections of named tests, in container-structure-test's run order, with their kind and label.
_NAMED_SECTIONS = (
    ("commandTests", "command", "Command Test"),
    ("fileExistenceTests", "fileExistence", "File Existence Test"),
    ("fileContentTests", "fileContent", "File Content Test"),
)
_REGEX_LISTS = ("expectedContents", "excludedContents", "expectedOutput", "excludedOutput",
                "expectedError", "excludedError")


def load_cst(path: str | Path) -> CstConfig:
    """Read and validate a container-structure-test YAML config."""
    import yaml  # heavy optional dependency: imported on first use

    file = Path(path)
    where = f"structure test {file}"
    text = read_text(file, "structure test")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or "invalid yaml"
        raise UsageError(f"reading {where}: invalid yaml{at}: {problem}") from err
    except RecursionError as err:  # the yaml composer recurses once per nesting level
        raise UsageError(f"reading {where}: invalid yaml: nested too deeply") from err
    return parse_cst(doc, str(file))


def parse_cst(doc: Any, file: str) -> CstConfig:
    """Validate a parsed config document (see ``load_cst``)."""
    where = f"structure test {file}"
    if not isinstance(doc, dict):
        raise UsageError(f"{where}: expected a mapping at the top level")
    for key in doc:
        if key not in _TOP:
            raise UsageError(f"{where}: unknown field {key!r}")
    version = str(doc.get("schemaVersion", ""))
    if version not in SCHEMA_VERSIONS:
        raise UsageError(f"{where}: unsupported schemaVersion {version!r} (expected 2.0.0)")
    tests: list[CstTest] = []
    for section, kind, label in _NAMED_SECTIONS:
        tests.extend(_named_tests(doc, section, kind, label, file))
    metadata = doc.get("metadataTest")
    if metadata:
        tests.append(CstTest("metadata", "Metadata Test",
                             _fields(metadata, "metadataTest", f"{where}: metadataTest"), file))
    licenses = doc.get("licenseTests") or []
    if not isinstance(licenses, list):
        raise UsageError(f"{where}: licenseTests must be a list")
    for n, item in enumerate(licenses):
        tests.append(CstTest("license", "License Test",
                             _fields(item, "licenseTests", f"{where}: licenseTests[{n}]"), file))
    global_env = _env_pairs(doc.get("globalEnvVars") or [], f"{where}: globalEnvVars")
    return CstConfig(file, tuple(tests), global_env)


def _named_tests(doc: dict[str, Any], section: str, kind: str, label: str,
                 file: str) -> list[CstTest]:
    """The tests of one list section; each needs a name, and a path or a command."""
    where = f"structure test {file}"
    items = doc.get(section) or []
    if not isinstance(items, list):
        raise UsageError(f"{where}: {section} must be a list")
    tests = []
    for n, item in enumerate(items):
        spec = _fields(item, section, f"{where}: {section}[{n}]")
        if not spec.get("name"):
            raise UsageError(f"{where}: {section}[{n}]: every test needs a name")
        if kind != "command" and not spec.get("path"):
            raise UsageError(f"{where}: {section}[{n}] ({spec['name']}): path is required")
        if kind == "command" and not spec.get("command"):
            raise UsageError(f"{where}: {section}[{n}] ({spec['name']}): command is required")
        tests.append(CstTest(kind, f"{label}: {spec['name']}", spec, file))
    return tests


def _fields(item: Any, section: str, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise UsageError(f"{where}: expected a mapping")
    allowed = _FIELDS[section]
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key not in allowed:
            raise UsageError(f"{where}: unknown field {key!r}")
        expected = allowed[key]
        if value is None:
            continue
        if expected is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # yaml reads `user: 1000` and `workdir: 1` as numbers
        if expected is int and isinstance(value, bool) or not isinstance(value, expected):
            name = getattr(expected, "__name__", "value")
            raise UsageError(f"{where}: {key}: expected {name}, got {type(value).__name__}")
        out[key] = value
    # An unknown isExecutableBy is not an error here: container-structure-test fails that test
    # at run time; so do we.
    for key in _REGEX_LISTS:
        for pattern in out.get(key, ()):
            _compile(pattern, f"{where}: {key}")
    for key in ("envVars", "labels"):
        if key in out:
            out[key] = _env_pairs(out[key], f"{where}: {key}", with_regex=True)
    return out


def _env_pairs(items: Any, where: str, *, with_regex: bool = False) -> tuple[Any, ...]:
    if not isinstance(items, list):
        raise UsageError(f"{where}: expected a list of key/value mappings")
    out: list[tuple[Any, ...]] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("key"):
            raise UsageError(f"{where}: every entry needs a key")
        extra = set(item) - {"key", "value", "isRegex"}
        if extra:
            raise UsageError(f"{where}: unknown field {min(extra)!r}")
        value = "" if item.get("value") is None else str(item.get("value"))
        if with_regex:
            if item.get("isRegex"):
                _compile(value, where)
            out.append((str(item["key"]), value, bool(item.get("isRegex"))))
        else:
            out.append((str(item["key"]), value))
    return tuple(out)


def _compile(pattern: Any, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise UsageError(f"{where}: expected a regex string, got {type(pattern).__name__}")
    try:
        return regex(pattern)
    except re.error as err:
        raise UsageError(f"{where}: bad regex {pattern!r}: {err}") from err


__all__ = ["SCHEMA_VERSIONS", "load_cst", "parse_cst"]
