"""FS114 copy-whole-builder."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules.dockerfile._query import copy_sources, norm_path
from finalstage.rules.dockerfile.copy_entire_context import copies_whole_context


def _source_dirs(stage: Stage, ctx: DockerfileContext) -> set[str]:
    """Absolute directories of ``stage`` (or its ancestors) that received the whole context."""
    out: set[str] = set()
    workdir = "/"
    lineage: list[Stage] = []
    current: Stage | None = stage
    while current is not None:
        lineage.append(current)
        current = ctx.stage(current.parent) if current.parent is not None else None
    for st in reversed(lineage):
        for instr in st.instructions:
            if instr.keyword == "WORKDIR" and instr.args:
                workdir = posixpath.normpath(posixpath.join(workdir, instr.args[0]))
            elif copies_whole_context(instr):
                dest = posixpath.normpath(posixpath.join(workdir, instr.args[-1]))
                out.add(dest)
    return out


def _builder(instr: Instruction, ctx: DockerfileContext) -> Stage | None:
    ref = instr.flag("from")
    if ref is None:
        return None
    for st in ctx.dockerfile.stages:
        if st.name == ref.lower() or str(st.index) == ref:
            return st
    return None


def _is_squash(instr: Instruction, stage: Stage, ctx: DockerfileContext) -> bool:
    """``FROM scratch`` + ``COPY --from=x / /``: flattening x into one layer, on purpose."""
    return (stage.parent is None and stage.base.strip().lower() == "scratch"
            and [norm_path(a) for a in instr.args] == ["/", "/"])


def _is_artifact_stage(stage: Stage, ctx: DockerfileContext) -> bool:
    """A ``FROM scratch`` stage holds only what was put in it: copying its root is fine."""
    while stage.parent is not None:
        stage = ctx.stage(stage.parent)
    return stage.base.strip().lower() == "scratch"


class CopyWholeBuilder(InstructionRule):
    """Whole builder stage or its source tree copied into the final image

    ## What it does
    Reports `COPY --from=<stage> / …` (the builder's entire filesystem) and `COPY --from=<stage>`
    of the directory into which that builder copied the whole build context (`COPY . /src` then
    `COPY --from=build /src /app`). Copying the root of a `FROM scratch` artifact stage is fine, and
    so is `FROM scratch` + `COPY --from=<stage> / /`, which flattens a stage on purpose.

    ## Why is this bad?
    The point of a builder stage is to leave the toolchain, the sources and the intermediate
    files behind. Copying its root or its source directory brings them all into the final image.

    ## Example
    ```dockerfile
    FROM node:22 AS build
    WORKDIR /app
    COPY . .
    RUN npm ci && npm run build

    FROM node:22-slim
    COPY --from=build /app /app
    ```

    Use instead:
    ```dockerfile
    FROM node:22 AS build
    WORKDIR /app
    COPY . .
    RUN npm ci && npm run build && npm prune --omit=dev

    FROM node:22-slim
    COPY --from=build /app/dist /app/dist
    COPY --from=build /app/node_modules /app/node_modules
    ```
    """

    code = "FS114"
    name = "copy-whole-builder"
    severity = Severity.WARNING
    groups = ("copy",)
    keywords = ("COPY", "ADD")

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        builder = _builder(instr, ctx)
        if builder is None or _is_squash(instr, stage, ctx):
            return
        dirs: set[str] | None = None
        for src in copy_sources(instr):
            path = norm_path(src)
            if path in ("/", ".", "*", "/*") and not _is_artifact_stage(builder, ctx):
                yield self.finding(
                    ctx, instr, f"COPY --from={builder.label} copies the builder's whole "
                    "filesystem", needle=src,
                    fix_hint="copy only the built artifacts from the builder",
                )
                return
            if dirs is None:
                dirs = _source_dirs(builder, ctx)
            absolute = posixpath.normpath(posixpath.join("/", path))
            if absolute in dirs and absolute != "/":
                yield self.finding(
                    ctx, instr, f"COPY --from={builder.label} copies {absolute}, where that "
                    "stage copied the whole build context", needle=src,
                    fix_hint="copy only the built output (dist/, the binary, production "
                             "dependencies) from the builder",
                )
                return
