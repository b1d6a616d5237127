"""FS209 setuid-file."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule, Option
from finalstage.facts.image import FileRef, ImageContext

# The setuid/setgid programs a Debian, Ubuntu, Alpine or UBI base ships (login, shadow, mount,
# PAM): present in nearly every distro base, and judged by the base image, not the app.
DISTRO_BASE = (
    "su", "passwd", "mount", "umount", "chfn", "chsh", "gpasswd", "newgrp", "unix_chkpwd",
    "expiry", "chage", "bbsuid", "pam_timestamp_check", "write", "wall",
)


class SetuidFile(ImageRule):
    """Setuid or setgid file beyond the distribution's base set

    ## What it does
    Reports regular files with the setuid or setgid bit, except the programs every
    distribution base ships with it (`su`, `passwd`, `mount`, `umount`, `chfn`, `chsh`,
    `gpasswd`, `newgrp`, `unix_chkpwd`, `expiry`, `chage`, `bbsuid`, `pam_timestamp_check`,
    `write`, `wall`), matched by base name.

    ## Why is this bad?
    A setuid binary runs with its owner's privileges (usually root) whatever user starts it, so
    each one is a privilege-escalation path for a compromised unprivileged process. An
    application image rarely needs any beyond the base's.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y sudo
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    # no sudo: run as the right user instead
    USER 10001
    ```

    ## Options
    - `allowed`: more base names of setuid/setgid programs the image may keep.
    """

    code = "FS209"
    name = "setuid-file"
    severity = Severity.WARNING
    groups = ("runtime", "content")
    options: ClassVar[Mapping[str, Option]] = {
        "allowed": Option((), "Base names of setuid/setgid programs allowed in the image"),
    }

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        allowed = set(DISTRO_BASE) | set(self.settings["allowed"])
        for special in sorted(ctx.analysis.special_files, key=lambda s: (s.path, s.kind)):
            if special.kind not in ("setuid", "setgid"):
                continue
            if special.path.rsplit("/", 1)[-1] in allowed:
                continue
            ref = ctx.file(special.path) or FileRef(special.path, 0, special.layer)
            summary = ctx.summarize([FileRef(ref.path, ref.size, special.layer)], roll_up=False)
            yield self.image_finding(
                f"{special.kind} file /{special.path} (mode {special.mode & 0o7777:04o})",
                summary,
                fix_hint=f"remove the bit in the stage that installs it: RUN chmod u-s,g-s "
                         f"/{special.path}")
