"""FS113 no-runtime-stage."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Finding, Severity
from finalstage.rules._base import DockerfileRule
from finalstage.rules._shell import commands, package_name
from finalstage.rules.dockerfile._query import parse_ref
from finalstage.rules.dockerfile._steps import build_step
from finalstage.rules.dockerfile._uses import tool_use
from finalstage.rules.dockerfile.build_tools_installed import (
    build_tools,
    dual_use,
    kept_installs,
    removed,
)
from finalstage.rules.dockerfile.sdk_base_image import sdk_reason


class NoRuntimeStage(DockerfileRule):
    """Single-stage Dockerfile that builds its application

    ## What it does
    Reports a Dockerfile with one stage that compiles or bundles the application (`go build`,
    `cargo build`, `mvn package`, `dotnet publish`, `npm run build`, `gcc`, `make`…) or installs
    compilers, or starts from a build image: the build and the runtime are the same image.
    Build tools removed again in the same `RUN` do not count; version-control clients (`git`)
    count only when the build is all that uses them, as FS104 judges them. Evidence that only
    happens under a shell condition on a build arg that cannot be decided makes the finding
    conditional, at warning severity.

    ## Why is this bad?
    Everything the build needed (toolchain, sources, intermediate files, caches) ships in the
    image that runs in production. A second stage that starts from a runtime base and copies
    only the build output is the standard fix.

    ## Example
    ```dockerfile
    FROM rust:1.80
    WORKDIR /src
    COPY . .
    RUN cargo build --release
    CMD ["/src/target/release/app"]
    ```

    Use instead:
    ```dockerfile
    FROM rust:1.80 AS build
    WORKDIR /src
    COPY . .
    RUN cargo build --release

    FROM debian:12-slim
    COPY --from=build /src/target/release/app /usr/local/bin/app
    CMD ["app"]
    ```
    """

    code = "FS113"
    name = "no-runtime-stage"
    severity = Severity.ERROR
    groups = ("stages",)

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        if len(ctx.dockerfile.stages) != 1:
            return
        stage = ctx.final_stage
        # description → the undecided shell condition it happens under (None: it happens)
        evidence: dict[str, str | None] = {}
        ref = parse_ref(stage.base)
        if ref.is_resolved and sdk_reason(ref):
            evidence[f"base {stage.base}"] = None
        for instr in stage.instructions:
            if instr.keyword == "RUN":
                for what, guard in _run_evidence(ctx, instr):
                    if what not in evidence or guard is None:
                        evidence[what] = guard
        if not evidence:
            return
        # Certain evidence makes an error; else the evidence under the first condition.
        guard = None if None in evidence.values() else next(iter(evidence.values()))
        shown = [what for what, under in evidence.items() if under == guard]
        yield self.finding(
            ctx, stage.from_instruction,
            f"the only stage builds the application ({', '.join(shown[:3])}) and is "
            "also the runtime image",
            guard=guard,
            fix_hint="split into a build stage and a runtime stage that copies only the "
                     "build output",
        )


def _run_evidence(ctx: DockerfileContext, instr: Instruction) -> Iterator[tuple[str, str | None]]:
    """What ``instr`` does that builds the application, with the shell condition it runs
    under: a compile or bundle step, or a build tool installed and kept. Dual-use tools (git,
    curl) count only when the build is all that uses them, as FS104 judges them."""
    cmds = commands(instr)
    gone = removed(cmds)
    for cmd in cmds:
        step = build_step(cmd)
        if step:
            yield step, cmd.guard
    for install in kept_installs(cmds, gone):
        for package in build_tools(install.packages):
            name = package_name(package)
            if name in gone:
                continue
            tools = dual_use(name)
            if tools is not None:
                use = tool_use(ctx, instr, tools)
                if use.at_runtime or use.build_line is None:
                    continue
            yield f"installs {package}", install.cmd.guard
