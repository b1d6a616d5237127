"""FS402 shell-form-in-config."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.rules.image._context import ImageContext


class ShellFormInConfig(ImageRule):
    """Image config starts the application through a shell

    ## What it does
    Reports an image whose `Entrypoint` (or, with no entrypoint, `Cmd`) is the shell form
    `["/bin/sh", "-c", "…"]` that `ENTRYPOINT cmd` / `CMD cmd` produce.

    ## Why is this bad?
    With the shell form, PID 1 is `/bin/sh`, not the application: `docker stop` sends SIGTERM to
    the shell, which does not forward it, so the application is killed after the timeout
    instead of shutting down cleanly. It also needs a shell in the image.

    ## Example
    ```dockerfile
    FROM node:20-bookworm-slim
    CMD npm start
    ```

    Use instead:
    ```dockerfile
    FROM node:20-bookworm-slim
    CMD ["node", "src/server.js"]
    ```
    """

    code = "FS402"
    name = "shell-form-in-config"
    severity = Severity.WARNING
    groups = ("runtime", "config")

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        cfg = ctx.config
        if cfg is None:
            return
        if cfg.is_entrypoint_shell_form:
            which, argv = "entrypoint", cfg.entrypoint or ()
        elif not cfg.entrypoint and cfg.is_cmd_shell_form:
            which, argv = "cmd", cfg.cmd or ()
        else:
            return
        yield self.image_finding(
            f"the image's {which} runs through a shell: {argv[0]} {argv[1]} …",
            fix_hint="use the exec form: ENTRYPOINT [\"/app\", \"arg\"] / CMD [\"…\"]")
