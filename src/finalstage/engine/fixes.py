"""Applying the rules' fixes to a Dockerfile's text: span edits, never a reprint.

Each ``Fix`` is a few ``Edit``s on the file's own lines. ``apply_fixes`` applies the fixes whose
edits do not overlap one taken before (in file order), as ruff does; the caller re-lints and
calls again until nothing is left to fix, so a fix set aside now is applied on the next pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from finalstage.findings import Applicability, Edit, Finding, Fix


def fixes_of(findings: Iterable[Finding], *, unsafe: bool = False) -> list[Fix]:
    """The fixes of ``findings`` that may be applied (safe ones, and unsafe ones if asked)."""
    out: list[Fix] = []
    for finding in findings:
        fix = finding.fix
        if fix is None or (fix.applicability is Applicability.UNSAFE and not unsafe):
            continue
        if fix not in out:
            out.append(fix)
    return out


def apply_fixes(text: str, fixes: Sequence[Fix]) -> tuple[str, tuple[Fix, ...]]:
    """``text`` with the non-conflicting ``fixes`` applied, and the fixes that were."""
    starts = _line_starts(text)
    taken: list[tuple[int, int]] = []
    applied: list[Fix] = []
    spans: list[tuple[int, int, str]] = []
    for fix in sorted(fixes, key=lambda f: min(_pos(starts, e) for e in f.edits)):
        mine = [(_pos(starts, e), _end(starts, e), e.content) for e in fix.edits]
        if any(_clash(s, e, ts, te) for s, e, _ in mine for ts, te in taken):
            continue
        taken.extend((s, e) for s, e, _ in mine)
        spans.extend(mine)
        applied.append(fix)
    for start, end, content in sorted(spans, reverse=True):
        text = text[:start] + content + text[end:]
    return text, tuple(applied)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _pos(starts: list[int], edit: Edit) -> int:
    return _offset(starts, edit.line, edit.column)


def _end(starts: list[int], edit: Edit) -> int:
    return _offset(starts, edit.end_line, edit.end_column)


def _offset(starts: list[int], line: int, column: int) -> int:
    if line - 1 >= len(starts):
        return starts[-1] + column
    return starts[line - 1] + column


def _clash(start: int, end: int, other_start: int, other_end: int) -> bool:
    """Two edits clash when their spans overlap or both insert at one point (order unknown)."""
    if start == other_start:
        return True
    return start < other_end and other_start < end


__all__ = ["apply_fixes", "fixes_of"]
