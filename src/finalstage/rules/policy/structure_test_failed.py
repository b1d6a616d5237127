"""FS911 structure-test-failed (`check --cst FILE`)."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts import Facts



class StructureTestFailed(ImageRule):
    """A container-structure-test check failed

    ## What it does
    Runs the tests of the container-structure-test YAML files given with `--cst` — file
    existence and content, metadata, licences on the merged filesystem without a daemon, and
    command tests under podman — and reports each failing test with what was expected and what
    was found. A test that cannot run (a command test without podman) is reported at info
    severity with the reason.

    ## Why is this bad?
    A structure test states what the image must be; a failing one means the image is not what
    the team promised to ship.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    COPY app /usr/local/bin/app
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    COPY --chmod=0755 app /usr/local/bin/app
    ```

    ## References
    - [container-structure-test](https://github.com/GoogleContainerTools/container-structure-test)
    """

    code = "FS911"
    name = "structure-test-failed"
    severity = Severity.ERROR
    groups = ("policy", "tests")

    def skip_reason(self, facts: Facts) -> str | None:
        reason = super().skip_reason(facts)
        if reason is None and not facts.cst.configs:
            return "not configured (pass --cst FILE)"
        return reason

    def run(self, facts: Facts) -> Iterator[Finding]:
        for result in facts.structure_tests:
            why = "; ".join(result.errors)
            subject = (f"structure-test:{result.test.file}:{result.name}",)
            if result.status == "fail":
                yield self.image_finding(f"structure test failed: {result.name}: {why}",
                                         fix_hint=f"see {result.test.file}", subjects=subject)
            elif result.status == "skip":
                yield self.image_finding(f"structure test skipped: {result.name}: {why}",
                                         severity=Severity.INFO, subjects=subject)

    def verdict(self, facts: Facts) -> str | None:
        results = facts.structure_tests
        failed = sum(r.status == "fail" for r in results)
        return f"{len(results) - failed} of {len(results)} structure tests passed"
