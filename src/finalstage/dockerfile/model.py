"""The Dockerfile model: frozen values the parser builds and every rule reads.

Rules never parse: they read ``Dockerfile.stages``, ``Stage.instructions`` and the stage graph
(``final``, ``chain``, ``feeders``). Lines are 1-based, as in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str


@dataclass(frozen=True)
class Instruction:
    """One instruction, with ``${VAR}`` already expanded where the build args allow it.

    ``args`` are the words after the flags (JSON form gives the list items; shell form gives one
    string for RUN/CMD/ENTRYPOINT/SHELL, as BuildKit does). ``raw_args`` are the same before ARG
    expansion. ``flags`` are the ``--name=value`` strings (ARG-expanded; ``raw_flags`` as written).

    Expansion follows BuildKit: only ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR
    ONBUILD ARG (and flags) are expanded, quotes removed; RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK keep
    the text the shell will see (``finalstage.dockerfile.expand_known`` substitutes known values).
    ENV/LABEL/ARG args are ``KEY=value`` words (``key_values()`` splits them); a variable with no
    known value stays as written (``${X}``). FROM args are (base[, "AS", name]) with base expanded.
    """

    keyword: str                         # upper-case: "RUN", "COPY", "FROM", ...
    args: tuple[str, ...]
    raw_args: tuple[str, ...]
    flags: tuple[str, ...]
    original: str                        # the text as written (continuations joined)
    line: int
    end_line: int
    is_json: bool = False                # exec form: ["a", "b"]
    heredocs: tuple[Heredoc, ...] = ()
    stage: int | None = None             # index of its stage; None for global ARGs
    onbuild: Instruction | None = None   # the wrapped instruction of ONBUILD
    # Added by the parser: ``flags`` are ARG-expanded (as BuildKit expands --from, --chown,
    # --mount, --platform); ``raw_flags`` are the same as written.
    raw_flags: tuple[str, ...] = ()
    # ARG and ENV values known when this instruction runs (ENV wins over ARG, as in BuildKit).
    # Unknown variables are absent. Used by ``args.expand_known`` for RUN/CMD heuristics.
    known_vars: tuple[tuple[str, str], ...] = ()

    def flag(self, name: str) -> str | None:
        """Value of ``--name=value`` (last wins), ``""`` for a bare ``--name``, else None."""
        value: str | None = None
        prefix = f"--{name}"
        for raw in self.flags:
            if raw == prefix:
                value = ""
            elif raw.startswith(prefix + "="):
                value = raw[len(prefix) + 1 :]
        return value

    def flag_values(self, name: str) -> tuple[str, ...]:
        """All values of a repeatable flag such as ``--mount``."""
        prefix = f"--{name}="
        return tuple(raw[len(prefix) :] for raw in self.flags if raw.startswith(prefix))

    def key_values(self) -> tuple[tuple[str, str], ...]:
        """ENV/LABEL/ARG ``args`` as (key, value) pairs; a bare ``ARG NAME`` gives (NAME, "")."""
        return tuple((k, v) for k, _, v in (a.partition("=") for a in self.args))

    @property
    def vars(self) -> dict[str, str]:
        """``known_vars`` as a dict."""
        return dict(self.known_vars)


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` block."""

    index: int
    name: str | None                     # the ``AS name`` alias, lower-cased as BuildKit does
    base: str                            # base reference after ARG expansion ("golang:1.22")
    raw_base: str                        # as written ("golang:${GO_VERSION}")
    platform: str | None                 # ``--platform`` value, expanded
    parent: int | None                   # index of the stage it is FROM, if any
    instructions: tuple[Instruction, ...]  # the FROM instruction first
    # Stages this one reads from with COPY --from / RUN --mount=from (indexes, no duplicates).
    copies_from: tuple[int, ...] = ()
    # COPY --from / --mount from= references that name an image, not a stage.
    external_refs: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """What reports call the stage: its name, else its index."""
        return self.name if self.name is not None else str(self.index)

    @property
    def from_instruction(self) -> Instruction:
        return self.instructions[0]


@dataclass(frozen=True)
class Pragma:
    """A ``# finalstage: [global|stage] ignore=FS101,FS203`` comment."""

    scope: str                           # "line" | "stage" | "global" | "invalid"
    codes: tuple[str, ...]
    line: int                            # line of the comment itself
    target_line: int | None              # first line of the instruction it applies to (scope line)
    stage: int | None
    reason: str | None = None            # the trailing ``# reason`` text, if any
    # For scope "invalid" (a malformed pragma the rules engine reports): what is wrong.
    error: str | None = None


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile and its stage graph for one set of build args and target."""

    path: str
    lines: tuple[str, ...]               # the file's text, for code frames
    global_args: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    final: int                           # index of the final stage (the --target, else the last)
    chain: tuple[int, ...]               # final stage plus every stage it is FROM, final first
    feeders: tuple[int, ...]             # builder stages reaching the chain via COPY --from/mounts
    build_args: dict[str, str] = field(default_factory=dict)
    pragmas: tuple[Pragma, ...] = ()
    escape: str = "\\"
    syntax: str | None = None            # the ``# syntax=`` directive, if any

    @property
    def final_stage(self) -> Stage:
        return self.stages[self.final]

    def in_chain(self, stage: Stage | int) -> bool:
        index = stage if isinstance(stage, int) else stage.index
        return index in self.chain

    def stage_named(self, name: str) -> Stage | None:
        """The stage called ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        for stage in self.stages:
            if stage.name == wanted:
                return stage
        return None

    def root_base(self, stage: Stage | int | None = None) -> str:
        """The image a stage is ultimately built on: follow ``FROM <stage>`` to the first
        stage that starts from an image (default: the final stage)."""
        index = self.final if stage is None else (stage if isinstance(stage, int) else stage.index)
        current = self.stages[index]
        while current.parent is not None:
            current = self.stages[current.parent]
        return current.base

    @property
    def valid_pragmas(self) -> tuple[Pragma, ...]:
        """Pragmas that parsed (scope line, stage or global)."""
        return tuple(p for p in self.pragmas if p.scope != "invalid")

    def chain_instructions(self) -> tuple[Instruction, ...]:
        """Instructions of the chain in build order: the oldest ancestor first."""
        out: list[Instruction] = []
        for index in reversed(self.chain):
            out.extend(self.stages[index].instructions)
        return tuple(out)
