"""Fixed reports shared by the reporter tests, and the golden-file helper."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finalstage.findings import Finding, Location, Report, RuleInfo, Severity

GOLDEN = Path(__file__).parent / "golden"
DATA = Path(__file__).parent / "data"

FS103_HELP = """The final stage copies the whole build context

## What it does
Flags `COPY . .` and `ADD . .` in a stage that reaches the final image.

## Why is this bad?
The source tree, tests and any local secrets end up in the image.

## Example
```dockerfile
COPY . .
```

Use instead:
```dockerfile
COPY --from=build /out/app /app
```
"""

RULES = (
    RuleInfo(
        "FS101",
        "sdk-base-image",
        "The final stage starts from an SDK image",
        Severity.WARNING,
        "The final stage starts from an SDK image\n",
    ),
    RuleInfo(
        "FS103",
        "copy-entire-context",
        "The final stage copies the whole build context",
        Severity.ERROR,
        FS103_HELP,
    ),
    RuleInfo(
        "FS301",
        "package-manager-cache",
        "A package manager cache is left in the image",
        Severity.WARNING,
        "A package manager cache is left in the image\n",
    ),
    RuleInfo(
        "FS402",
        "shell-form-entrypoint",
        "The entrypoint uses shell form",
        Severity.INFO,
        "The entrypoint uses shell form\n",
    ),
)


def lint_report() -> Report:
    """`finalstage lint Dockerfile build/Dockerfile.prod`: two files, three findings."""
    return Report(
        command="lint",
        targets=("Dockerfile", "build/Dockerfile.prod"),
        rules=RULES[:2],
        findings=(
            Finding(
                rule="FS103",
                name="copy-entire-context",
                severity=Severity.ERROR,
                message="the whole build context is copied into the final stage",
                fix_hint="copy only the build output: COPY --from=build /out/app /app",
                location=Location("Dockerfile", 9, 1, 9, 8),
                stage="runtime",
                source_line="COPY . .",
            ),
            Finding(
                rule="FS101",
                name="sdk-base-image",
                severity=Severity.WARNING,
                message="final stage starts from golang:1.22, an SDK image (800 MB)",
                fix_hint="use gcr.io/distroless/static-debian12",
                location=Location("build/Dockerfile.prod", 3, 6, 3, 17),
                stage="1",
                source_line="FROM\tgolang:1.22",
            ),
            Finding(
                rule="FS103",
                name="copy-entire-context",
                severity=Severity.ERROR,
                message="the whole build context is copied into the final stage",
                location=Location("build/Dockerfile.prod", 5, 1, 6, 9),
                stage="1",
                source_line="COPY . \\\n     /src",
            ),
        ),
    )


def check_report() -> Report:
    """`finalstage check app:1.0 --dockerfile Dockerfile`: image findings, one attributed."""
    return Report(
        command="check",
        targets=("app:1.0", "Dockerfile"),
        rules=RULES,
        fail_on=Severity.WARNING,
        data={"policy": {"max_size": 100_000_000}, "size": 123_456_789},
        findings=(
            Finding(
                rule="FS301",
                name="package-manager-cache",
                severity=Severity.WARNING,
                message="apt package lists left in the image (37% of its size)",
                fix_hint="add `rm -rf /var/lib/apt/lists/*` to the same RUN",
                bytes=45_678_901,
                layer=2,
                created_by="/bin/sh -c apt-get update &&     apt-get install -y curl",
                paths=(
                    "/var/lib/apt/lists/mirror.example_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
                    "/var/lib/apt/lists/mirror.example_debian_dists_bookworm-updates_InRelease",
                    "/var/lib/apt/lists/evil\x1b[2J\x1b[31mname",
                    "/var/lib/apt/lists/lock",
                    "/var/lib/apt/lists/partial",
                    "/var/lib/apt/lists/auxfiles",
                    "/var/lib/apt/lists/x",
                ),
            ),
            Finding(
                rule="FS402",
                name="shell-form-entrypoint",
                severity=Severity.INFO,
                message="ENTRYPOINT uses shell form: signals do not reach the application",
                fix_hint='use exec form: ENTRYPOINT ["/app"]',
                location=Location("Dockerfile", 12, 1),
                stage="runtime",
                source_line="ENTRYPOINT /app --port 80%",
                layer=4,
                created_by='/bin/sh -c #(nop)  ENTRYPOINT ["/bin/sh" "-c" "/app"]',
            ),
        ),
    )


def empty_report() -> Report:
    """A clean lint of one file."""
    return Report(command="lint", findings=(), targets=("Dockerfile",), rules=RULES[:2])


REPORTS = {"lint": lint_report, "check": check_report, "empty": empty_report}


def assert_golden(name: str, actual: str) -> None:
    """Compare with tests/report/golden/<name>; FINALSTAGE_UPDATE_GOLDEN=1 rewrites it.

    Rewritten files must be reviewed by hand before they are committed: the golden files are
    the hand-checked truth, not a record of whatever the code printed.
    """
    path = GOLDEN / name
    if os.environ.get("FINALSTAGE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"missing golden file {path}: run with FINALSTAGE_UPDATE_GOLDEN=1, then review")
    assert actual == path.read_text(encoding="utf-8")
