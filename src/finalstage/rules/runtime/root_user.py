"""FS401 root-user (formerly FS109 root-user, FS401 root-user-in-config, FS908 require-non-root)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.dockerfile.model import Instruction
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Applicability, Edit, Finding, Fix, Severity
from finalstage.rules._base import Needs, Option, Rule
from finalstage.rules._fixes import add_line, make
from finalstage.rules.dockerfile._query import chain_root, parse_ref
from finalstage.facts import Facts


# Bases whose default user is not root (their image config sets USER).
_NONROOT_BASES = ("*:nonroot", "*:*-nonroot", "*:nonroot-*", "cgr.dev/chainguard/*",
                  "*chiseled*", "*distroless*:*nonroot*", "*-rootless*",
                  "*nanoserver*")  # Windows nanoserver runs as ContainerUser by default
_ROOT = {"", "root", "0"}
_FIX = "add `USER <uid>:<gid>` of an unprivileged user (USER 65532:65532) to the final stage"


def is_root(user: str | None) -> bool:
    """True for a user that runs as uid 0: empty (the default), ``root``, ``0``, ``0:…``."""
    return (user or "").strip().strip("\"'").split(":", 1)[0].lower() in _ROOT


def last_user(ctx: DockerfileContext) -> Instruction | None:
    """The last ``USER`` of the final chain (the one the image runs as), if any."""
    found = None
    for stage in ctx.chain_stages():
        for instr in stage.instructions:
            if instr.keyword == "USER" and instr.args:
                found = instr
    return found


class RootUser(Rule):
    """Final image runs as root

    ## What it does
    Reports an image that runs its process as root. With the built image, its config's `User`
    decides: empty (the default), `root`, `0`, `0:0` or `root:root` mean root. With only the
    Dockerfile, a final chain whose last `USER` is root, or that has no `USER` on a base whose
    default user is root. The finding points at that `USER`, or at the final `FROM`.

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
    From the Dockerfile alone, the default user of a base image is only known for images whose
    name says so (`:nonroot` tags, Chainguard, chiseled .NET images, Windows nanoserver). Add
    yours with `non-root-images`. An entrypoint that drops privileges itself (`su-exec`,
    `gosu`) is not seen. A policy's `require-non-root = true` makes this rule an error.

    ## Fix safety
    When the final stage sets no `USER`, the fix adds `USER 65534:65534` (`nobody`) before its
    `ENTRYPOINT`/`CMD`, or at its end. It is unsafe: the application may need to write files
    owned by root or bind a port below 1024. A `USER root` written on purpose gets no fix.

    ## Options
    - `non-root-images`: base image globs (`mycorp/runtime:*`) whose default user is not root.
    """

    code = "FS401"
    name = "root-user"
    severity = Severity.WARNING
    needs = Needs.EITHER
    groups = ("runtime", "config")
    subjects = ("config:user",)
    aliases = ("FS109", "FS908", "root-user-in-config")
    fixable = Applicability.UNSAFE
    options: ClassVar[Mapping[str, Option]] = {
        "non-root-images": Option((), "Base image globs that run as non-root"),
    }

    def run(self, facts: Facts) -> Iterator[Finding]:
        ctx = facts.dockerfile
        if facts.has_image:
            yield from self._from_image(facts.view.config.user if facts.view.config else None,
                                        ctx)
        elif ctx is not None:
            yield from self._from_dockerfile(ctx)

    def verdict(self, facts: Facts) -> str | None:
        if facts.has_image and facts.view.config is not None:
            user = facts.view.config.user
            return f"runs as {user.strip()!r}" if user and user.strip() else \
                "runs as root (no USER set)"
        return None

    def _from_image(self, user: str | None, ctx: DockerfileContext | None) -> Iterator[Finding]:
        if not is_root(user):
            return
        message = f"the image config's user is {_shown(user)}"
        if ctx is None:
            yield self.image_finding(message, fix_hint=_FIX)
            return
        last = last_user(ctx)
        if last is None:
            yield self.finding(ctx, ctx.final_stage.from_instruction,
                               "the final image sets no USER, so it runs as root", fix_hint=_FIX,
                               fix=_fix(ctx))
        elif is_root(last.args[0]):
            yield self.finding(ctx, last, f"the last USER of the final image is "
                               f"{last.args[0].strip(chr(34) + chr(39))}", fix_hint=_FIX)
        else:
            yield self.finding(ctx, last, message, fix_hint=_FIX)

    def _from_dockerfile(self, ctx: DockerfileContext) -> Iterator[Finding]:
        last = last_user(ctx)
        if last is not None:
            if is_root(last.args[0]):
                yield self.finding(ctx, last, f"the last USER of the final image is "
                                   f"{last.args[0].strip(chr(34) + chr(39))}", fix_hint=_FIX)
            return
        root = chain_root(ctx)
        if not parse_ref(root.base).is_resolved or self._is_nonroot_base(root.base):
            return
        yield self.finding(ctx, ctx.final_stage.from_instruction,
                           "the final image sets no USER, so it runs as root", fix_hint=_FIX,
                           fix=_fix(ctx))

    def _is_nonroot_base(self, base: str) -> bool:
        text = base.strip("\"'").lower()
        names = {text, text.split("@", 1)[0]}  # match with and without the digest
        patterns = _NONROOT_BASES + tuple(self.settings["non-root-images"])
        return any(fnmatch.fnmatch(n, p) for n in names for p in patterns)


def _fix(ctx: DockerfileContext) -> Fix | None:
    """``USER 65534:65534`` before the final stage's ENTRYPOINT/CMD, else at its end."""
    stage = ctx.final_stage
    starts = [i for i in stage.instructions if i.keyword in ("ENTRYPOINT", "CMD")]
    if starts:
        edit = add_line(ctx, starts[0], NOBODY)
    else:
        last = stage.instructions[-1]
        edit = Edit.insert(last.end_line, len(ctx.dockerfile.lines[last.end_line - 1]),
                           "\n" + NOBODY)
    return make("run as nobody (USER 65534:65534)", Applicability.UNSAFE, edit)


NOBODY = "USER 65534:65534"


def _shown(user: str | None) -> str:
    return user.strip() if user and user.strip() else "empty (root by default)"
