"""FS401 root-user-in-config."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.rules.image._context import ImageContext

_ROOT = {"", "root", "0"}


def is_root(user: str | None) -> bool:
    """True for a config ``User`` that runs as root: empty, ``root``, ``0``, ``0:…``."""
    name = (user or "").strip().split(":", 1)[0]
    return name in _ROOT


class RootUserInConfig(ImageRule):
    """Image config runs the container as root

    ## What it does
    Reads the image config's `User`: empty (the default), `root`, `0`, `0:0` or `root:root`
    mean the container's process runs as root.

    ## Why is this bad?
    A root process in a container owns the container's filesystem and is one kernel bug away
    from root on the host. The image is what runs, whatever the Dockerfile looked like: this
    checks the built result (the Dockerfile rule FS109 checks the source).

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    COPY app /app
    ENTRYPOINT ["/app"]
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    COPY app /app
    USER 10001:10001
    ENTRYPOINT ["/app"]
    ```
    """

    code = "FS401"
    name = "root-user-in-config"
    severity = Severity.WARNING
    groups = ("runtime", "config")

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        if ctx.config is None:
            return
        user = ctx.config.user
        if is_root(user):
            shown = user.strip() if user and user.strip() else "empty (root by default)"
            yield self.image_finding(
                f"the image config's user is {shown}",
                fix_hint="add USER with an unprivileged uid (USER 10001:10001) to the final "
                         "stage")
