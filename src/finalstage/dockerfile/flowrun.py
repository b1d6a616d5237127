"""Walk a parsed RUN script (``flow.parse``) with the ARG/ENV values known at its instruction.

Every guard has one of four outcomes: known true, known false, unknown (a test whose operands
are not all known, ``command -v x``), or *assumed*: an ordinary command, which a build expects to
succeed (``apt-get update && apt-get install …`` installs unconditionally). ``&&`` after a known
false test and the branches of a known ``if``/``case`` are dropped; after an unknown guard the
commands stay, carrying the guard's text. ``A || B`` runs ``B`` only when ``A`` fails, so ``B``
is conditional unless ``A`` is known false.

Variables assigned in the script (``X=1``, ``export X=1``) join the known values; one assigned in a
conditional branch or a loop becomes unknown after it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from finalstage.dockerfile.expand import expand_word
from finalstage.dockerfile.flow import AndOr, Case, Group, If, Loop, Node, Pipeline, Simple

__all__ = ["Ran", "walk"]

TRUE, FALSE, UNKNOWN, ASSUMED = "true", "false", "unknown", "assumed"
_TESTS = {"[", "[[", "test"}
_ASSIGNERS = {"export", "readonly", "local", "declare", "typeset"}
_GUARD_CHARS = 72


@dataclass(frozen=True)
class Ran:
    """One simple command that runs: its words, and the guard it depends on (None: always)."""

    words: tuple[str, ...]
    guard: str | None


def walk(body: list[AndOr], env: Mapping[str, str]) -> list[Ran]:
    """The simple commands of ``body`` that run, in order, given the known values ``env``."""
    walker = _Walker(dict(env))
    walker.items(body, None)
    return walker.out


def _both(guard: str | None, more: str) -> str:
    return more if guard is None else f"{guard} and {more}"


class _Walker:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.out: list[Ran] = []

    def items(self, items: list[AndOr], guard: str | None) -> str:
        status = ASSUMED
        for item in items:
            status = self.and_or(item, guard)
        return status

    def branch(self, items: list[AndOr], guard: str | None, *, certain: bool) -> str:
        """Run ``items``; when they may not run, what they assign becomes unknown after."""
        if certain:
            return self.items(items, guard)
        before = dict(self.env)
        status = self.items(items, guard)
        for name in set(before) | set(self.env):
            if before.get(name) != self.env.get(name):
                self.env.pop(name, None)
        return status

    def and_or(self, node: AndOr, guard: str | None) -> str:
        status = self.pipeline(node.first, guard)
        current, text = guard, _pipeline_text(node.first)
        for op, pipe in node.rest:
            if op == "&&":
                if status == FALSE:
                    continue
                if status == UNKNOWN:
                    current = _both(current, text)
                after = self.branch_pipeline(pipe, current, certain=status != UNKNOWN)
                status = after if status != UNKNOWN else (FALSE if after == FALSE else UNKNOWN)
            else:
                if status == TRUE:
                    continue
                alt = guard if status == FALSE else _both(
                    guard, f"not {text}" if status == UNKNOWN else f"{text} fails")
                after = self.branch_pipeline(pipe, alt, certain=status == FALSE)
                status = after if status == FALSE else (TRUE if after == TRUE else status)
                current = alt
            text = _pipeline_text(pipe)
        return status

    def branch_pipeline(self, pipe: Pipeline, guard: str | None, *, certain: bool) -> str:
        return self.branch([AndOr(pipe, [])], guard, certain=certain)

    def pipeline(self, pipe: Pipeline, guard: str | None) -> str:
        status = ASSUMED
        for command in pipe.commands:
            status = self.command(command, guard)
        if pipe.negated:
            return {TRUE: FALSE, FALSE: TRUE}.get(status, UNKNOWN)
        return status

    def command(self, node: Node, guard: str | None) -> str:
        if isinstance(node, Simple):
            return self.simple(node, guard)
        if isinstance(node, Group):
            saved = dict(self.env) if node.subshell else None
            status = self.items(node.body, guard)
            if saved is not None:
                self.env = saved
            return status
        if isinstance(node, If):
            return self.if_clause(node, guard)
        if isinstance(node, Case):
            return self.case_clause(node, guard)
        if isinstance(node, Loop):
            if node.variable and node.kind == "for":
                self.env.pop(node.variable, None)
            self.items(node.condition, guard)
            self.branch(node.body, guard, certain=False)
            return ASSUMED
        return ASSUMED

    def simple(self, node: Simple, guard: str | None) -> str:
        outputs = [self.substitution(subst, guard) for subst in node.substs]
        words = _substituted(node.words, outputs) if any(o is not None for o in outputs) \
            else node.words
        at = 0
        while at < len(words) and _assignment(words[at]):
            at += 1
        if at == len(words):                            # ``X=1``: only assignments
            for word in words:
                self.assign(word)
            return TRUE
        name = words[at]
        if name in _ASSIGNERS:
            for word in words[at + 1:]:
                if _assignment(word):
                    self.assign(word)
        elif name == "unset":
            for word in words[at + 1:]:
                self.env.pop(word, None)
        self.out.append(Ran(tuple(words), guard))
        if name in _TESTS:
            return _Test(self.env).evaluate(list(words[at:]))
        return {"true": TRUE, ":": TRUE, "false": FALSE}.get(name, ASSUMED)

    def substitution(self, node: Node, guard: str | None) -> str | None:
        """Run a ``$( … )``; its output when it only echoes known words or asks the platform
        (``uname -m``, ``dpkg --print-architecture``: the target platform's answer), else
        None."""
        probe = _platform_probe(node, self.env)
        if probe is not None:
            self.command(node, guard)
            return probe
        start = len(self.out)
        self.command(node, guard)
        ran = [r for r in self.out[start:] if r.words[0] not in _TESTS]
        if any(r.words[0] != "echo" or r.guard != guard for r in ran):
            return None
        text = " ".join(" ".join(r.words[1:]) for r in ran)
        return None if "$" in text or "`" in text else text

    def assign(self, word: str) -> None:
        name, _, raw = word.partition("=")
        value = self.value(raw)
        if value is None:
            self.env.pop(name, None)
        else:
            self.env[name] = value

    def value(self, word: str) -> str | None:
        return _value(word, self.env)

    def if_clause(self, node: If, guard: str | None) -> str:
        current = guard
        for condition, body in node.branches:
            status = self.items(condition, current)
            if status == TRUE:
                self.branch(body, current, certain=current == guard)
                return ASSUMED
            if status == FALSE:
                continue
            text = _items_text(condition)
            self.branch(body, _both(current, text), certain=False)
            current = _both(current, f"not {text}")
        if node.otherwise is not None:
            self.branch(node.otherwise, current, certain=current == guard)
        return ASSUMED

    def case_clause(self, node: Case, guard: str | None) -> str:
        value = self.value(node.word)
        arms = [(p, [self.value(x) for x in p], body) for p, body in node.arms]
        if value is not None and all(None not in known for _, known, _ in arms):
            for _, known, body in arms:
                if any(fnmatch.fnmatchcase(value, str(pattern)) for pattern in known):
                    self.items(body, guard)
                    break
            return ASSUMED
        for patterns, _, body in arms:
            self.branch(body, _both(guard, f"case {node.word} is {'|'.join(patterns)}"),
                        certain=False)
        return ASSUMED


# Commands that report the platform, and their answer for each TARGETARCH (the linter builds
# for linux/amd64 unless told otherwise, as the ARG defaults say).
_MACHINE = {"amd64": "x86_64", "arm64": "aarch64", "arm": "armv7l", "386": "i686",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
_PROBES = {("uname", "-m"): "machine", ("arch",): "machine", ("apk", "--print-arch"): "machine",
           ("dpkg", "--print-architecture"): "debian", ("uname",): "os", ("uname", "-s"): "os"}


_QUOTED_SUBST = re.compile(r"\$\(\s*([^()$`]*?)\s*\)")


def _platform_probe(node: Node, env: Mapping[str, str]) -> str | None:
    if not isinstance(node, Group) or len(node.body) != 1 or node.body[0].rest:
        return None
    commands = node.body[0].first.commands
    if len(commands) != 1 or not isinstance(commands[0], Simple):
        return None
    return _probe_answer(commands[0].words, env)


def _probe_answer(words: list[str], env: Mapping[str, str]) -> str | None:
    kind = _PROBES.get(tuple(words))
    arch = env.get("TARGETARCH", "amd64")
    if kind == "os":
        return "Linux"
    if kind == "debian":
        return {"arm": "armhf", "386": "i386"}.get(arch, arch)
    return _MACHINE.get(arch) if kind == "machine" else None


def _substituted(words: list[str], outputs: list[str | None]) -> list[str]:
    """``words`` with each ``$(…)`` placeholder replaced by its known output (split into words
    when the placeholder is a whole word, as the shell splits an unquoted substitution)."""
    out: list[str] = []
    pending = iter(outputs)
    for word in words:
        while "$(…)" in word:
            value = next(pending, None)
            if value is None:
                break
            if word == "$(…)":
                out.extend(value.split())
                word = ""
                break
            word = word.replace("$(…)", value, 1)
        if word:
            out.append(word)
    return out


def _assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and bool(name) and (name[0].isalpha() or name[0] == "_") and \
        all(c.isalnum() or c == "_" for c in name)


def _value(word: str, env: Mapping[str, str]) -> str | None:
    """The word with known variables substituted; None when anything stays unknown."""
    if "$(" in word:                                   # quoted: "$(uname -m)"
        word = _QUOTED_SUBST.sub(lambda m: _probe_answer(m.group(1).split(), env) or m[0], word)
    if "$(" in word or "`" in word:
        return None
    if "$" not in word:
        return word
    out = expand_word(word.replace("\\", "\\\\"), env)
    return None if "$" in out else out


class _Test:
    """``[ … ]``, ``[[ … ]]`` and ``test …`` with three-valued logic."""

    _BINARY = frozenset({"=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "=~", "<",
                         ">"})

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.args: list[str] = []
        self.pos = 0
        self.double = False

    def evaluate(self, words: list[str]) -> str:
        head, args = words[0], words[1:]
        if head in ("[", "[["):
            close = "]" if head == "[" else "]]"
            if not args or args[-1] != close:
                return UNKNOWN
            args = args[:-1]
        self.args, self.pos, self.double = args, 0, head == "[["
        if not args:
            return FALSE
        try:
            result = self.either()
        except IndexError:
            return UNKNOWN
        return result if self.pos == len(args) else UNKNOWN

    def either(self) -> str:
        return self.joined(("-o", "||"), self.both, TRUE)

    def both(self) -> str:
        return self.joined(("-a", "&&"), self.negation, FALSE)

    def joined(self, ops: tuple[str, ...], operand: Callable[[], str], wins: str) -> str:
        """Operands joined by ``ops``: one ``wins`` decides, all the other value decides too,
        anything else is unknown (``-o``: TRUE wins; ``-a``: FALSE wins)."""
        left = operand()
        while self.pos < len(self.args) and self.args[self.pos] in ops:
            self.pos += 1
            right = operand()
            other = FALSE if wins == TRUE else TRUE
            left = wins if wins in (left, right) else (other if left == right == other
                                                       else UNKNOWN)
        return left

    def negation(self) -> str:
        args = self.args
        if args[self.pos] == "!" and self.pos + 1 < len(args):
            self.pos += 1
            return {TRUE: FALSE, FALSE: TRUE}.get(self.negation(), UNKNOWN)
        if args[self.pos] == "(":
            self.pos += 1
            inner = self.either()
            if args[self.pos] != ")":
                raise IndexError("unclosed (")
            self.pos += 1
            return inner
        return self.primary()

    def primary(self) -> str:
        args, at = self.args, self.pos
        if at + 2 < len(args) and args[at + 1] in self._BINARY:
            self.pos += 3
            return self.compare(args[at], args[at + 1], args[at + 2])
        if args[at].startswith("-") and len(args[at]) == 2 and at + 1 < len(args):
            self.pos += 2
            if args[at] in ("-z", "-n"):
                value = _value(args[at + 1], self.env)
                if value is None:
                    return UNKNOWN
                return TRUE if bool(value) == (args[at] == "-n") else FALSE
            return UNKNOWN                              # -f, -d, -x …: the file system
        self.pos += 1
        value = _value(args[at], self.env)
        return UNKNOWN if value is None else (TRUE if value else FALSE)

    def compare(self, left: str, op: str, right: str) -> str:
        a, b = _value(left, self.env), _value(right, self.env)
        if a is None or b is None or op == "=~":
            return UNKNOWN
        if op in ("=", "==", "!="):
            same = fnmatch.fnmatchcase(a, b) if self.double else a == b
            return TRUE if same == (op != "!=") else FALSE
        if op in ("<", ">"):
            return TRUE if (a < b if op == "<" else a > b) else FALSE
        try:
            x, y = int(a), int(b)
        except ValueError:
            return UNKNOWN
        result = {"-eq": x == y, "-ne": x != y, "-lt": x < y, "-le": x <= y, "-gt": x > y,
                  "-ge": x >= y}[op]
        return TRUE if result else FALSE


def _pipeline_text(pipe: Pipeline) -> str:
    text = " | ".join(_node_text(c) for c in pipe.commands)
    return ("! " + text if pipe.negated else text)[:_GUARD_CHARS]


def _items_text(items: list[AndOr]) -> str:
    parts = []
    for item in items:
        text = _pipeline_text(item.first)
        for op, pipe in item.rest:
            text += f" {op} {_pipeline_text(pipe)}"
        parts.append(text)
    text = "; ".join(parts)
    return text if len(text) <= _GUARD_CHARS else text[:_GUARD_CHARS - 1] + "…"


def _node_text(node: Node) -> str:
    if isinstance(node, Simple):
        return " ".join(node.words)
    return {If: "if …", Case: "case …", Loop: "loop …", Group: "( … )"}.get(type(node), "…")
