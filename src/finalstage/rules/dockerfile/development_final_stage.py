"""FS117 development-final-stage."""

from __future__ import annotations

import re
from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import DockerfileRule

_DEV_NAME = re.compile(
    r"^(dev|devel|develop|development|dev[-_]?envs?|devcontainer|debug|debugger|test|tests|"
    r"testing|ci|lint|e2e)([-_].*)?$|[-_](dev|development|debug|test)$", re.IGNORECASE)


class DevelopmentFinalStage(DockerfileRule):
    """Last stage is a development, debug or test target

    ## What it does
    Reports a Dockerfile built without `--target` whose last stage (the default target) is
    named like a development, debug or test stage (`dev`, `dev-envs`, `development`, `debug`,
    `test`…).

    ## Why is this bad?
    `docker build .` builds the last stage. When that is the development container, CI and
    anyone else who forgets `--target` ship the dev image, with its tools, sources and
    development dependencies, instead of the production one. Make the production stage last, or
    always pass `--target`.

    ## Example
    ```dockerfile
    FROM node:22-slim AS production
    COPY --from=build /app/dist /app/dist
    CMD ["node", "/app/dist/server.js"]

    FROM production AS dev
    RUN npm install
    ```

    Use instead:
    ```dockerfile
    FROM node:22-slim AS dev
    RUN npm install

    FROM node:22-slim AS production
    COPY --from=build /app/dist /app/dist
    CMD ["node", "/app/dist/server.js"]
    ```
    """

    code = "FS117"
    name = "development-final-stage"
    severity = Severity.ERROR
    groups = ("stages",)
    subjects = ("category:dev-dependency", "category:tests")

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        df = ctx.dockerfile
        if ctx.target is not None or len(df.stages) < 2:
            return  # an explicit --target chose this stage, or there is nothing else
        stage = ctx.final_stage
        if stage.name and _DEV_NAME.search(stage.name):
            yield self.finding(
                ctx, stage.from_instruction,
                f"the default target is stage {stage.name}, a development/debug stage",
                fix_hint="move the production stage to the end of the file, or always build "
                         "with --target",
            )
