"""Build the model from raw commands: ARG scopes, instructions, stages and the stage graph.

BuildKit's rules (``dockerfile2llb``), as far as a linter needs them (ARG/ENV scoping: args.py):

- FROM lines see the global ARGs; a stage built ``FROM <stage>`` inherits that stage's ENV, never
  its ARGs.
- Stage names are lower-cased; ``FROM <name>`` refers to an earlier stage; ``COPY --from`` and
  ``RUN --mount=from=`` take a stage name, a stage index, or else an image reference.
- ``final`` is ``--target`` (an unknown one is an error) else the last stage; ``chain`` is the final
  stage and its ``FROM`` ancestors; ``feeders`` the stages that hand files to the chain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from finalstage.dockerfile.args import PLATFORM_ARGS, Scope, arg_instruction, instruction
from finalstage.dockerfile.expand import expand_word
from finalstage.dockerfile.model import Dockerfile, Instruction, Stage
from finalstage.dockerfile.parse import RawCommand, Source
from finalstage.dockerfile.pragmas import scan
from finalstage.errors import DockerfileSyntaxError

__all__ = ["build"]

_STAGE_NAME = re.compile(r"^[a-z][a-z0-9._-]*$")


def build(source: Source, build_args: Mapping[str, str] | None, target: str | None) -> Dockerfile:
    """The ``Dockerfile`` model of a parsed source for one set of build args and target."""
    ctx, global_args, stage_commands = _global_scope(source, dict(build_args or {}))
    stages = [
        _build_stage(index, group, ctx) for index, group in enumerate(_split_stages(stage_commands))
    ]
    # Dependencies once every stage is named: `COPY --from` may name a later stage.
    stages = [_with_dependencies(stage, ctx.names, ctx.path) for stage in stages]
    _check_cycles(stages, ctx.path)
    final = _final(stages, ctx.names, target, ctx.path)
    chain = _chain(stages, final)
    model = Dockerfile(
        path=ctx.path,
        lines=source.lines,
        global_args=tuple(global_args),
        stages=tuple(stages),
        final=final,
        chain=chain,
        feeders=_feeders(stages, chain),
        build_args=ctx.build_args,
        escape=ctx.escape,
        syntax=source.syntax,
    )
    pragmas = scan(source.lines, model)
    if not pragmas:
        return model
    return replace(model, pragmas=pragmas)


@dataclass
class _Context:
    """What every stage of one build sees, and what the stages built so far left behind."""

    path: str
    escape: str
    build_args: dict[str, str]
    meta: Scope                          # the global scope: platform args and global ARGs
    declared_globals: dict[str, str | None]
    names: dict[str, int] = field(default_factory=dict)        # stage name → index
    envs: list[dict[str, str]] = field(default_factory=list)   # each stage's ENV at its end


def _global_scope(
    source: Source, build_args: dict[str, str]
) -> tuple[_Context, list[Instruction], list[RawCommand]]:
    """The global scope: automatic platform args (overridable), then the ARGs before the first
    FROM. Returns the context, the global ARG instructions and the commands from the first FROM.
    """
    path, commands = source.path, source.commands
    meta = Scope({k: build_args.get(k, v) for k, v in PLATFORM_ARGS.items()})
    global_args: list[Instruction] = []
    first_from = next((i for i, c in enumerate(commands) if c.keyword == "FROM"), None)
    if first_from is None:
        raise DockerfileSyntaxError("no FROM instruction", path=path, line=commands[0].line)
    for cmd in commands[:first_from]:
        if cmd.keyword != "ARG":
            raise DockerfileSyntaxError(
                f"{cmd.keyword} before the first FROM (only ARG may come first)",
                path=path,
                line=cmd.line,
            )
        global_args.append(arg_instruction(cmd, meta, build_args, {}, source.escape, stage=None))
    declared_globals = {
        k: v for k, v in meta.args.items() if k not in PLATFORM_ARGS or _declares(global_args, k)
    }
    ctx = _Context(path, source.escape, build_args, meta, declared_globals)
    return ctx, global_args, list(commands[first_from:])


def _split_stages(commands: list[RawCommand]) -> list[list[RawCommand]]:
    """The commands grouped by stage: each group starts with its FROM."""
    groups: list[list[RawCommand]] = []
    for cmd in commands:
        if cmd.keyword == "FROM":
            groups.append([cmd])
        else:
            groups[-1].append(cmd)
    return groups


def _build_stage(index: int, group: list[RawCommand], ctx: _Context) -> Stage:
    """One stage: its FROM resolved against the global scope and the earlier stages, then its
    instructions in a scope that starts from the parent stage's ENV."""
    from_cmd = group[0]
    raw_base, name = _from_parts(from_cmd, ctx.path)
    if name is not None:
        if name in ctx.names:
            raise DockerfileSyntaxError(
                f"duplicate stage name {name!r}", path=ctx.path, line=from_cmd.line
            )
        ctx.names[name] = index
    from_instr = _from_instruction(from_cmd, raw_base, index, ctx)
    base = from_instr.args[0]
    parent = ctx.names.get(base.lower())
    if parent == index:  # `FROM x AS x` names an image, not itself
        parent = None
    scope = Scope(env=ctx.envs[parent] if parent is not None else {})
    instructions = [from_instr]
    for cmd in group[1:]:
        if cmd.keyword == "ARG":
            instructions.append(
                arg_instruction(
                    cmd, scope, ctx.build_args, ctx.declared_globals, ctx.escape, stage=index
                )
            )
        else:
            instructions.append(instruction(cmd, scope, ctx.escape, index, ctx.path))
    ctx.envs.append(dict(scope.env))
    return Stage(
        index=index,
        name=name,
        base=base,
        raw_base=raw_base,
        platform=_flag(from_instr.flags, "platform"),
        parent=parent,
        instructions=tuple(instructions),
    )


def _from_instruction(
    from_cmd: RawCommand, raw_base: str, index: int, ctx: _Context
) -> Instruction:
    """The FROM instruction of stage ``index``, its base and flags expanded with the global
    ARGs."""
    meta_values = ctx.meta.values()
    base = expand_word(raw_base, meta_values, escape=ctx.escape)
    return Instruction(
        keyword="FROM",
        args=(base, *from_cmd.value[1:]),
        raw_args=from_cmd.value,
        flags=tuple(expand_word(f, meta_values, escape=ctx.escape) for f in from_cmd.flags),
        original=from_cmd.original,
        line=from_cmd.line,
        end_line=from_cmd.end_line,
        stage=index,
        raw_flags=from_cmd.flags,
        known_vars=ctx.meta.snapshot(),
    )


def _declares(global_args: list[Instruction], name: str) -> bool:
    return any(k == name for instr in global_args for k, _ in instr.key_values())


def _from_parts(cmd: RawCommand, path: str) -> tuple[str, str | None]:
    """(raw base, lower-cased stage name or None) of a FROM line, validated as BuildKit does."""
    value = cmd.value
    if not value or not value[0]:
        raise DockerfileSyntaxError("FROM requires an image name", path=path, line=cmd.line)
    if len(value) == 1:
        return value[0], None
    if len(value) != 3 or value[1].lower() != "as":
        raise DockerfileSyntaxError(
            "FROM requires either one or three arguments (FROM image [AS name])",
            path=path,
            line=cmd.line,
        )
    name = value[2].lower()
    if not _STAGE_NAME.match(name):
        raise DockerfileSyntaxError(
            f"invalid name for build stage: {value[2]!r}", path=path, line=cmd.line
        )
    return value[0], name


def _flag(flags: tuple[str, ...], name: str) -> str | None:
    value = None
    for raw in flags:
        if raw.startswith(f"--{name}="):
            value = raw[len(name) + 3 :]
    return value


def _stage_ref(
    ref: str, names: Mapping[str, int], current: int, what: str, line: int, path: str
) -> int | None:
    """A stage index for a ``--from`` value, or None when it names an image."""
    if ref.isdigit():
        index = int(ref)
        if index >= current:
            raise DockerfileSyntaxError(
                f"{what}={ref} refers to the current or a later stage", path=path, line=line
            )
        return index
    named = names.get(ref.lower())
    if named == current:
        raise DockerfileSyntaxError(f"{what}={ref} refers to its own stage", path=path, line=line)
    return named


def _mount_from(spec: str) -> str | None:
    """The ``from=`` field of a ``--mount`` CSV spec."""
    for part in spec.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "from" and value:
            return value.strip().strip('"')
    return None


def _with_dependencies(stage: Stage, names: Mapping[str, int], path: str) -> Stage:
    copies: list[int] = []
    external: list[str] = []
    for instr in stage.instructions:
        refs: list[tuple[str, str]] = []
        if instr.keyword in ("COPY", "ADD"):
            ref = instr.flag("from")
            if ref:
                refs.append((ref, "--from"))
        if instr.keyword == "RUN":
            for spec in instr.flag_values("mount"):
                ref = _mount_from(spec)
                if ref:
                    refs.append((ref, "--mount from"))
        for ref, what in refs:
            index = _stage_ref(ref, names, stage.index, what, instr.line, path)
            if index is None:
                if ref not in external:
                    external.append(ref)
            elif index not in copies:
                copies.append(index)
    if not copies and not external:
        return stage
    return replace(stage, copies_from=tuple(copies), external_refs=tuple(external))


def _check_cycles(stages: list[Stage], path: str) -> None:
    """BuildKit refuses stages that (transitively) copy from themselves; so do we."""
    state = [0] * len(stages)  # 0 new, 1 on the current path, 2 done
    for root in range(len(stages)):
        if state[root]:
            continue
        stack: list[tuple[int, list[int]]] = [(root, _edges(stages[root]))]
        state[root] = 1
        while stack:
            index, edges = stack[-1]
            if not edges:
                state[index] = 2
                stack.pop()
                continue
            nxt = edges.pop()
            if state[nxt] == 1:
                stage = stages[nxt]
                raise DockerfileSyntaxError(
                    f"circular dependency detected on stage {stage.label!r}",
                    path=path,
                    line=stage.from_instruction.line,
                )
            if state[nxt] == 0:
                state[nxt] = 1
                stack.append((nxt, _edges(stages[nxt])))


def _edges(stage: Stage) -> list[int]:
    edges = list(stage.copies_from)
    if stage.parent is not None:
        edges.append(stage.parent)
    return edges


def _final(stages: list[Stage], names: Mapping[str, int], target: str | None, path: str) -> int:
    if target is None:
        return len(stages) - 1
    index = names.get(target.lower())
    if index is None:
        known = ", ".join(s.name for s in stages if s.name) or "none (no stage has an AS name)"
        raise DockerfileSyntaxError(
            f"unknown target stage {target!r}; stages are: {known}", path=path
        )
    return index


def _chain(stages: list[Stage], final: int) -> tuple[int, ...]:
    chain = [final]
    seen = {final}
    parent = stages[final].parent
    while parent is not None and parent not in seen:
        chain.append(parent)
        seen.add(parent)
        parent = stages[parent].parent
    return tuple(chain)


def _feeders(stages: list[Stage], chain: tuple[int, ...]) -> tuple[int, ...]:
    """Stages whose files reach the chain: COPY --from/mount sources, their ancestors, and so on."""
    seen: set[int] = set(chain)
    feeders: set[int] = set()
    todo = [i for c in chain for i in stages[c].copies_from]
    while todo:
        index = todo.pop()
        if index in seen:
            continue
        seen.add(index)
        feeders.add(index)
        stage = stages[index]
        todo.extend(stage.copies_from)
        if stage.parent is not None:
            todo.append(stage.parent)
    return tuple(sorted(feeders))
