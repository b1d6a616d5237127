"""When the final chain uses a tool: during the build (a later ``RUN``), at run time (``CMD``,
``ENTRYPOINT``, ``HEALTHCHECK``), or never as far as the Dockerfile shows.

Dual-use tools (git, curl, ssh) are judged by this: installed and used only by the build is an
error; installed with no visible use may be the application's (a Git server runs git).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from finalstage.dockerfile.model import Instruction
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._helpers import command_words
from finalstage.rules._shell import Cmd, commands

_RUNTIME = ("CMD", "ENTRYPOINT", "HEALTHCHECK")
# Installers that run git themselves for ``git+https://…`` requirements.
_GIT_URL_USERS = {"pip", "pip3", "uv", "poetry", "npm", "yarn", "pnpm", "go", "cargo", "bundle"}


@dataclass(frozen=True)
class ToolUse:
    at_runtime: bool            # a CMD/ENTRYPOINT/HEALTHCHECK of the chain runs it
    build_line: int | None      # first line of a RUN (from the install on) that runs it


def tool_use(ctx: DockerfileContext, install: Instruction, names: Collection[str]) -> ToolUse:
    """How the final chain uses the commands ``names`` from ``install`` on."""
    start = ctx.order(install)
    build_line: int | None = None
    at_runtime = False
    for stage in ctx.chain_stages():
        for instr in stage.instructions:
            if instr.keyword in _RUNTIME:
                words = command_words(instr.args)
                at_runtime = at_runtime or any(w.rsplit("/", 1)[-1] in names for w in words)
            elif instr.keyword == "RUN" and build_line is None and \
                    ctx.order(instr) >= start and any(_runs(c, names) for c in commands(instr)):
                build_line = instr.line
    return ToolUse(at_runtime, build_line)


def _runs(cmd: Cmd, names: Collection[str]) -> bool:
    if cmd.name in names:
        # `git config` prepares git for whoever runs it later (safe.directory for the app's
        # repository): configuration, not a use by the build.
        return not (cmd.name == "git" and cmd.words()[:1] == ("config",))
    return "git" in names and cmd.name in _GIT_URL_USERS and any(
        a.startswith(("git+", "git://")) or "git+https://" in a for a in cmd.args)


__all__ = ["ToolUse", "tool_use"]
