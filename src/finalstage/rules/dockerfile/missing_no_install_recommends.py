"""FS108 missing-no-install-recommends."""

from __future__ import annotations

import re
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Applicability, Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._fixes import after, make
from finalstage.rules._base import InstructionRule
from finalstage.rules._shell import Cmd, commands, installs
from finalstage.rules.dockerfile._query import first_run_mentioning

# ``apt-get [-y -q …] install`` on one line: where the flag goes.
_APT_INSTALL = re.compile(r"\bapt(?:-get)?(?:\s+-[-\w=]+)*\s+install\b")


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

    ## Fix safety
    The fix adds `--no-install-recommends` right after `install`. It is unsafe: a program may
    need a package that was only recommended (`curl` recommends `ca-certificates`, without which
    HTTPS fails), so check the image still works and name such packages explicitly.

    ## References
    - [hadolint DL3015](https://github.com/hadolint/hadolint/wiki/DL3015)
    """

    code = "FS108"
    name = "missing-no-install-recommends"
    severity = Severity.WARNING
    groups = ("packages", "size")
    keywords = ("RUN",)
    fixable = Applicability.UNSAFE

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        apt = [i for i in installs(commands(instr))
               if i.manager == "apt" and i.cmd.name in ("apt-get", "apt")]
        for install in apt:
            cmd = install.cmd
            if _has_flag(cmd):
                continue
            configured = first_run_mentioning(ctx, "Install-Recommends")
            if configured is not None and configured < ctx.order(instr):
                continue
            yield self.finding(
                ctx, instr, f"{cmd.name} install without --no-install-recommends",
                needle="install",
                fix_hint="add --no-install-recommends and install what you need explicitly",
                fix=make("add --no-install-recommends", Applicability.UNSAFE,
                                after(ctx, instr, _APT_INSTALL, " --no-install-recommends",
                                      [not _has_flag(i.cmd) for i in apt])),
            )
            return


def _has_flag(cmd: Cmd) -> bool:
    return cmd.has_flag("--no-install-recommends") or any(
        "Install-Recommends" in a for a in cmd.args)
