"""FS111 secret-in-build-arg-or-env."""

from __future__ import annotations

import re
from dataclasses import replace
from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule, Option
from finalstage.redact import REDACTED, SECRET_VALUE
from finalstage.rules.dockerfile._query import pairs

_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS$|(^|_)PWD$|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|"
    r"ACCESS_?KEY|CREDENTIALS?$|AUTH_?KEY|CLIENT_?SECRET|SIGNING_?KEY|ENCRYPTION_?KEY|"
    r"(^|_)SALT$|DSN$|CONNECTION_?STRING)", re.IGNORECASE)
# Names that mention a secret but hold a reference to one, not the secret itself.
_REFERENCE_NAME = re.compile(
    r"(_FILE|_PATH|_DIR|_URL|_URI|_ENDPOINT|_HOST|_PORT|_NAME|_ID|_TYPE|_LENGTH|_TTL|_EXPIRY|"
    r"_EXPIRES?_IN|_HEADER|_ENABLED|_REQUIRED|_MODE|_ENV|_VAR|_SOURCE|_PROVIDER|_ALGORITHM|"
    r"_LIMIT|_TIMEOUT|_POLICY)$", re.IGNORECASE)
_SECRET_VALUE = SECRET_VALUE
# Values that are clearly not secrets: empty, a variable, a secrets mount, a boolean.
_HARMLESS_VALUE = re.compile(
    r"^(|\$\{?\w+\}?|/run/secrets/.*|/var/run/secrets/.*|true|false|yes|no|on|off|none|null|"
    r"0|1)$", re.IGNORECASE)


def redact(text: str, values: list[str]) -> str:
    """``text`` with every value in ``values`` replaced by ``****``."""
    for value in sorted(values, key=len, reverse=True):
        if value:
            text = text.replace(value, REDACTED)
    return text


class SecretInBuildArgOrEnv(InstructionRule):
    """Secret in an ARG or ENV of the final image

    ## What it does
    Reports `ARG` and `ENV` instructions in the final chain whose name looks like a secret
    (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*API_KEY*`, `*PRIVATE_KEY*`, `AWS_SECRET_ACCESS_KEY`…)
    and that set a value, and any `ARG`/`ENV` whose value looks like a credential (an AWS key
    id `AKIA…`, a GitHub token `ghp_…`, a PEM private key, a JWT). A value counts whether it is
    written in the file, inherited from a global `ARG` default, or passed with `--build-arg`.
    The value is redacted in every output.

    ## Why is this bad?
    `ENV` values are stored in the image configuration, and `ARG` values in the build history of
    every `RUN` that follows: anyone who can pull the image can read them with `docker
    inspect` or `docker history`. Secrets belong in build secrets (`RUN --mount=type=secret`)
    or in the runtime environment.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    ENV DATABASE_PASSWORD=hunter2
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    # provide DATABASE_PASSWORD at run time (orchestrator secret), not in the image
    ENV DATABASE_PASSWORD_FILE=/run/secrets/db_password
    ```

    ## Options
    - `extra-names`: more regular expressions matched against ARG/ENV names.
    """

    code = "FS111"
    name = "secret-in-build-arg-or-env"
    severity = Severity.ERROR
    groups = ("secrets",)
    keywords = ("ARG", "ENV")
    options: ClassVar[Mapping[str, Option]] = {
        "extra-names": Option((), "Regular expressions of secret ARG/ENV names"),
    }

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        extra = [re.compile(p, re.IGNORECASE) for p in self.settings["extra-names"]]
        raw = pairs_raw(instr)
        hits: list[str] = []
        for (name, value), raw_value in zip(pairs(instr), raw):
            if value is None:
                continue
            by_value = _SECRET_VALUE.search(value) is not None
            by_name = (
                (_SECRET_NAME.search(name) or any(p.search(name) for p in extra))
                and not _REFERENCE_NAME.search(name)
                and not _HARMLESS_VALUE.match(value.strip())
            )
            if by_value or by_name:
                hits.append(name)
        if not hits:
            return
        secret_values = [
            v for (n, v) in pairs(instr) if n in hits and v
        ] + [
            rv for (n, _), rv in zip(pairs(instr), raw)
            if n in hits and rv and not _HARMLESS_VALUE.match(rv.strip())
        ]
        number = ctx.needle_line(instr, hits[0]) or instr.line
        yield self.finding(
            ctx, instr,
            f"{instr.keyword} {', '.join(hits)} puts a secret-looking value into the image",
            needle=hits[0],
            source_line=redact(ctx.text_of(number, instr), secret_values),
            fix_hint="use RUN --mount=type=secret for build-time secrets and inject runtime "
                     "secrets at run time",
        )


def pairs_raw(instr: Instruction) -> list[str | None]:
    """The values as written (before ARG expansion), aligned with ``pairs(instr)``."""
    try:
        raw = pairs(replace(instr, args=instr.raw_args))
    except (TypeError, ValueError):
        return [None] * len(pairs(instr))
    values: list[str | None] = [v for _, v in raw]
    count = len(pairs(instr))
    return (values + [None] * count)[:count]
