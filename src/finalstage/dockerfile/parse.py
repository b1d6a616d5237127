"""Adapter over the ``dockerfile`` package (BuildKit's own Go parser): bytes in, raw commands out.

This module owns everything between a path and the parser's ``Command`` tuples: reading the file,
decoding it (UTF-8/16/32 byte-order marks, CRLF), the ``# escape=``/``# syntax=`` directives, and
turning every failure into one clean ``DockerfileSyntaxError`` line with path and line number. The
Go parser reports messages without positions, so a failing file is located by re-parsing prefixes
(binary search: a few extra parses, only on the error path).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

import dockerfile as _bk
from finalstage.errors import DockerfileError, DockerfileSyntaxError
from finalstage.escape import escape_control

__all__ = ["KEYWORDS", "RawCommand", "Source", "decode", "parse_source", "read_source"]

# Files larger than this are not Dockerfiles; refusing them keeps a stray `lint big.iso` fast.
MAX_FILE_BYTES = 8 * 1024 * 1024
# BuildKit's scanner refuses longer physical lines (bufio.Scanner buffer); we check first so the
# error names the line, and so a 1 MB line costs one `len()` instead of a Go round trip.
MAX_LINE_BYTES = 65535

KEYWORDS = frozenset(
    [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ]
)

# BuildKit's directive syntax (parser/directives.go): only at the top, before any other line.
_DIRECTIVE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class RawCommand:
    """One instruction as the parser gave it, with the ONBUILD trigger parsed on its own."""

    keyword: str  # upper-case
    flags: tuple[str, ...]
    value: tuple[str, ...]
    is_json: bool
    original: str
    line: int
    end_line: int
    heredocs: tuple[tuple[str, str], ...]  # (name, content)
    onbuild: RawCommand | None = None


@dataclass(frozen=True)
class Source:
    """A decoded Dockerfile and its parser directives."""

    path: str
    text: str  # LF line endings, no BOM
    lines: tuple[str, ...]
    escape: str
    syntax: str | None
    commands: tuple[RawCommand, ...]


def read_source(path: str | Path) -> bytes:
    """Read a Dockerfile's bytes; every OS failure becomes a one-line ``DockerfileError``."""
    p = Path(path)
    try:
        if p.is_dir():
            raise DockerfileError(f"reading {p}: is a directory, not a dockerfile")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DockerfileError(
                f"reading {p}: file too large for a dockerfile"
                f" ({size} bytes, limit {MAX_FILE_BYTES})"
            )
        with p.open("rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as err:
        raise DockerfileError(f"reading {p}: no such file") from err
    except PermissionError as err:
        raise DockerfileError(f"reading {p}: permission denied") from err
    except OSError as err:
        raise DockerfileError(f"reading {p}: {err.strerror or err}".lower()) from err


def decode(data: bytes, path: str = "Dockerfile") -> str:
    """Bytes to text: honour a UTF-8/16/32 BOM, else UTF-8; normalise CRLF/CR to LF.

    Invalid UTF-8 is replaced (BuildKit reads bytes and does not care); a NUL byte means a binary
    file, which BuildKit would silently truncate, so it is an error here.
    """
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, data = name, data[len(bom) :]
            break
    try:
        text = data.decode(encoding, errors="replace" if encoding == "utf-8" else "strict")
    except UnicodeDecodeError as err:
        raise DockerfileSyntaxError(
            f"cannot decode as {encoding}: {err.reason}", path=path
        ) from err
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise DockerfileSyntaxError(
            "binary file (nul byte), not a dockerfile", path=path, line=line
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def directives(lines: tuple[str, ...] | list[str]) -> tuple[str, str | None]:
    """The ``escape`` token and ``syntax`` value from the leading directive comments."""
    escape, syntax = "\\", None
    for line in lines:
        match = _DIRECTIVE.match(line)
        if not match:
            break
        name, value = match.group(1).lower(), match.group(2)
        if name == "escape" and value in ("\\", "`"):
            escape = value
        elif name == "syntax":
            syntax = value
    return escape, syntax


def parse_source(text: str, path: str = "Dockerfile") -> Source:
    """Run BuildKit's parser over decoded text; return the raw commands or raise one clean error."""
    lines = tuple(text.split("\n"))
    if lines and lines[-1] == "":
        lines = lines[:-1]
    for number, line in enumerate(lines, 1):
        # Cheap pre-filter: a line can only exceed the byte limit if it has > limit/4 characters.
        if (
            len(line) > MAX_LINE_BYTES // 4
            and len(line.encode("utf-8", "replace")) > MAX_LINE_BYTES
        ):
            raise DockerfileSyntaxError(
                f"line longer than {MAX_LINE_BYTES} bytes (buildkit's limit)",
                path=path,
                line=number,
            )
    escape, syntax = directives(lines)
    commands = _run_parser(text, lines, path)
    if not commands:
        raise DockerfileSyntaxError("file with no instructions", path=path)
    raw = tuple(_convert(cmd, escape, path) for cmd in commands)
    return Source(path=path, text=text, lines=lines, escape=escape, syntax=syntax, commands=raw)


def _run_parser(text: str, lines: tuple[str, ...], path: str) -> tuple[_bk.Command, ...]:
    try:
        return tuple(_bk.parse_string(text))
    except Exception as err:  # the binding raises GoParseError/GoIOError; nothing else is expected
        message = _clean(str(err))
        if message == "file with no instructions":
            raise DockerfileSyntaxError(
                "file with no instructions (empty or only comments)", path=path
            ) from None
        raise DockerfileSyntaxError(message, path=path, line=_locate(lines, message)) from None


def _shown(word: str) -> str:
    """A word from the file, safe and short enough for a one-line message."""
    word = escape_control(word)
    return word if len(word) <= 40 else word[:40] + "…"


def _clean(message: str) -> str:
    """One line, lower-case first letter unless it starts an upper-case word (``ENV must …``)."""
    message = escape_control(" ".join(message.split())) or "parse error"
    if len(message) > 1 and message[0].isupper() and not message[1].isupper():
        message = message[0].lower() + message[1:]
    return message


def _fails(lines: tuple[str, ...], count: int) -> str | None:
    """The cleaned error message of parsing the first ``count`` lines, or None if it parses."""
    try:
        _bk.parse_string("\n".join(lines[:count]) + "\n")
    except Exception as err:
        message = _clean(str(err))
        return None if message == "file with no instructions" else message
    return None


def _locate(lines: tuple[str, ...], message: str) -> int | None:
    """Find the line the parser choked on by re-parsing prefixes of the file.

    The Go parser stops at the first bad instruction, so "the prefix fails with this message" is
    monotone in the prefix length: bisect it. An unterminated heredoc is different, because a
    prefix cut inside any earlier, well-terminated heredoc fails the same way; see
    ``_locate_heredoc``.
    """
    if len(lines) > 200_000:
        return None
    if message == "unterminated heredoc":
        return _locate_heredoc(lines)
    lo, hi = 1, len(lines)  # invariant: the prefix of hi lines fails with ``message``
    while lo < hi:
        mid = (lo + hi) // 2
        if _fails(lines, mid) == message:
            hi = mid
        else:
            lo = mid + 1
    return hi


def _locate_heredoc(lines: tuple[str, ...], limit: int = 64) -> int | None:
    """The line of the ``<<`` that opens the heredoc running to the end of the file.

    Candidates are lines with ``<<``, last first. The culprit L is the last one for which the
    lines before it parse and the lines up to it do not: a later ``<<`` is inside its body (so
    the lines before it already fail), and an earlier, terminated heredoc is never reached.
    """
    checked = 0
    for index in range(len(lines) - 1, -1, -1):
        if "<<" not in lines[index]:
            continue
        checked += 1
        if checked > limit:
            break
        if _fails(lines, index) is None and _fails(lines, index + 1) is not None:
            return index + 1
    return None


def _convert(cmd: _bk.Command, escape: str, path: str) -> RawCommand:
    if not cmd.cmd:  # e.g. a file that is only "\\": the parser yields a node with no keyword
        raise DockerfileSyntaxError(
            "instruction with no keyword (a stray line continuation?)",
            path=path,
            line=cmd.start_line,
        )
    keyword = _keyword(cmd.cmd, path, cmd.start_line)
    onbuild = None
    if keyword == "ONBUILD":
        onbuild = _onbuild_trigger(cmd, escape, path)
    return _raw_command(cmd, keyword, cmd, onbuild)


def _keyword(word: str, path: str, line: int) -> str:
    """The upper-cased instruction keyword ``word``; an unknown one is a syntax error."""
    keyword = (word or "").upper()
    if keyword not in KEYWORDS:
        raise DockerfileSyntaxError(f"unknown instruction: {_shown(word)}", path=path, line=line)
    return keyword


def _raw_command(
    cmd: _bk.Command, keyword: str, where: _bk.Command, onbuild: RawCommand | None = None
) -> RawCommand:
    """``cmd`` as a ``RawCommand``, at the lines of ``where`` (an ONBUILD trigger's are the
    ONBUILD line's)."""
    return RawCommand(
        keyword=keyword,
        flags=tuple(cmd.flags),
        value=tuple(cmd.value),
        is_json=bool(cmd.json),
        original=cmd.original or "",
        line=where.start_line,
        end_line=where.end_line,
        heredocs=tuple((h.name, h.content) for h in cmd.heredocs),
        onbuild=onbuild,
    )


def _onbuild_trigger(cmd: _bk.Command, escape: str, path: str) -> RawCommand:
    """Parse the instruction inside ``ONBUILD`` on its own: the binding drops its flags."""
    inner_keyword = (cmd.sub_cmd or "").upper()
    if not inner_keyword:
        raise DockerfileSyntaxError(
            "onbuild requires an instruction", path=path, line=cmd.start_line
        )
    if inner_keyword in ("ONBUILD", "FROM", "MAINTAINER"):
        raise DockerfileSyntaxError(
            f"{inner_keyword} isn't allowed as an onbuild trigger", path=path, line=cmd.start_line
        )
    parts = (cmd.original or "").split(None, 1)
    body = parts[1] if len(parts) > 1 else ""
    prefix = "# escape=`\n" if escape == "`" else ""
    try:
        parsed = _bk.parse_string(prefix + body + "\n")
    except Exception as err:
        raise DockerfileSyntaxError(_clean(str(err)), path=path, line=cmd.start_line) from None
    if len(parsed) != 1:
        raise DockerfileSyntaxError(
            "onbuild requires exactly one instruction", path=path, line=cmd.start_line
        )
    inner = parsed[0]
    return _raw_command(inner, _keyword(inner.cmd, path, cmd.start_line), cmd)
