"""FS107 package-cache-left."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Applicability, Finding, Fix, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules._fixes import after, append_command, make
from finalstage.rules._shell import Cmd, commands, installs
from finalstage.rules.dockerfile._query import cache_mounts, env_before, run_text

# manager → (cache directories a cache mount may cover, text that cleans it in the same RUN)
_CACHES: dict[str, tuple[tuple[str, ...], re.Pattern[str]]] = {
    "apt": (("/var/lib/apt", "/var/lib/apt/lists"),
            re.compile(r"\b(rm|find)\s[^;&|]*/var/lib/apt/lists")),
    "apk": (("/var/cache/apk", "/etc/apk/cache"),
            re.compile(r"rm\s+(-\w+\s+)*[^;&|]*/var/cache/apk|apk\s+cache\s+clean")),
    "dnf": (("/var/cache/dnf", "/var/cache/yum"),
            re.compile(r"(dnf|yum|microdnf|tdnf)\s+clean\s+all|rm\s+(-\w+\s+)*[^;&|]*"
                       r"/var/cache/(dnf|yum)")),
    "pip": (("/root/.cache/pip", "/root/.cache", "~/.cache/pip", "~/.cache"),
            re.compile(r"rm\s+(-\w+\s+)*[^;&|]*(\.cache/pip|/root/\.cache|~/\.cache)|"
                       r"pip3?\s+cache\s+purge")),
    "npm": (("/root/.npm", "~/.npm", "/usr/local/share/.cache"),
            re.compile(r"npm\s+cache\s+clean|rm\s+(-\w+\s+)*[^;&|]*(/root/\.npm|~/\.npm|"
                       r"\.npm/_cacache)")),
    "yarn": (("/usr/local/share/.cache/yarn", "/root/.cache/yarn", "/usr/local/share/.cache"),
             re.compile(r"yarn\s+cache\s+clean|rm\s+(-\w+\s+)*[^;&|]*\.cache/yarn")),
}


def _users(cmds: tuple[Cmd, ...], env: Mapping[str, str], text: str) -> dict[str, str]:
    """Managers of this RUN that fill a cache, with the command that does it."""
    out: dict[str, str] = {}
    for inst in installs(cmds):
        if inst.manager == "apt" and "apt" not in out:
            out["apt"] = f"{inst.cmd.name} install"
        elif inst.manager == "apk" and not inst.cmd.has_flag("--no-cache"):
            out.setdefault("apk", "apk add without --no-cache")
        elif inst.manager == "dnf":
            out.setdefault("dnf", f"{inst.cmd.name} install")
    for cmd in cmds:
        is_pip = cmd.name in ("pip", "pip3") or re.fullmatch(r"pip3\.\d+", cmd.name)
        if is_pip and cmd.args[:1] == ("install",) and not cmd.has_flag("--no-cache-dir") \
                and "PIP_NO_CACHE_DIR" not in env and "PIP_NO_CACHE_DIR=" not in text:
            out.setdefault("pip", "pip install without --no-cache-dir")
        if cmd.name == "npm" and cmd.args[:1] and cmd.args[0] in ("install", "i", "ci") \
                and not cmd.has_flag("-g", "--global"):
            out.setdefault("npm", f"npm {cmd.args[0]}")
        if cmd.name == "yarn" and (not cmd.words() or cmd.words()[0] == "install"):
            out.setdefault("yarn", "yarn install")
    return out


class PackageCacheLeft(InstructionRule):
    """Package manager cache left in the final image

    ## What it does
    Reports a `RUN` in the final chain that installs packages and leaves the package manager's
    cache in the layer: `apt-get install` without `rm -rf /var/lib/apt/lists/*` in the same
    `RUN`, `apk add` without `--no-cache`, `dnf`/`yum install` without `dnf clean all`, `pip
    install` without `--no-cache-dir` (or `PIP_NO_CACHE_DIR`), `npm`/`yarn` installs without
    cleaning their cache. A `RUN --mount=type=cache` on the cache directory counts as clean.

    ## Why is this bad?
    Package indexes and downloaded archives are only needed while installing. Left in a layer
    they add megabytes to tens of megabytes to every pull, and cleaning them in a later `RUN`
    does not shrink the earlier layer.

    ## Example
    ```dockerfile
    FROM debian:12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates
    ```

    Use instead:
    ```dockerfile
    FROM debian:12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
        && rm -rf /var/lib/apt/lists/*
    ```

    ## Fix safety
    The fix cleans the cache in the same `RUN`: `--no-cache` for `apk add`, `--no-cache-dir`
    for `pip install`, and `rm -rf /var/lib/apt/lists/*`, `dnf clean all`, `npm cache clean
    --force` or `yarn cache clean` at the end of the `RUN` (in a heredoc script, as its last
    line). It is safe, except for apt when a later `RUN` of the final chain uses apt again:
    without the lists, an `apt-get install` with no `apt-get update` before it fails.
    """

    code = "FS107"
    name = "package-cache-left"
    severity = Severity.WARNING
    groups = ("packages", "size")
    subjects = ("category:cache",)
    keywords = ("RUN",)
    fixable = Applicability.SAFE

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        text = run_text(instr)
        env = env_before(ctx, instr)
        mounts = cache_mounts(instr)
        for manager, what in _users(commands(instr), env, text).items():
            dirs, cleaned = _CACHES[manager]
            if cleaned.search(text) or any(m in dirs for m in mounts):
                continue
            later = _cleaned_later(ctx, instr, cleaned)
            why = (f"; the RUN at line {later.line} deletes it, but a later layer only hides "
                   "files: this layer still ships them" if later is not None else "")
            yield self.finding(
                ctx, instr, f"{what} leaves the {manager} cache in the layer{why}",
                needle=what.split()[0],
                fix_hint=_HINTS[manager] + " (in the same RUN: deleting in a later RUN leaves "
                "the bytes in this layer)",
                fix=_fix(ctx, instr, manager, what, commands(instr)),
            )


def _cleaned_later(ctx: DockerfileContext, instr: Instruction,
                   cleaned: re.Pattern[str]) -> Instruction | None:
    """The first later RUN of the chain that cleans this cache (too late to shrink a layer)."""
    order = ctx.order(instr)
    for stage in ctx.chain_stages():
        for other in stage.instructions:
            if other.keyword == "RUN" and ctx.order(other) > order \
                    and cleaned.search(run_text(other)):
                return other
    return None


# manager → (where a flag goes, the flag) or the command that cleans at the end of the RUN.
_FLAGS = {"apk": (re.compile(r"\bapk(?:\s+-[-\w=]+)*\s+add\b"), " --no-cache"),
          "pip": (re.compile(r"\bpip[\d.]*(?:\s+-[-\w=]+)*\s+install\b"), " --no-cache-dir")}
_CLEAN = {"apt": "rm -rf /var/lib/apt/lists/*", "npm": "npm cache clean --force",
          "yarn": "yarn cache clean"}


def _fix(ctx: DockerfileContext, instr: Instruction, manager: str, what: str,
         cmds: tuple[Cmd, ...]) -> Fix | None:
    if manager in _FLAGS:
        pattern, flag = _FLAGS[manager]
        if manager == "pip":
            found = [c for c in cmds if re.fullmatch(r"pip[\d.]*", c.name)
                     and c.args[:1] == ("install",)]
        else:
            found = [c for c in cmds if c.name == "apk" and "add" in c.args]
        wanted = [not c.has_flag(flag.strip()) for c in found]
        return make(f"add {flag.strip()}", Applicability.SAFE,
                    after(ctx, instr, pattern, flag, wanted))
    command = _CLEAN.get(manager) or f"{what.split()[0]} clean all"
    safe = manager != "apt" or not _apt_later(ctx, instr)
    return make(f"run `{command}` in the same RUN",
                Applicability.SAFE if safe else Applicability.UNSAFE,
                append_command(ctx, instr, command))


def _apt_later(ctx: DockerfileContext, instr: Instruction) -> bool:
    """True when a later RUN of the chain uses apt (it would need the lists)."""
    order = ctx.order(instr)
    return any(other.keyword == "RUN" and ctx.order(other) > order
               and re.search(r"\bapt(-get)?\s", run_text(other))
               for stage in ctx.chain_stages() for other in stage.instructions)


_HINTS = {
    "apt": "end the same RUN with `&& rm -rf /var/lib/apt/lists/*`",
    "apk": "use `apk add --no-cache`",
    "dnf": "end the same RUN with `&& dnf clean all` (or yum/microdnf clean all)",
    "pip": "use `pip install --no-cache-dir` or set ENV PIP_NO_CACHE_DIR=1",
    "npm": "end the same RUN with `&& npm cache clean --force`, or use a cache mount",
    "yarn": "end the same RUN with `&& yarn cache clean`, or use a cache mount",
}
