"""ARG and ENV resolution like BuildKit: scopes, ``--build-arg``, and which words expand.

- ARGs before the first FROM are *global*: usable in FROM lines (and ``--platform``), and inside a
  stage only after a re-declaring ``ARG NAME``. ``--build-arg`` overrides a declared ARG's default.
- In a stage, ARG and ENV values expand later instructions; ENV wins over an ARG of the same name;
  one ENV instruction sees the values from before it.
- Only ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ONBUILD (and ARG defaults and
  flags) are expanded; RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK go raw to the shell, and
  ``expand_known`` offers rules a heuristic expansion of those with the values known there.

The word-level rules (quotes, ``${V:-x}``…) are in ``expand.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from finalstage.dockerfile.expand import expand_word, substitute_known
from finalstage.dockerfile.model import Heredoc, Instruction
from finalstage.dockerfile.parse import RawCommand

__all__ = [
    "EXPANDED",
    "PLATFORM_ARGS",
    "Scope",
    "arg_instruction",
    "expand_known",
    "expand_word",
    "instruction",
    "substitute_known",
]

# BuildKit's automatic platform ARGs, for the default linux/amd64 build. Usable in FROM lines
# without a declaration; inside a stage only after ``ARG TARGETARCH`` etc.
PLATFORM_ARGS: Mapping[str, str] = {
    "BUILDPLATFORM": "linux/amd64",
    "BUILDOS": "linux",
    "BUILDARCH": "amd64",
    "BUILDVARIANT": "",
    "TARGETPLATFORM": "linux/amd64",
    "TARGETOS": "linux",
    "TARGETARCH": "amd64",
    "TARGETVARIANT": "",
}

# Instructions whose words BuildKit expands (the documented list); the others go raw to the shell.
EXPANDED = frozenset(
    [
        "ADD",
        "COPY",
        "ENV",
        "EXPOSE",
        "FROM",
        "LABEL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
        "ONBUILD",
        "ARG",
    ]
)
_KEY_VALUE = frozenset(("ENV", "LABEL"))


class Scope:
    """ARG and ENV values visible at one point; ``None`` marks a declared ARG with no value."""

    def __init__(
        self, args: dict[str, str | None] | None = None, env: dict[str, str] | None = None
    ):
        self.args: dict[str, str | None] = dict(args or {})
        self.env: dict[str, str] = dict(env or {})
        self._snapshot: tuple[tuple[str, str], ...] | None = None
        self._values: dict[str, str] | None = None

    def values(self) -> dict[str, str]:
        """Known values, ENV over ARG. Cached until the scope changes: do not mutate."""
        if self._values is None:
            merged = {k: v for k, v in self.args.items() if v is not None}
            merged.update(self.env)
            self._values = merged
        return self._values

    def snapshot(self) -> tuple[tuple[str, str], ...]:
        # Shared by every instruction until the scope changes: 10 000 stages stay cheap.
        if self._snapshot is None:
            self._snapshot = tuple(sorted(self.values().items()))
        return self._snapshot

    def setarg_instruction(self, name: str, value: str | None) -> None:
        self.args[name] = value
        self._snapshot = self._values = None

    def set_env(self, name: str, value: str) -> None:
        self.env[name] = value
        self._snapshot = self._values = None


def arg_instruction(
    cmd: RawCommand,
    scope: Scope,
    build_args: Mapping[str, str],
    globals_: Mapping[str, str | None],
    esc: str,
    *,
    stage: int | None,
) -> Instruction:
    """An ARG instruction; declares its names in ``scope``.

    Value order (BuildKit): ``--build-arg``, else the default written here, else (in a stage)
    the global ARG of that name, else declared with no value.
    """
    words: list[str] = []
    known = scope.snapshot()
    for word in cmd.value:
        name, has_default, default = word.partition("=")
        value: str | None
        if name in build_args:
            value = build_args[name]
        elif has_default:
            value = expand_word(default, scope.values(), escape=esc)
        elif name in globals_:
            value = globals_[name]
        elif name in PLATFORM_ARGS:
            value = build_args.get(name, PLATFORM_ARGS[name])
        else:
            value = None
        scope.setarg_instruction(name, value)
        words.append(name if value is None else f"{name}={value}")
    flags = tuple(expand_word(f, scope.values(), escape=esc) for f in cmd.flags)
    return Instruction(
        keyword="ARG",
        args=tuple(words),
        raw_args=cmd.value,
        flags=flags,
        original=cmd.original,
        line=cmd.line,
        end_line=cmd.end_line,
        stage=stage,
        raw_flags=cmd.flags,
        known_vars=known,
    )


def instruction(cmd: RawCommand, scope: Scope, esc: str, stage: int, path: str) -> Instruction:
    """Any instruction but FROM and ARG; ENV updates ``scope`` after its own expansion."""
    known = scope.snapshot()
    values = scope.values()
    raw_args, args = _args(cmd, values, esc)
    if cmd.keyword == "ENV":
        for pair in args:
            key, _, value = pair.partition("=")
            scope.set_env(key, value)
    onbuild = None
    if cmd.onbuild is not None:
        onbuild = instruction(cmd.onbuild, Scope(env=dict(values)), esc, stage, path)
        onbuild = _replace_known(onbuild, known)
    return Instruction(
        keyword=cmd.keyword,
        args=args,
        raw_args=raw_args,
        flags=tuple(expand_word(f, values, escape=esc) for f in cmd.flags),
        original=cmd.original,
        line=cmd.line,
        end_line=cmd.end_line,
        is_json=cmd.is_json,
        heredocs=tuple(Heredoc(name=n, content=c) for n, c in cmd.heredocs),
        stage=stage,
        onbuild=onbuild,
        raw_flags=cmd.flags,
        known_vars=known,
    )


def _replace_known(instr: Instruction, known: tuple[tuple[str, str], ...]) -> Instruction:
    return replace(instr, known_vars=known)


def _args(
    cmd: RawCommand, values: Mapping[str, str], esc: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(raw_args, args): ENV/LABEL become ``key=value`` words; others keep the parser's words."""
    if cmd.keyword == "ONBUILD":
        # The trigger as written ("RUN make"); its parsed, expanded form is ``Instruction.onbuild``.
        parts = cmd.original.split(None, 1)
        trigger = (parts[1],) if len(parts) > 1 else ()
        return trigger, trigger
    if cmd.keyword in _KEY_VALUE:
        value = cmd.value
        if len(value) % 2:
            # The parser always gives pairs; an odd count would be a binding change: keep raw.
            return value, value
        pairs = [(value[i], value[i + 1]) for i in range(0, len(value), 2)]
        raw = tuple(f"{k}={v}" for k, v in pairs)
        out = tuple(
            f"{expand_word(k, values, escape=esc)}={expand_word(v, values, escape=esc)}"
            for k, v in pairs
        )
        return raw, out
    if cmd.keyword in EXPANDED:
        return cmd.value, tuple(expand_word(w, values, escape=esc) for w in cmd.value)
    return cmd.value, cmd.value


def expand_known(instr: Instruction) -> tuple[str, ...]:
    """``instr.args`` with the ARG/ENV values known at that instruction substituted.

    For RUN/CMD/ENTRYPOINT/HEALTHCHECK, which BuildKit leaves to the shell: a heuristic view for
    rules (``pip install $PKGS`` → the packages). Quotes and unknown variables stay as written.
    """
    if not instr.known_vars:
        return instr.args
    env = dict(instr.known_vars)
    return tuple(substitute_known(a, env) for a in instr.args)
