"""FS110 shell-form-entrypoint."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import DockerfileContext, DockerfileRule


class ShellFormEntrypoint(DockerfileRule):
    """Shell-form ENTRYPOINT or CMD in the final image

    ## What it does
    Reports the effective `ENTRYPOINT` of the final chain when it is in shell form
    (`ENTRYPOINT app --flag`), and the effective `CMD` in shell form when there is no exec-form
    `ENTRYPOINT` to pass it to.

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

    ## References
    - [Docker docs: shell and exec form](https://docs.docker.com/reference/dockerfile/#shell-and-exec-form)
    """

    code = "FS110"
    name = "shell-form-entrypoint"
    severity = Severity.WARNING
    groups = ("runtime",)

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        entrypoint = cmd = None
        for stage in ctx.chain_stages():
            for instr in stage.instructions:
                if instr.keyword == "ENTRYPOINT":
                    entrypoint = instr
                    if cmd is not None and cmd.stage != instr.stage:
                        cmd = None  # ENTRYPOINT resets a CMD inherited from the base (BuildKit)
                elif instr.keyword == "CMD":
                    cmd = instr
        if entrypoint is not None and not entrypoint.is_json and "".join(entrypoint.args):
            yield self.finding(
                ctx, entrypoint, "ENTRYPOINT in shell form runs under /bin/sh -c",
                fix_hint='write it in exec form: ENTRYPOINT ["app", "--flag"]',
            )
            return
        if cmd is not None and not cmd.is_json and (entrypoint is None or not entrypoint.is_json):
            yield self.finding(
                ctx, cmd, "CMD in shell form runs under /bin/sh -c",
                fix_hint='write it in exec form: CMD ["app", "--flag"]',
            )
