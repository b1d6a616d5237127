"""Checks every rule class when it is defined: code, name, severity, options and the shape of its
documentation (ruff's registry tests and sqlfluff's docstring test, run at import time), so a
malformed rule fails in tests, never at a user's terminal.
"""

from __future__ import annotations

import re
from typing import Any

from finalstage.findings import Severity
from finalstage.rules._options import Option

_CODE = re.compile(r"^FS\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# ruff's disallowed_rule_names.txt: a name says what is flagged, not what to do instead.
_BAD_NAME_PREFIXES = ("avoid-", "use-", "prefer-", "do-not-", "consider-", "rewrite-", "uses-")
_REQUIRED_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:")
_OPTIONAL_SECTIONS = ("## Known problems", "## Fix safety", "## Options", "## References")
_SECTION_LINE = re.compile(r"^(## .+|Use instead:)$", re.MULTILINE)


def cleandoc(doc: str) -> str:
    """``inspect.cleandoc`` without importing ``inspect`` (start-up time matters)."""
    lines = doc.expandtabs().splitlines()
    if not lines:
        return ""
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents) if indents else 0
    body = [lines[0].strip()] + [line[margin:].rstrip() for line in lines[1:]]
    while body and not body[-1]:
        body.pop()
    while body and not body[0]:
        body.pop(0)
    return "\n".join(body)


def validate(cls: Any) -> None:
    """Raise TypeError when the rule class ``cls`` breaks a convention."""
    where = f"rule class {cls.__name__}"
    code = getattr(cls, "code", None)
    if not isinstance(code, str) or not _CODE.match(code):
        raise TypeError(f"{where}: code {code!r} does not match FS + three digits")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise TypeError(f"{where}: name {name!r} is not kebab-case")
    if name.startswith(_BAD_NAME_PREFIXES) or name.endswith("-used"):
        raise TypeError(f"{where}: name {name!r} must name the pattern, not the fix")
    if not isinstance(getattr(cls, "severity", None), Severity):
        raise TypeError(f"{where}: severity must be a findings.Severity")
    if not all(isinstance(a, str) and (_CODE.match(a) or _NAME.match(a)) for a in cls.aliases):
        raise TypeError(f"{where}: aliases must be rule codes or kebab-case names")
    if not all(isinstance(s, str) and ":" in s for s in cls.subjects):
        raise TypeError(f"{where}: subjects must be 'kind:value' strings")
    for key, opt in cls.options.items():
        if not _NAME.match(key) or not isinstance(opt, Option):
            raise TypeError(f"{where}: option {key!r} must be kebab-case and an Option")
    _validate_doc(cls, where)


def _validate_doc(cls: Any, where: str) -> None:
    doc = cls.doc()
    if not doc or doc.startswith("#"):
        raise TypeError(f"{where}: docstring must start with a one-line title")
    title = doc.splitlines()[0]
    if title.endswith(".") or len(title) > 80:
        raise TypeError(f"{where}: title must be one short line without a trailing period")
    found = [m.group(1) for m in _SECTION_LINE.finditer(doc)]
    known = _REQUIRED_SECTIONS + _OPTIONAL_SECTIONS
    unknown = [s for s in found if s not in known]
    if unknown:
        raise TypeError(f"{where}: unknown doc section {unknown[0]!r}")
    missing = [s for s in _REQUIRED_SECTIONS if s not in found]
    if missing:
        raise TypeError(f"{where}: doc section {missing[0]!r} is missing")
    order = [known.index(s) for s in found]
    if order != sorted(order) or len(set(found)) != len(found):
        raise TypeError(f"{where}: doc sections must appear once each, in the order {known}")
    if cls.fixable is not None and "## Fix safety" not in found:
        raise TypeError(f"{where}: a fixable rule documents its fix in '## Fix safety'")
    if "```dockerfile" not in doc.split("Use instead:")[0]:
        raise TypeError(f"{where}: ## Example needs a ```dockerfile block before 'Use instead:'")
    if "## Options" in found:
        block = doc.split("## Options", 1)[1].split("\n## ", 1)[0]
        named = set(re.findall(r"^- `([a-z0-9-]+)`", block, re.MULTILINE))
        if named != set(cls.options):
            raise TypeError(f"{where}: ## Options lists {sorted(named)}, rule has "
                            f"{sorted(cls.options)}")
    elif cls.options:
        raise TypeError(f"{where}: rule has options but no ## Options section")


__all__ = ["cleandoc", "validate"]
