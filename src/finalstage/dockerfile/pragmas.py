"""Suppression comments: ``# finalstage: [global|stage] ignore=FS101,FS203 [# reason]``.

The ``dockerfile`` parser drops comments, so this scans the raw lines (comment lines inside a
continuation count too; heredoc bodies do not, a ``#`` there is script text). Semantics follow
hadolint's ``Pragma.hs``: no scope word means the next instruction, ``stage`` the stage the comment
is in (the first stage when it comes before any FROM), ``global`` the whole file. A comment that
starts with ``# finalstage:`` but does not parse is kept as ``Pragma(scope="invalid", error=…)``
so the rules engine can report it instead of silently ignoring it (sqlfluff's lesson).
"""

from __future__ import annotations

import bisect
import re

from finalstage.dockerfile.model import Dockerfile, Pragma

__all__ = ["parse_pragma", "scan"]

_PREFIX = re.compile(r"^\s*#\s*finalstage\s*:(.*)$", re.IGNORECASE)
_CODE = re.compile(r"^(?:[A-Za-z]{1,4}\d{1,4}|[a-z][a-z0-9]*(?:-[a-z0-9]+)*)$")
_SCOPES = ("global", "stage")


def parse_pragma(body: str) -> tuple[str, tuple[str, ...], str | None] | str:
    """Parse the text after ``finalstage:``: (scope, codes, reason), or an error message."""
    directive, hash_, reason_text = body.partition("#")
    reason = reason_text.strip() or None if hash_ else None
    words = directive.replace("=", " = ").split()
    scope = "line"
    if words and words[0].lower() in _SCOPES:
        scope = words.pop(0).lower()
    if not words or words[0].lower() != "ignore":
        found = words[0] if words else "nothing"
        return f"expected 'ignore=' after 'finalstage:', found {found!r}"
    if len(words) < 2 or words[1] != "=":
        return "expected '=' after 'ignore'"
    codes_text = "".join(words[2:])
    codes = tuple(c for c in codes_text.split(",") if c)
    if not codes:
        return "no rule codes after 'ignore='"
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        return f"invalid rule code {bad[0]!r}"
    if len(codes) != len(codes_text.split(",")):
        return "empty rule code in list"
    return scope, tuple(c.upper() if c[:2].upper() == "FS" else c for c in codes), reason


def scan(lines: tuple[str, ...], model: Dockerfile) -> tuple[Pragma, ...]:
    """Every ``# finalstage:`` comment in ``lines``, resolved against the model's instructions."""
    if not any("finalstage" in line.lower() for line in lines):
        return ()
    starts: list[int] = []  # first line of every instruction, sorted
    stage_of: list[int | None] = []
    heredoc_lines: set[int] = set()
    from_lines: list[int] = []
    for instr in model.global_args:
        starts.append(instr.line)
        stage_of.append(None)
    for stage in model.stages:
        from_lines.append(stage.from_instruction.line)
        for instr in stage.instructions:
            starts.append(instr.line)
            stage_of.append(stage.index)
            if instr.heredocs:
                heredoc_lines.update(range(instr.line + 1, instr.end_line + 1))
    order = sorted(range(len(starts)), key=starts.__getitem__)
    starts = [starts[i] for i in order]
    stage_of = [stage_of[i] for i in order]

    pragmas: list[Pragma] = []
    for number, text in enumerate(lines, 1):
        if "finalstage" not in text.lower() or number in heredoc_lines:
            continue
        match = _PREFIX.match(text)
        if not match:
            continue
        parsed = parse_pragma(match.group(1))
        if isinstance(parsed, str):
            pragmas.append(Pragma("invalid", (), number, None, None, error=parsed))
            continue
        scope, codes, reason = parsed
        if scope == "global":
            pragmas.append(Pragma("global", codes, number, None, None, reason=reason))
        elif scope == "stage":
            at = bisect.bisect_right(from_lines, number) - 1
            pragmas.append(Pragma("stage", codes, number, None, max(at, 0), reason=reason))
        else:
            at = bisect.bisect_right(starts, number)
            if at >= len(starts):
                pragmas.append(
                    Pragma(
                        "invalid",
                        codes,
                        number,
                        None,
                        None,
                        reason=reason,
                        error="ignore pragma with no instruction after it",
                    )
                )
            else:
                pragmas.append(
                    Pragma("line", codes, number, starts[at], stage_of[at], reason=reason)
                )
    return tuple(pragmas)
