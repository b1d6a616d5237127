"""FS003 invalid-suppression."""

from __future__ import annotations

from finalstage.findings import Severity
from finalstage.rules._base import MetaRule, Status


class InvalidSuppression(MetaRule):
    """Malformed suppression pragma or unknown rule code

    ## What it does
    Reports a comment that starts with `# finalstage:` but is not a valid pragma, or that names
    a rule code or name finalstage does not know.

    ## Why is this bad?
    A malformed pragma is silently a no-op: the author believes a finding is suppressed, or a
    typo (`FS10` for `FS101`) suppresses nothing (sqlfluff "Malformed 'noqa' section").

    ## Example
    ```dockerfile
    FROM node:22
    # finalstage: ignroe=FS101
    RUN npm ci
    ```

    Use instead:
    ```dockerfile
    FROM node:22
    # finalstage: ignore=FS101 # reason: this image is a dev container
    RUN npm ci
    ```
    """

    code = "FS003"
    name = "invalid-suppression"
    severity = Severity.WARNING
    groups = ("meta",)
    status = Status.STABLE
