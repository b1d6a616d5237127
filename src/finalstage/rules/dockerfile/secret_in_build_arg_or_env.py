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
from finalstage.rules.dockerfile._query import pairs, run_text

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

    A secret-named `ARG` with no default is reported too when a later `RUN` of its stage uses
    it (`ARG NPM_TOKEN` then `RUN echo "//registry/:_authToken=$NPM_TOKEN" > .npmrc`): the value
    given with `--build-arg` is recorded in the history of that `RUN`.

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
            yield from self._used_without_default(instr, stage, ctx, extra)
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


    def _used_without_default(self, instr: Instruction, stage: Stage, ctx: DockerfileContext,
                              extra: list[re.Pattern[str]]) -> Iterator[Finding]:
        """A secret-named ``ARG`` with no value here that a later ``RUN`` of the stage uses:
        the value given with ``--build-arg`` is recorded in the history of that ``RUN``."""
        if instr.keyword != "ARG":
            return
        for name, value in pairs(instr):
            if not (_SECRET_NAME.search(name) or any(p.search(name) for p in extra)) or \
                    _REFERENCE_NAME.search(name) or \
                    (value is not None and not _HARMLESS_VALUE.match(value.strip())):
                continue
            user = _run_using(stage, instr, name)
            if user is None:
                continue
            yield self.finding(
                ctx, instr, f"ARG {name} has no default and the RUN at line {user.line} uses "
                "it: a value given with --build-arg is recorded in the image history",
                needle=name,
                fix_hint="pass the secret with RUN --mount=type=secret,id=… (or an env mount) "
                         "instead of a build argument",
            )


def _run_using(stage: Stage, arg: Instruction, name: str) -> Instruction | None:
    """The first ``RUN`` after ``arg`` in ``stage`` whose text references ``$name``."""
    reference = re.compile(rf"\$(?:{{)?{re.escape(name)}\b")
    after = False
    for instr in stage.instructions:
        if instr is arg:
            after = True
        elif after and instr.keyword == "RUN" and reference.search(run_text(instr)):
            return instr
    return None


def pairs_raw(instr: Instruction) -> list[str | None]:
    """The values as written (before ARG expansion), aligned with ``pairs(instr)``."""
    try:
        raw = pairs(replace(instr, args=instr.raw_args))
    except (TypeError, ValueError):
        return [None] * len(pairs(instr))
    values: list[str | None] = [v for _, v in raw]
    count = len(pairs(instr))
    return (values + [None] * count)[:count]
