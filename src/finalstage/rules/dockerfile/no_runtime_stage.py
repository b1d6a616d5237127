"""FS113 no-runtime-stage."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import DockerfileRule
from finalstage.rules._shell import commands, installs
from finalstage.rules.dockerfile._query import parse_ref
from finalstage.rules.dockerfile._steps import build_step
from finalstage.rules.dockerfile.build_tools_installed import build_tools
from finalstage.rules.dockerfile.sdk_base_image import sdk_reason

class NoRuntimeStage(DockerfileRule):
    """Single-stage Dockerfile that builds its application

    ## What it does
    Reports a Dockerfile with one stage that compiles or bundles the application (`go build`,
    `cargo build`, `mvn package`, `dotnet publish`, `npm run build`, `gcc`, `make`…) or installs
    compilers, or starts from a build image: the build and the runtime are the same image.

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
        evidence: list[str] = []
        ref = parse_ref(stage.base)
        if ref.is_resolved and sdk_reason(ref):
            evidence.append(f"base {stage.base}")
        for instr in stage.instructions:
            if instr.keyword != "RUN":
                continue
            cmds = commands(instr)
            for cmd in cmds:
                step = build_step(cmd)
                if step and step not in evidence:
                    evidence.append(step)
            for install in installs(cmds):
                tools = build_tools(install.packages)
                if tools:
                    evidence.append(f"installs {tools[0]}")
        if evidence:
            yield self.finding(
                ctx, stage.from_instruction,
                f"the only stage builds the application ({', '.join(evidence[:3])}) and is "
                "also the runtime image",
                fix_hint="split into a build stage and a runtime stage that copies only the "
                         "build output",
            )
