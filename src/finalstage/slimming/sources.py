"""What a Python or JavaScript source file imports, read from its text without running it.

Python: ``import a.b``, ``from a import b, c`` (``a.b`` and ``a.c`` are tried as submodules),
relative imports (kept with their leading dots), ``__import__("x")`` and
``importlib.import_module("x")`` with a literal name. A call with a computed name cannot be
followed statically: it becomes a *dynamic site* (line and text) that slim reports, so the user
can ``--include`` what it loads or let the probe run's trace find it.

The scan is a line-oriented regular expression, not ``ast``: an import inside a docstring counts
too (the closure keeps a little more, never less), and it costs about a tenth of parsing
(fat-python's 9,000 modules scan in about a second).

JavaScript: literal ``require("x")`` and ``import … from "x"`` / ``import("x")`` specifiers, and
the dynamic sites (``require(variable)``, ``import(variable)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IMPORT_BODY = (rb"(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)"
                rb"|import[ \t]+([^\n#;]+))")
_PY_IMPORT = re.compile(rb"^[ \t]*" + _IMPORT_BODY, re.MULTILINE)
# ``x = 1; import y`` and ``if not re: import re``: rarer, found by a second, cheaper pass
_PY_INLINE = re.compile(rb"[;:][ \t]*" + _IMPORT_BODY)
_PY_CALL = re.compile(
    rb"(?:__import__|import_module)\(\s*(?:(['\"])([\w.]+)\1|([^)\s][^)\n]{0,60}))")
_JS_CALL = re.compile(
    rb"(?<![\w$.])(?:require|import)\s*\(\s*(?:(['\"`])([^'\"`\n]{1,200})\1\s*\)|([^)\s][^)\n]{0,60}))")
_JS_FROM = re.compile(rb"^\s*(?:import|export)\b[^'\"\n;]*?\bfrom\s*(['\"])([^'\"\n]{1,200})\1"
                      rb"|^\s*import\s*(['\"])([^'\"\n]{1,200})\3", re.MULTILINE)
_GUARD = re.compile(rb"^([ \t]*)if[ \t]+(?:(?:typing|t)\.)?TYPE_CHECKING[ \t]*:"
                    rb"|^()if[ \t]+__name__[ \t]*==[ \t]*['\"]__main__['\"][ \t]*:", re.MULTILINE)
_COMMENT = re.compile(r"#[^\n]*")
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
MAX_SITES = 20   # dynamic sites kept per file


@dataclass(frozen=True)
class PySource:
    """The imports of one Python file and the places it imports by a computed name.

    ``main`` are the imports under ``if __name__ == "__main__":`` (they count only when the
    file is the program); imports under ``if TYPE_CHECKING:`` never run and are left out."""

    imports: tuple[str, ...]          # "a.b", ".x", "..a.b" (relative: leading dots)
    dynamic: tuple[tuple[int, str], ...] = ()   # (line, text) of computed-name imports
    main: tuple[str, ...] = ()


@dataclass(frozen=True)
class JsSource:
    """The literal module specifiers of one JavaScript file and its computed ones."""

    requires: tuple[str, ...]
    dynamic: tuple[tuple[int, str], ...] = ()


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip()


def scan_python(data: bytes) -> PySource:
    """The imports of Python source ``data`` (never raises on odd input)."""
    if b"\\\n" in data:
        data = data.replace(b"\\\r\n", b" ").replace(b"\\\n", b" ")
    blocks = _guarded(data) if b"TYPE_CHECKING" in data or b"__main__" in data else []
    found: dict[str, None] = {}
    main: dict[str, None] = {}
    inline = _PY_INLINE.finditer(data) if b"; import" in data or b": import" in data \
        or b"; from" in data or b": from" in data else ()
    for match in (*_PY_IMPORT.finditer(data), *inline):
        into = found
        for start, end, is_main in blocks:
            if start <= match.start() < end:
                into = main if is_main else {}
                break
        _add_names(match, into)
    dynamic: list[tuple[int, str]] = []
    if b"import" in data:
        for match in _PY_CALL.finditer(data):
            if match.group(2) is not None:
                found[match.group(2).decode("ascii", "replace")] = None
            elif len(dynamic) < MAX_SITES and not _is_definition(data, match.start()):
                dynamic.append((_line_of(data, match.start()), _snippet(data, match.start())))
    return PySource(tuple(found), tuple(dynamic), tuple(n for n in main if n not in found))


def _add_names(match: re.Match[bytes], found: dict[str, None]) -> None:
    base, names, plain = match.group(1), match.group(2), match.group(3)
    if plain is not None:
        for part in _text(plain).split(","):
            name = part.split(" as ")[0].strip()
            if _NAME.fullmatch(name):
                found[name] = None
        return
    module = _text(base)
    stripped = module.lstrip(".")
    if stripped and not _NAME.fullmatch(stripped):
        return
    if stripped:
        found[module] = None
    for part in _COMMENT.sub("", _text(names)).strip("()").replace("\n", " ").split(","):
        name = part.split(" as ")[0].strip()
        if name and name != "*" and _NAME.fullmatch(name):
            found[f"{module}.{name}" if stripped else f"{module}{name}"] = None


def _guarded(data: bytes) -> list[tuple[int, int, bool]]:
    """(start, end, is_main) of the blocks under ``if TYPE_CHECKING:`` and the main guard:
    from the guard to the next line indented no deeper than the guard."""
    out: list[tuple[int, int, bool]] = []
    for match in _GUARD.finditer(data):
        indent = len(match.group(1) if match.group(1) is not None else match.group(2))
        is_main = match.group(2) is not None
        pos = data.find(b"\n", match.end())
        end = len(data)
        while 0 <= pos < len(data):
            nxt = data.find(b"\n", pos + 1)
            line = data[pos + 1:nxt if nxt >= 0 else len(data)]
            body = line.lstrip(b" \t")
            if body and not body.startswith(b"#") and len(line) - len(body) <= indent:
                end = pos + 1
                break
            if nxt < 0:
                break
            pos = nxt
        out.append((match.start(), end, is_main))
    return out


def _is_definition(data: bytes, offset: int) -> bool:
    """``def import_module(...)``: a definition, not a call."""
    start = data.rfind(b"\n", 0, offset) + 1
    return data[start:offset].strip().startswith((b"def ", b"async def "))


def _snippet(data: bytes, offset: int) -> str:
    end = data.find(b"\n", offset)
    start = data.rfind(b"\n", 0, offset) + 1
    return _text(data[start:end if end >= 0 else None])[:120]


def scan_js(data: bytes) -> JsSource:
    """The module specifiers of JavaScript source ``data`` (never raises on odd input)."""
    found: dict[str, None] = {}
    dynamic: list[tuple[int, str]] = []
    for match in _JS_CALL.finditer(data):
        if match.group(2) is not None and b"${" not in match.group(2):
            found[match.group(2).decode("utf-8", "replace")] = None
        elif len(dynamic) < MAX_SITES:
            dynamic.append((_line_of(data, match.start()), _snippet(data, match.start())))
    for match in _JS_FROM.finditer(data):
        spec = match.group(2) or match.group(4)
        if spec:
            found[spec.decode("utf-8", "replace")] = None
    return JsSource(tuple(found), tuple(dynamic))


__all__ = ["MAX_SITES", "JsSource", "PySource", "scan_js", "scan_python"]
