"""The control flow of a RUN script: which simple commands run, given the build args we know.

``parse(script)`` reads shell text into a small tree (lists, ``&&``/``||``, pipelines,
``if``/``elif``/``else``, ``case``, loops, groups, ``$( … )``); ``shell.commands`` walks it with
the ARG/ENV values known at the instruction (``walk`` in ``flowrun.py``):

- a guard whose operands are known (``[ "$DEBUG" = "true" ]`` with ``ARG DEBUG=false``, ``case
  "$TARGETARCH" in``) is evaluated, and only the branch that runs is kept;
- a guard that cannot be decided (an unknown value, a file test, ``command -v x``) keeps every
  branch, each command marked with the guard's text (``Command.guard``): rules report those at
  warning severity, as conditional.

This is a linter's reading of POSIX sh, not a shell: no functions are called, no globbing, no
aliases. Text it cannot read raises ``FlowError``, and callers fall back to the flat split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from finalstage.dockerfile.flowtokens import FlowError, Tok, tokens

__all__ = ["AndOr", "Case", "FlowError", "Group", "If", "Loop", "Node", "Pipeline", "Simple",
           "parse"]

_MAX_DEPTH = 48          # nesting a real script never reaches; deeper input is not read


@dataclass
class Simple:
    words: list[str]
    substs: list[Node] = field(default_factory=list)   # $( … ) lists inside its words


@dataclass
class Pipeline:
    commands: list[Node]
    negated: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]]


@dataclass
class Group:
    body: list[AndOr]
    subshell: bool = False


@dataclass
class If:
    branches: list[tuple[list[AndOr], list[AndOr]]]
    otherwise: list[AndOr] | None


@dataclass
class Case:
    word: str
    arms: list[tuple[list[str], list[AndOr]]]


@dataclass
class Loop:
    kind: str                        # for | while | until | function
    variable: str | None
    condition: list[AndOr]
    body: list[AndOr]


Node = Simple | Pipeline | AndOr | Group | If | Case | Loop


def parse(script: str) -> list[AndOr]:
    """The command list of ``script``; ``FlowError`` when it is not readable shell."""
    parser = _Parser(tokens(script))
    try:
        body = parser.command_list(set())
    except RecursionError as err:
        raise FlowError("nested too deep") from err
    if parser.pos < len(parser.toks):
        raise FlowError(f"unexpected {parser.toks[parser.pos].text!r}")
    return body


_RESERVED_END = {"then", "elif", "else", "fi", "do", "done", "esac", "}", "in"}


class _Parser:
    def __init__(self, toks: list[Tok]):
        self.toks = toks
        self.pos = 0
        self.depth = 0

    # -- token helpers ----------------------------------------------------------------------
    def peek(self) -> Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def at_word(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text in texts

    def at_op(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in texts

    def expect_word(self, text: str) -> None:
        if not self.at_word(text):
            tok = self.peek()
            raise FlowError(f"expected {text!r}, found {tok.text if tok else 'end'!r}")
        self.pos += 1

    def skip_newlines(self) -> None:
        while (tok := self.peek()) is not None and (tok.kind == "nl" or tok.text == ";"):
            self.pos += 1

    # -- grammar ----------------------------------------------------------------------------
    def command_list(self, stop: set[str]) -> list[AndOr]:
        """``and_or`` items separated by ``;``, ``&`` and newlines, up to a word in ``stop``
        (in command position), ``)``, ``;;`` or the end."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise FlowError("nested too deep")
        items: list[AndOr] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None or (tok.kind == "word" and tok.text in stop) or \
                    (tok.kind == "op" and tok.text in (")", ";;")):
                break
            if tok.kind == "op" and tok.text == "&":
                self.pos += 1
                continue
            items.append(self.and_or())
        self.depth -= 1
        return items

    def and_or(self) -> AndOr:
        first = self.pipeline()
        rest: list[tuple[str, Pipeline]] = []
        while self.at_op("&&", "||"):
            op = self.toks[self.pos].text
            self.pos += 1
            while (tok := self.peek()) is not None and tok.kind == "nl":
                self.pos += 1
            rest.append((op, self.pipeline()))
        return AndOr(first, rest)

    def pipeline(self) -> Pipeline:
        negated = False
        while self.at_word("!"):
            negated = not negated
            self.pos += 1
        commands = [self.command()]
        while self.at_op("|"):
            self.pos += 1
            while (tok := self.peek()) is not None and tok.kind == "nl":
                self.pos += 1
            commands.append(self.command())
        return Pipeline(commands, negated)

    def command(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise FlowError("a command is missing at the end")
        if tok.kind == "op" and tok.text == "(":
            self.pos += 1
            body = self.command_list(set())
            self._close(")")
            return self._redirects(Group(body, subshell=True))
        if tok.kind == "word":
            compound = {"if": self.if_clause, "case": self.case_clause, "for": self.for_loop,
                        "while": self.while_loop, "until": self.while_loop,
                        "{": self.brace_group}.get(tok.text)
            if compound is not None:
                return self._redirects(compound())
            if tok.text in _RESERVED_END:
                raise FlowError(f"unexpected {tok.text!r}")
        return self.simple()

    def _close(self, text: str) -> None:
        if not self.at_op(text):
            raise FlowError(f"expected {text!r}")
        self.pos += 1

    def _redirects(self, node: Node) -> Node:
        while (tok := self.peek()) is not None and tok.kind == "redir":
            self.pos += 1
            if (nxt := self.peek()) is not None and nxt.kind == "word":
                self.pos += 1
        return node

    def simple(self) -> Node:
        if self.at_word("[["):
            return self._double_bracket()
        words: list[str] = []
        substs: list[Node] = []
        while (tok := self.peek()) is not None:
            if tok.kind == "word":
                self.pos += 1
                nxt = self.peek()
                if tok.text.endswith("$") and nxt is not None and nxt.kind == "op" \
                        and nxt.text == "(":
                    self.pos += 1                       # ``x$( … )``: a command substitution
                    substs.append(Group(self.command_list(set()), subshell=True))
                    self._close(")")
                    words.append(tok.text[:-1] + "$(…)")
                    continue
                if nxt is not None and nxt.kind == "op" and nxt.text == "(":
                    if tok.text.endswith("=") and "=" not in tok.text[:-1]:
                        words.append(tok.text + self._array())      # ``NAME=(a b c)``
                        continue
                    if not words:
                        return self._function(tok.text)
                words.append(tok.text)
            elif tok.kind == "redir":
                if words and words[-1].isdigit():
                    words.pop()                         # ``2>&1``: the fd number is no word
                self.pos += 1
                if (nxt := self.peek()) is not None and nxt.kind == "word":
                    self.pos += 1
            else:
                break
        if not words and not substs:
            tok = self.peek()
            raise FlowError(f"unexpected {tok.text if tok else 'end'!r}")
        return Simple(words, substs)

    def _double_bracket(self) -> Node:
        """``[[ … ]]`` is one command: its ``&&``, ``||``, ``<`` and parentheses are operands."""
        words: list[str] = []
        while (tok := self.peek()) is not None and tok.kind != "nl":
            self.pos += 1
            words.append(tok.text)
            if tok.kind == "word" and tok.text == "]]":
                return Simple(words)
        raise FlowError("[[ without ]]")

    def _array(self) -> str:
        """The ``( … )`` of a bash array assignment, as one word."""
        self.pos += 1
        items: list[str] = []
        while (tok := self.peek()) is not None and not (tok.kind == "op" and tok.text == ")"):
            if tok.kind == "word":
                items.append(tok.text)
            self.pos += 1
        self._close(")")
        return "(" + " ".join(items) + ")"

    def _function(self, name: str) -> Node:
        self.pos += 1                                   # (
        self._close(")")
        self.skip_newlines()
        body = self.command()
        return Loop("function", name, [], [AndOr(Pipeline([body]), [])])

    def brace_group(self) -> Node:
        self.pos += 1
        body = self.command_list({"}"})
        self.expect_word("}")
        return Group(body)

    def if_clause(self) -> Node:
        self.pos += 1
        branches: list[tuple[list[AndOr], list[AndOr]]] = []
        otherwise: list[AndOr] | None = None
        while True:
            condition = self.command_list({"then"})
            self.expect_word("then")
            body = self.command_list({"elif", "else", "fi"})
            branches.append((condition, body))
            if self.at_word("elif"):
                self.pos += 1
                continue
            if self.at_word("else"):
                self.pos += 1
                otherwise = self.command_list({"fi"})
            self.expect_word("fi")
            return If(branches, otherwise)

    def take_word(self, what: str) -> str:
        """The next token, which must be a word (``what`` names it in the error)."""
        tok = self.peek()
        if tok is None or tok.kind != "word":
            raise FlowError(f"{what} is missing")
        self.pos += 1
        return tok.text

    def case_clause(self) -> Node:
        self.pos += 1
        word = self.take_word("the word of case")
        self.skip_newlines()
        self.expect_word("in")
        arms: list[tuple[list[str], list[AndOr]]] = []
        while True:
            self.skip_newlines()
            if self.at_word("esac"):
                self.pos += 1
                return Case(word, arms)
            if self.at_op("("):
                self.pos += 1
            patterns: list[str] = []
            while (tok := self.peek()) is not None and tok.kind == "word":
                patterns.append(tok.text)
                self.pos += 1
                if not self.at_op("|"):
                    break
                self.pos += 1
            self._close(")")
            body = self.command_list({"esac"})
            arms.append((patterns, body))
            if self.at_op(";;"):
                self.pos += 1

    def for_loop(self) -> Node:
        self.pos += 1
        variable = self.take_word("the name of for")
        while (tok := self.peek()) is not None and tok.text != "do" and (
                tok.kind == "word" or tok.text == "("):
            self.pos += 1                               # ``in a b $(ls)``: the words are not read
            if tok.text == "(":
                self.command_list(set())
                self._close(")")
        self.skip_newlines()
        self.expect_word("do")
        body = self.command_list({"done"})
        self.expect_word("done")
        return Loop("for", variable, [], body)

    def while_loop(self) -> Node:
        kind = self.toks[self.pos].text
        self.pos += 1
        condition = self.command_list({"do"})
        self.expect_word("do")
        body = self.command_list({"done"})
        self.expect_word("done")
        return Loop(kind, None, condition, body)
