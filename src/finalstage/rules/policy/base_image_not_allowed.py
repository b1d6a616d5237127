"""FS910 base-image-not-allowed (policy `allowed-base-images`)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._base import Needs
from finalstage.rules._options import Option
from finalstage.rules.policy._budget import PolicyRule
from finalstage.facts import Facts


BASE_NAME_LABEL = "org.opencontainers.image.base.name"


def short(ref: str) -> str:
    """``docker.io/library/debian:12`` is also matched as ``debian:12``."""
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def final_base(facts: Facts) -> str | None:
    """The final chain's base: the root ``FROM`` of the Dockerfile, else the image's
    ``org.opencontainers.image.base.name`` label."""
    if facts.dockerfile is not None:
        df = facts.dockerfile.dockerfile
        return df.stages[df.chain[-1]].base
    if facts.has_image and facts.view.config is not None:
        return dict(facts.view.config.labels).get(BASE_NAME_LABEL)
    return None


class BaseImageNotAllowed(PolicyRule):
    """The final stage's base image is not in the allowed list

    ## What it does
    Compares the base of the final chain (the `FROM` of its root stage, or the image's
    `org.opencontainers.image.base.name` label when no Dockerfile is given) with the globs in
    `allowed` and reports it when none matches.

    ## Why is this bad?
    Platform teams keep a short list of patched, minimal runtime bases. A final stage built on
    anything else escapes their updates and usually carries far more than it needs.

    ## Example
    ```dockerfile
    FROM ubuntu:24.04
    COPY app /app
    ```

    Use instead:
    ```dockerfile
    FROM gcr.io/distroless/cc-debian12
    COPY app /app
    ```

    ## Options
    - `allowed`: base image globs the final stage may start from (policy
      `allowed-base-images`).
    """

    code = "FS910"
    name = "base-image-not-allowed"
    severity = Severity.ERROR
    needs = Needs.EITHER
    groups = ("policy", "base-image")
    subjects = ("base:final",)
    setting = "allowed"
    options: ClassVar[Mapping[str, Option]] = {
        "allowed": Option((), "Base image globs the final stage may start from"),
    }

    def skip_reason(self, facts: Facts) -> str | None:
        reason = super().skip_reason(facts)
        if reason is None and final_base(facts) is None:
            return ("base image unknown: pass --dockerfile, or label the image "
                    f"{BASE_NAME_LABEL}")
        return reason

    def verdict(self, facts: Facts) -> str | None:
        base = final_base(facts)
        return f"base {base!r} is {'' if self._allowed(base) else 'not '}allowed"

    def check_facts(self, facts: Facts) -> Iterator[Finding]:
        base = final_base(facts)
        if base is None or self._allowed(base):
            return
        message = (f"final base image {base!r} is not allowed (allowed: "
                   f"{', '.join(self.settings['allowed'])})")
        hint = "start the final stage from one of the allowed runtime bases"
        ctx = facts.dockerfile
        if ctx is None:
            yield self.image_finding(message, fix_hint=hint)
            return
        root = ctx.dockerfile.stages[ctx.dockerfile.chain[-1]].from_instruction
        yield self.finding(ctx, root, message, fix_hint=hint)

    def _allowed(self, base: str | None) -> bool:
        return base is not None and any(
            fnmatch.fnmatchcase(base, glob) or fnmatch.fnmatchcase(short(base), glob)
            for glob in self.settings["allowed"])
