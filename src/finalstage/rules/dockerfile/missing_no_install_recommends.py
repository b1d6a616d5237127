"""FS108 missing-no-install-recommends."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules._shell import commands, installs
from finalstage.rules.dockerfile._query import first_run_mentioning


class MissingNoInstallRecommends(InstructionRule):
    """`apt-get install` without `--no-install-recommends` in the final image

    ## What it does
    Reports `apt-get install` / `apt install` in the final chain without
    `--no-install-recommends` (or `-o APT::Install-Recommends=false`), unless an earlier `RUN`
    of the chain turned recommends off in the APT configuration.

    ## Why is this bad?
    Recommended packages are not needed for the requested package to work. On Debian and
    Ubuntu they often double the size of an install (documentation tools, X libraries, extra
    locales) and every extra package is more to patch.

    ## Example
    ```dockerfile
    FROM debian:12-slim
    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
    ```

    Use instead:
    ```dockerfile
    FROM debian:12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl \
        && rm -rf /var/lib/apt/lists/*
    ```

    ## References
    - [hadolint DL3015](https://github.com/hadolint/hadolint/wiki/DL3015)
    """

    code = "FS108"
    name = "missing-no-install-recommends"
    severity = Severity.WARNING
    groups = ("packages", "size")
    keywords = ("RUN",)

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        for install in installs(commands(instr)):
            cmd = install.cmd
            if install.manager != "apt" or cmd.name not in ("apt-get", "apt"):
                continue
            if cmd.has_flag("--no-install-recommends") or any(
                    "Install-Recommends" in a for a in cmd.args):
                continue
            configured = first_run_mentioning(ctx, "Install-Recommends")
            if configured is not None and configured < ctx.order(instr):
                continue
            yield self.finding(
                ctx, instr, f"{cmd.name} install without --no-install-recommends",
                needle="install",
                fix_hint="add --no-install-recommends and install what you need explicitly",
            )
            return
