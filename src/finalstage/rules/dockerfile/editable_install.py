"""FS118 editable-install."""

from __future__ import annotations

import re
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules._shell import Cmd, commands


def editable(cmd: Cmd) -> str | None:
    """How ``cmd`` installs a project in editable (development) mode, or None."""
    args = list(cmd.args)
    if cmd.name == "uv" and args[:2] == ["pip", "install"]:
        args = args[2:]
    elif cmd.name in ("pip", "pip3") or re.fullmatch(r"pip3\.\d+", cmd.name):
        if args[:1] != ["install"]:
            return None
    elif cmd.name.startswith("python") and args[:3] == ["-m", "pip", "install"]:
        args = args[2:]
    elif cmd.name.startswith("python") and args[:2] == ["setup.py", "develop"]:
        return "setup.py develop"
    else:
        return None
    for i, arg in enumerate(args):
        if arg in ("-e", "--editable") and i + 1 < len(args):
            return f"pip install -e {args[i + 1]}"
        if arg.startswith("--editable=") or (arg.startswith("-e") and len(arg) > 2
                                             and not arg.startswith("--")):
            return f"pip install {arg}"
    return None


class EditableInstall(InstructionRule):
    """Project installed in editable (development) mode in the final image

    ## What it does
    Reports `pip install -e …` / `pip install --editable …`, `uv pip install -e …` and
    `python setup.py develop` in the final chain.

    ## Why is this bad?
    An editable install is a development install: the package is not built, the environment
    points back into the source tree, so the whole tree (and often the build backend and its
    dependencies) must stay in the final image for the application to import. Build a wheel in a
    builder stage and install that.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    RUN pip install --no-cache-dir -e .
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim AS build
    WORKDIR /src
    COPY . .
    RUN pip wheel --no-deps --wheel-dir /wheels .

    FROM python:3.12-slim
    COPY --from=build /wheels /wheels
    RUN pip install --no-cache-dir /wheels/*.whl
    ```
    """

    code = "FS118"
    name = "editable-install"
    severity = Severity.ERROR
    groups = ("packages",)
    keywords = ("RUN",)

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        for cmd in commands(instr):
            what = editable(cmd)
            if what:
                yield self.finding(
                    ctx, instr, f"editable install in the final image ({what})",
                    needle="-e" if "-e" in what else cmd.name, guard=cmd.guard,
                    fix_hint="build a wheel in a builder stage and install the wheel",
                )
                return
