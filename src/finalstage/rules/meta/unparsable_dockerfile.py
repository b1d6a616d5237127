"""FS001 unparsable-dockerfile."""

from __future__ import annotations

from finalstage.findings import Severity
from finalstage.rules._base import MetaRule, Status


class UnparsableDockerfile(MetaRule):
    """Dockerfile cannot be parsed

    ## What it does
    Reports a Dockerfile that the BuildKit parser rejects (unknown instruction, unterminated
    heredoc, a file with no `FROM`…) when several files are linted at once.

    ## Why is this bad?
    A Dockerfile that does not parse cannot be built, and none of the other rules can judge it.
    Linting one file stops with the parse error (exit code 2); linting many files reports this
    finding for the broken file and goes on with the others, as hadolint's DL1000 does.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUNN echo hello
    ```

    Use instead:
    ```dockerfile
    FROM alpine:3.20
    RUN echo hello
    ```
    """

    code = "FS001"
    name = "unparsable-dockerfile"
    severity = Severity.ERROR
    groups = ("meta",)
    status = Status.STABLE
