"""FS002 unused-suppression."""

from __future__ import annotations

from finalstage.findings import Severity
from finalstage.rules._base import MetaRule, Status


class UnusedSuppression(MetaRule):
    """Suppression pragma that suppresses nothing

    ## What it does
    Reports a `# finalstage: ignore=…` pragma (line, stage or global) whose rule code did not
    fire where the pragma applies.

    ## Why is this bad?
    A stale suppression hides the next real problem of the same kind on that line, and tells
    readers that a problem exists where there is none (ruff RUF100).

    ## Example
    ```dockerfile
    FROM alpine:3.20
    # finalstage: ignore=FS103
    COPY --from=build /out/app /app
    ```

    Use instead:
    ```dockerfile
    FROM alpine:3.20
    COPY --from=build /out/app /app
    ```

    ## Known problems
    A suppression for a rule that was not selected in this run is not reported, since the rule
    could not have fired.
    """

    code = "FS002"
    name = "unused-suppression"
    severity = Severity.INFO
    groups = ("meta",)
    status = Status.STABLE
