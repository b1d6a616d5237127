"""FS114 copy-whole-builder."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules.dockerfile._query import copy_sources, norm_path
from finalstage.rules.dockerfile._shipped import context_verdict
from finalstage.rules.dockerfile._trees import graph


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
    Reports `COPY --from=<stage> / …` (the builder's entire filesystem) and a `COPY --from` that
    brings the whole build context into the final image: the directory into which that builder
    (or a stage it is built `FROM`, or a stage it copied from) copied the context, or a parent
    of it (`COPY . /src` then `COPY --from=build /src /app`). Copying the root of a
    `FROM scratch` artifact stage is fine, and so is `FROM scratch` + `COPY --from=<stage> / /`,
    which flattens a stage on purpose.

    The context is an error when a compile or bundle step consumed part of it (the shipped
    directory then holds the sources of a compiled program, or a TS/JSX tree that was bundled)
    or when the `.dockerignore` beside the Dockerfile does not exclude `.git`; otherwise it is a
    warning (an interpreted application's work dir, dependencies installed in place).

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
        for src in copy_sources(instr):
            path = norm_path(src)
            if path in ("/", ".", "*", "/*") and not _is_artifact_stage(builder, ctx):
                yield self.finding(
                    ctx, instr, f"COPY --from={builder.label} copies the builder's whole "
                    "filesystem", needle=src,
                    fix_hint="copy only the built artifacts from the builder",
                )
                return
        tree = next((t for t in graph(ctx).arrivals.get(id(instr), ())
                     if t.kind == "context" and t.part == "."), None)
        if tree is None:
            return
        verdict = context_verdict(ctx, tree, direct=False)
        origin = ctx.stage(tree.stage).label
        yield self.finding(
            ctx, instr, f"COPY --from={builder.label} brings the whole build context (copied "
            f"in stage {origin} at line {tree.origin.line}) to {tree.path}: {verdict.reason}",
            severity=verdict.severity,
            fix_hint="copy only the built output (dist/, the binary, production "
                     "dependencies) from the builder",
        )
