"""Where a rule's fix goes: spans in the file's own lines, never a reprinted instruction.

A fix is a few ``Edit``s on the physical lines of one instruction (insert a flag after a word,
append a command at the end of a RUN, add a line), so comments between continuation lines,
heredoc bodies and the file's escape character stay exactly as written. These helpers only
find positions in the text the parser already split into lines; they parse nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from finalstage.dockerfile.model import Instruction
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Applicability, Edit, Fix

# A shell comment after code on a line: text appended after it would be commented out.
_TRAILING_COMMENT = re.compile(r"(^|\s)#")
# Characters that need a shell: a command with any of them cannot be written in exec form.
_SHELL_SYNTAX = re.compile(r"[$`|&;<>(){}*?\[\]~\\\"'#!]")


def code_lines(ctx: DockerfileContext, instr: Instruction) -> Iterator[tuple[int, str]]:
    """(line number, text) of the lines of ``instr`` that hold code: not the comment lines
    BuildKit drops between continuations, not blank lines, not heredoc terminators."""
    lines = ctx.dockerfile.lines
    last = min(instr.end_line, len(lines))
    terminators = {h.name for h in instr.heredocs}
    for number in range(instr.line, last + 1):
        text = lines[number - 1]
        stripped = text.strip()
        if number > instr.line and (not stripped or stripped.startswith("#")):
            continue
        if instr.heredocs and number == last and stripped in terminators:
            continue
        yield number, text


def after(ctx: DockerfileContext, instr: Instruction, pattern: re.Pattern[str],
          content: str, wanted: Sequence[bool] = (True,)) -> tuple[Edit, ...] | None:
    """Insert ``content`` right after the matches of ``pattern`` on the code lines of
    ``instr`` that ``wanted`` selects: one flag per command the rule found, in order. None
    when the text does not hold exactly one match per command (a command split over lines, a
    word inside quotes): the fix must land on the command the finding is about, or nowhere."""
    matches = [(number, m.end()) for number, text in code_lines(ctx, instr)
               for m in pattern.finditer(text)]
    if len(matches) != len(wanted) or not any(wanted):
        return None
    return tuple(Edit.insert(n, col, content) for (n, col), w in zip(matches, wanted) if w)


def append_command(ctx: DockerfileContext, instr: Instruction, command: str) -> Edit | None:
    """Run ``command`` last in a shell-form RUN: `` && command`` after its last code line, or a
    line of its own before the terminator of a single heredoc script. None where that cannot
    be done by an edit that is certainly right (JSON form, several heredocs, a trailing shell
    comment, a line ending in a pipe)."""
    if instr.is_json or len(instr.heredocs) > 1:
        return None
    lines = ctx.dockerfile.lines
    if instr.heredocs:
        last = min(instr.end_line, len(lines))
        if lines[last - 1].strip() != instr.heredocs[0].name or last <= instr.line + 1:
            return None
        return Edit.insert(last, 0, command + "\n")
    found = list(code_lines(ctx, instr))
    if not found:
        return None
    number, text = found[-1]
    body = text.rstrip()
    if _TRAILING_COMMENT.search(body) or body.endswith(("|", "\\", "`")):
        return None
    joiner = " " if body.endswith((";", "&&")) else " && "
    return Edit.insert(number, len(body), joiner + command)


def exec_form(ctx: DockerfileContext, instr: Instruction) -> Edit | None:
    """``CMD node server.js`` → ``CMD ["node", "server.js"]`` on a one-line shell-form
    instruction whose command uses no shell syntax (no variables, quotes, operators, globs)."""
    if instr.is_json or instr.heredocs or instr.line != instr.end_line or instr.flags:
        return None
    text = ctx.dockerfile.lines[instr.line - 1]
    match = re.match(rf"(\s*{instr.keyword}\s+)(.*?)\s*$", text, re.IGNORECASE)
    if match is None or not match.group(2) or _SHELL_SYNTAX.search(match.group(2)):
        return None
    words = match.group(2).split()
    start = match.end(1)
    return Edit(instr.line, start, instr.line, start + len(match.group(2)),
                json.dumps(words))


def add_line(ctx: DockerfileContext, before: Instruction, text: str) -> Edit:
    """A new instruction line ``text`` just above ``before``, with its indentation."""
    line = ctx.dockerfile.lines[before.line - 1]
    indent = line[: len(line) - len(line.lstrip())]
    return Edit.insert(before.line, 0, f"{indent}{text}\n")


def make(title: str, applicability: Applicability,
         edits: Edit | tuple[Edit, ...] | None) -> Fix | None:
    """A ``Fix`` of ``edits``, or None when they could not be placed."""
    if not edits:
        return None
    return Fix(title, applicability, edits if isinstance(edits, tuple) else (edits,))


__all__ = ["add_line", "after", "append_command", "code_lines", "exec_form", "make"]
