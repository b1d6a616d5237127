"""Word expansion with BuildKit's semantics (``frontend/dockerfile/shell/lex.go``).

Two modes share one small lexer:

- ``expand_word`` is what BuildKit does to the words of ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL
  USER VOLUME WORKDIR ONBUILD and their flags: quotes are removed, the escape token escapes the
  next character, ``$V``/``${V}``/``${V:-x}``/``${V-x}``/``${V:+x}``/``${V+x}`` are substituted.
- ``substitute_known`` only replaces variables and keeps quotes and escapes, for RUN/CMD/ENTRYPOINT
  bodies that BuildKit hands to the shell untouched: rules use it as a heuristic.

One deliberate difference from BuildKit: a variable with no known value (never declared, or
``ARG X`` with no default and no ``--build-arg``) is kept as written (``${X}``) instead of becoming
``""``. A linter must not invent ``python:`` out of ``python:${PY}``; reports show what is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["expand_word", "is_name_char", "substitute_known"]

# ``${a:-${b:-…}}`` nesting we follow; deeper text is kept as written (a real file nests 2-3).
_MAX_DEPTH = 32
# Operators BuildKit accepts after ``${NAME``; the pattern ones (#, %, /) are recognised so the
# text parses, then handled simply (see _apply).
_OPERATORS = (":-", ":+", ":?", "-", "+", "?", "##", "#", "%%", "%", "//", "/")


def is_name_char(ch: str) -> bool:
    """True for characters of a shell variable name (ASCII letters, digits, underscore)."""
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z") or ("0" <= ch <= "9")


def expand_word(word: str, env: Mapping[str, str], *, escape: str = "\\") -> str:
    """Expand one word like BuildKit's ``ProcessWord``: quotes removed, variables substituted."""
    if "$" not in word and "'" not in word and '"' not in word and escape not in word:
        return word  # the common case: nothing to do
    return _Lexer(word, env, escape, remove_quotes=True).run()


def substitute_known(text: str, env: Mapping[str, str], *, escape: str = "\\") -> str:
    """Replace ``$V`` forms whose value is known; keep quotes, escapes and unknown variables.

    Single-quoted text is left alone, as the shell would.
    """
    if "$" not in text:
        return text
    return _Lexer(text, env, escape, remove_quotes=False).run()


class _Lexer:
    """A one-pass scanner over ``text``; ``pos`` always points at the next unread character."""

    def __init__(self, text: str, env: Mapping[str, str], escape: str, *, remove_quotes: bool):
        self.text = text
        self.env = env
        self.escape = escape
        self.remove_quotes = remove_quotes
        self.pos = 0
        self.depth = 0  # ${a:-${b:-…}} nesting; bounded so a hostile line cannot blow the stack

    def run(self, stop: str = "") -> str:
        """Scan until the end or an unquoted, unescaped character in ``stop`` (left unread)."""
        out: list[str] = []
        text, keep = self.text, not self.remove_quotes
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in stop and stop:
                break
            self.pos += 1
            if ch == self.escape:
                if self.pos < len(text):
                    if keep:
                        out.append(ch)
                    out.append(text[self.pos])
                    self.pos += 1
                elif keep:
                    out.append(ch)
            elif ch == "'":
                end = text.find("'", self.pos)
                if end < 0:  # unterminated: BuildKit fails the build; we keep the rest verbatim
                    end = len(text)
                    out.append(ch + text[self.pos :])
                    self.pos = end
                    continue
                body = text[self.pos : end]
                out.append(f"'{body}'" if keep else body)
                self.pos = end + 1
            elif ch == '"':
                out.append(self._double_quoted())
            elif ch == "$":
                out.append(self._dollar())
            else:
                out.append(ch)
        return "".join(out)

    def _double_quoted(self) -> str:
        out: list[str] = ['"'] if not self.remove_quotes else []
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            self.pos += 1
            if ch == '"':
                if not self.remove_quotes:
                    out.append('"')
                return "".join(out)
            if ch == self.escape and self.pos < len(text):
                nxt = text[self.pos]
                # Inside double quotes only ", $ and the escape token itself are escapable.
                if nxt in ('"', "$", self.escape):
                    if not self.remove_quotes:
                        out.append(ch)
                    out.append(nxt)
                    self.pos += 1
                else:
                    out.append(ch)
            elif ch == "$":
                out.append(self._dollar())
            else:
                out.append(ch)
        # Unterminated double quote: keep what we have (BuildKit errors; a linter goes on).
        return "".join(out)

    def _dollar(self) -> str:
        """Called just after a ``$``: return the substitution, or the text as written."""
        text, start = self.text, self.pos - 1
        if self.pos >= len(text):
            return "$"
        ch = text[self.pos]
        if ch == "{":
            return self._braced(start)
        if not is_name_char(ch):
            return "$"
        end = self.pos
        while end < len(text) and is_name_char(text[end]):
            end += 1
        name = text[self.pos : end]
        self.pos = end
        value = self.env.get(name)
        return text[start:end] if value is None else value

    def _braced(self, start: int) -> str:
        text = self.text
        self.pos += 1  # the {
        if self.depth >= _MAX_DEPTH:
            return "${"  # too deep to be real: the rest is read as plain text
        end = self.pos
        while end < len(text) and is_name_char(text[end]):
            end += 1
        name = text[self.pos : end]
        self.pos = end
        op = ""
        for candidate in _OPERATORS:
            if text.startswith(candidate, self.pos):
                op = candidate
                break
        self.pos += len(op)
        word = ""
        if op:
            # The word is itself expanded (nested variables, quotes), up to the closing brace.
            self.depth += 1
            word = self.run(stop="}")
            self.depth -= 1
        closed = self.pos < len(text) and text[self.pos] == "}"
        if closed:
            self.pos += 1
        written = text[start : self.pos]
        if not name or not closed:
            return written
        return _apply(name, op, word, self.env.get(name), written)


def _apply(name: str, op: str, word: str, value: str | None, written: str) -> str:
    """The value of ``${name<op>word}`` given the variable's value (None: unknown/unset)."""
    if op == "":
        return written if value is None else value
    if op == ":-":
        return value if value else word
    if op == "-":
        return word if value is None else value
    if op == ":+":
        return word if value else ""
    if op == "+":
        return "" if value is None else word
    if op in (":?", "?"):
        return written if value is None else value
    if value is None:
        return written
    # Pattern operators: exact-text prefix/suffix removal and replacement (no globbing).
    if op in ("#", "##"):
        return value[len(word) :] if word and value.startswith(word) else value
    if op in ("%", "%%"):
        return value[: -len(word)] if word and value.endswith(word) else value
    if op in ("/", "//"):
        pattern, _, repl = word.partition("/")
        if not pattern:
            return value
        return value.replace(pattern, repl) if op == "//" else value.replace(pattern, repl, 1)
    return written
