"""FS106 test-code-copied."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules.dockerfile._query import copy_sources, norm_path

_TEST_DIRS = {"test", "tests", "__tests__", "spec", "specs", "testdata", "e2e", "cypress",
              "integration-tests", "test-data", "testing"}
_TEST_FILES = ("*_test.go", "test_*.py", "*_test.py", "*.test.js", "*.test.ts", "*.spec.js",
               "*.spec.ts", "*.test.jsx", "*.test.tsx", "*_spec.rb", "conftest.py",
               "pytest.ini", "jest.config.*", "karma.conf.js", ".rspec", "phpunit.xml*")


def test_source(src: str) -> str | None:
    """The test-code part of a COPY source path, or None."""
    path = norm_path(src)
    parts = [p for p in path.split("/") if p]
    for part in parts[:-1] if parts else []:
        if part.lower() in _TEST_DIRS:
            return part + "/"
    if parts:
        last = parts[-1]
        if last.lower() in _TEST_DIRS:
            return last + "/"
        for pattern in _TEST_FILES:
            if fnmatch.fnmatch(last, pattern):
                return last
    return None


class TestCodeCopied(InstructionRule):
    """Test code copied into the final image

    ## What it does
    Reports `COPY`/`ADD` into the final chain of test directories (`tests/`, `test/`,
    `__tests__/`, `spec/`, `e2e/`, `testdata/`) and test files (`*_test.go`, `test_*.py`,
    `*.spec.ts`, `conftest.py`…), from the build context or from a builder stage.

    ## Why is this bad?
    Tests run in CI, not in production. In the final image they add size, fixtures (sometimes
    with credentials) and code paths an attacker can reach.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY app/ /app/app/
    COPY tests/ /app/tests/
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    COPY app/ /app/app/
    ```
    """

    __test__ = False  # not a pytest class, whatever its name says
    code = "FS106"
    name = "test-code-copied"
    severity = Severity.WARNING
    groups = ("copy",)
    subjects = ("category:tests",)
    keywords = ("COPY", "ADD")

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        for src in copy_sources(instr):
            hit = test_source(src)
            if hit:
                yield self.finding(
                    ctx, instr, f"{instr.keyword} puts test code {hit} into the final image",
                    needle=src, fix_hint="leave tests out of the runtime stage",
                )
                return
