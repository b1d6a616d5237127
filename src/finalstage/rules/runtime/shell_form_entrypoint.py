"""FS402 shell-form-entrypoint (formerly FS110, FS402 shell-form-in-config, FS909)."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Applicability, Finding, Fix, Severity
from finalstage.image.config import ImageConfig
from finalstage.redact import redact_text
from finalstage.rules._base import Needs, Rule
from finalstage.rules._fixes import exec_form, make
from finalstage.facts import Facts


_MAX_SHOWN = 80


def effective(ctx: DockerfileContext) -> tuple[Instruction | None, Instruction | None]:
    """The ENTRYPOINT and CMD the final image gets from its chain (either may be None)."""
    entrypoint = cmd = None
    for stage in ctx.chain_stages():
        for instr in stage.instructions:
            if instr.keyword == "ENTRYPOINT":
                entrypoint = instr
                if cmd is not None and cmd.stage != instr.stage:
                    cmd = None  # ENTRYPOINT resets a CMD inherited from the base (BuildKit)
            elif instr.keyword == "CMD":
                cmd = instr
    return entrypoint, cmd


def _shell_form_of_config(cfg: ImageConfig) -> tuple[str, tuple[str, ...]] | None:
    if cfg.is_entrypoint_shell_form:
        return "ENTRYPOINT", cfg.entrypoint or ()
    if not cfg.entrypoint and cfg.is_cmd_shell_form:
        return "CMD", cfg.cmd or ()
    return None


def _shell_form_of_dockerfile(ctx: DockerfileContext) -> Instruction | None:
    entrypoint, cmd = effective(ctx)
    if entrypoint is not None and not entrypoint.is_json and "".join(entrypoint.args):
        return entrypoint
    if cmd is not None and not cmd.is_json and (entrypoint is None or not entrypoint.is_json):
        return cmd
    return None


class ShellFormEntrypoint(Rule):
    """Shell-form ENTRYPOINT or CMD in the final image

    ## What it does
    Reports a final image that starts its process through a shell: an `ENTRYPOINT` in shell
    form (`ENTRYPOINT app --flag`, stored as `["/bin/sh", "-c", "app --flag"]`), or a `CMD` in
    shell form when there is no exec-form `ENTRYPOINT` to pass it to. With the built image its
    config decides; with only the Dockerfile, the effective `ENTRYPOINT`/`CMD` of the final chain.

    ## Why is this bad?
    Shell form runs `/bin/sh -c "…"`: the shell is PID 1, so `SIGTERM` from `docker stop` or
    Kubernetes never reaches the application, which is killed after the grace period instead of
    shutting down cleanly. It also needs a shell in the image, which a minimal (distroless,
    scratch) final image does not have.

    ## Example
    ```dockerfile
    FROM node:22-slim
    COPY --from=build /app /app
    CMD node /app/server.js
    ```

    Use instead:
    ```dockerfile
    FROM node:22-slim
    COPY --from=build /app /app
    CMD ["node", "/app/server.js"]
    ```

    ## Known problems
    A policy's `require-exec-form = true` makes this rule an error.

    ## Fix safety
    The fix rewrites a one-line shell-form `ENTRYPOINT`/`CMD` whose command uses no shell
    syntax (no variables, quotes, operators, globs or redirections) in exec form: the same
    program with the same arguments, now PID 1. It is safe; a command that needs the shell gets
    no fix.

    ## References
    - [Docker docs: shell and exec form](https://docs.docker.com/reference/dockerfile/#shell-and-exec-form)
    """

    code = "FS402"
    name = "shell-form-entrypoint"
    severity = Severity.WARNING
    needs = Needs.EITHER
    groups = ("runtime", "config")
    subjects = ("config:entrypoint",)
    aliases = ("FS110", "FS909", "shell-form-in-config")
    fixable = Applicability.SAFE

    def run(self, facts: Facts) -> Iterator[Finding]:
        ctx = facts.dockerfile
        if facts.has_image:
            cfg = facts.view.config
            found = _shell_form_of_config(cfg) if cfg is not None else None
            if found is not None:
                yield self._finding(ctx, *found)
            return
        if ctx is not None:
            instr = _shell_form_of_dockerfile(ctx)
            if instr is not None:
                yield self.finding(ctx, instr, f"{instr.keyword} in shell form runs under /bin/sh -c",
                                   fix_hint=_hint(instr.keyword), fix=_fix(ctx, instr))

    def verdict(self, facts: Facts) -> str | None:
        cfg = facts.view.config if facts.has_image else None
        if cfg is None:
            return None
        found = _shell_form_of_config(cfg)
        return f"{found[0]} in shell form" if found else "entrypoint and command in exec form"

    def _finding(self, ctx: DockerfileContext | None, keyword: str,
                 argv: tuple[str, ...]) -> Finding:
        shown = redact_text(" ".join(argv))
        if len(shown) > _MAX_SHOWN:
            shown = shown[:_MAX_SHOWN - 1] + "…"
        message = f"{keyword} runs through a shell ({shown!r}): the shell is PID 1 and does not " \
                  "forward signals to the application"
        if ctx is None:
            return self.image_finding(message, fix_hint=_hint(keyword))
        entrypoint, cmd = effective(ctx)
        instr = entrypoint if keyword == "ENTRYPOINT" else cmd
        return self.finding(ctx, instr, message, fix_hint=_hint(keyword),
                            fix=_fix(ctx, instr) if instr is not None else None)


def _fix(ctx: DockerfileContext, instr: Instruction) -> Fix | None:
    return make(f"write {instr.keyword} in exec form", Applicability.SAFE, exec_form(ctx, instr))


def _hint(keyword: str) -> str:
    return f'write it in exec form: {keyword} ["app", "--flag"]'
