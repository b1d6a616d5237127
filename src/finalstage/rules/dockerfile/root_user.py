"""FS109 root-user."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._base import DockerfileContext, DockerfileRule, Option
from finalstage.rules.dockerfile._facts import chain_root, parse_ref

# Bases whose default user is not root (their image config sets USER).
_NONROOT_BASES = ("*:nonroot", "*:*-nonroot", "*:nonroot-*", "cgr.dev/chainguard/*",
                  "*chiseled*", "*distroless*:*nonroot*", "*-rootless*",
                  "*nanoserver*")  # Windows nanoserver runs as ContainerUser by default
_ROOT = {"root", "0"}


class RootUser(DockerfileRule):
    """Final image runs as root

    ## What it does
    Reports a final chain with no `USER` instruction (on a base whose default user is root),
    or whose last `USER` is `root`, `0`, `0:0` or `root:root`.

    ## Why is this bad?
    A process running as root in a container is root on the container's filesystem and, after
    any escape, much closer to root on the host. Most applications need no privileges: run them
    as an unprivileged user.

    ## Example
    ```dockerfile
    FROM gcr.io/distroless/static-debian12
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    Use instead:
    ```dockerfile
    FROM gcr.io/distroless/static-debian12:nonroot
    COPY --from=build /app /app
    USER 65532:65532
    ENTRYPOINT ["/app"]
    ```

    ## Known problems
    The default user of a base image is only known for images whose name says so (`:nonroot`
    tags, Chainguard, chiseled .NET images, Windows nanoserver). Add yours with
    `non-root-images`. An entrypoint that drops privileges itself (`su-exec`, `gosu`) is not
    seen.

    ## Options
    - `non-root-images`: base image globs (`mycorp/runtime:*`) whose default user is not root.
    """

    code = "FS109"
    name = "root-user"
    severity = Severity.WARNING
    groups = ("runtime",)
    options: ClassVar[Mapping[str, Option]] = {
        "non-root-images": Option((), "Base image globs that run as non-root"),
    }

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        last = None
        for stage in ctx.chain_stages():
            for instr in stage.instructions:
                if instr.keyword == "USER" and instr.args:
                    last = instr
        if last is not None:
            user = last.args[0].strip("\"'")
            name = user.split(":", 1)[0].lower()
            if name in _ROOT:
                yield self.finding(
                    ctx, last, f"the last USER of the final image is {user}",
                    fix_hint="switch to an unprivileged user (USER 65532:65532 or a named user)",
                )
            return
        root = chain_root(ctx)
        ref = parse_ref(root.base)
        if not ref.is_resolved:
            return
        text = root.base.strip("\"'").lower()
        names = {text, text.split("@", 1)[0]}  # match with and without the digest
        patterns = _NONROOT_BASES + tuple(self.settings["non-root-images"])
        if any(fnmatch.fnmatch(n, p) for n in names for p in patterns):
            return
        yield self.finding(
            ctx, ctx.final_stage.from_instruction,
            "the final image sets no USER, so it runs as root",
            fix_hint="add `USER <uid>:<gid>` of an unprivileged user to the final stage",
        )
