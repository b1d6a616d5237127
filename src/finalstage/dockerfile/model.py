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
    expansion. ``flags`` are the raw ``--name=value`` strings.
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

    scope: str                           # "line" | "stage" | "global"
    codes: tuple[str, ...]
    line: int                            # line of the comment itself
    target_line: int | None              # first line of the instruction it applies to (scope line)
    stage: int | None


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

    @property
    def final_stage(self) -> Stage:
        return self.stages[self.final]

    def in_chain(self, stage: Stage | int) -> bool:
        index = stage if isinstance(stage, int) else stage.index
        return index in self.chain

    def chain_instructions(self) -> tuple[Instruction, ...]:
        """Instructions of the chain in build order: the oldest ancestor first."""
        out: list[Instruction] = []
        for index in reversed(self.chain):
            out.extend(self.stages[index].instructions)
        return tuple(out)
