"""Words and operators of a RUN script, for the flow reader (``flow.py``): ``shlex`` does the
quoting; runs of punctuation are split into operators (``);`` → ``)`` ``;``) and redirections;
backquotes become ``$( … )`` so one parser reads both."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

__all__ = ["FlowError", "Tok", "tokens"]

_PUNCT = ";&|()<>"
_MAX_TOKENS = 20_000     # a RUN body longer than this is split flat, without flow


class FlowError(ValueError):
    """The text is not shell this reader understands."""


@dataclass(frozen=True)
class Tok:
    kind: str            # "word" | "op" | "redir" | "nl"
    text: str


def tokens(script: str) -> list[Tok]:
    """Words and operators of ``script``; a newline ends a command as ``;`` does."""
    out: list[Tok] = []
    for line in script.replace("\\\r\n", " ").replace("\\\n", " ").split("\n"):
        if "`" in line:
            line = _backticks(line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=_PUNCT)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            raw = list(lexer)
        except ValueError as err:
            raise FlowError(f"unbalanced quote: {err}") from err
        for token in raw:
            if token and set(token) <= set(_PUNCT):
                out.extend(_operators(token))
            else:
                out.append(Tok("word", token))
        out.append(Tok("nl", "\n"))
        if len(out) > _MAX_TOKENS:
            raise FlowError("script too long")
    return out


def _backticks(line: str) -> str:
    """```cmd``` written as ``$(cmd)`` (outside single quotes), so one parser reads both."""
    out: list[str] = []
    quote = ""
    opened = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and quote != "'" and i + 1 < len(line):
            out.append(line[i:i + 2])
            i += 2
            continue
        if ch == "'" and quote in ("", "'"):
            quote = "" if quote else "'"
        elif ch == '"' and quote in ("", '"'):
            quote = "" if quote else '"'
        elif ch == "`" and quote != "'":
            end = line.find("`", i + 1)
            if not opened and end > 0 and line[i + 1:end].strip().startswith("#"):
                i = end + 1                       # ```# a comment``` idiom: it outputs nothing
                continue
            out.append(")" if opened else "$(")
            opened = not opened
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _operators(run: str) -> list[Tok]:
    """Split a run of punctuation (``);``, ``&&``, ``2>&1``'s ``>&``) into operators."""
    out: list[Tok] = []
    i = 0
    while i < len(run):
        two = run[i:i + 2]
        if two in (";;", "&&", "||"):
            out.append(Tok("op", two))
            i += 2
        elif run[i] in "<>" or two in ("&>", "|&"):
            out.append(Tok("redir", run[i:]))
            break
        else:
            out.append(Tok("op", run[i]))
            i += 1
    return out
