"""FS205 tests-in-final-image."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts.image import ImageContext, is_library_path
from finalstage.rules._helpers import plural


class TestsInFinalImage(ImageRule):
    """Test code in the final image

    ## What it does
    Reports the application's test code in the image: `tests/`, `__tests__/`, `spec/`,
    `testdata/`, `*_test.go`, `test_*.py`, `*.test.js`, `conftest.py`, `pytest.ini`. Tests an
    OS package owns (CPython's `test` package from the distribution) and tests inside
    third-party library trees (`node_modules`, `site-packages`) are not counted.

    ## Why is this bad?
    Tests never run in production. They add bytes, fixtures (sometimes with credentials) and
    code paths an attacker can use, and they show that the whole build context was copied.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    CMD ["python", "app.py"]
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY app.py .
    CMD ["python", "app.py"]
    ```
    """

    __test__ = False  # not a pytest test class, whatever its name says
    code = "FS205"
    name = "tests-in-final-image"
    severity = Severity.ERROR
    groups = ("tests", "content")
    subjects = ("category:tests",)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        files = [f for f in ctx.files_of("tests")
                 if not is_library_path(f.path) and not ctx.is_os_owned(f.path)]
        for group in ctx.per_layer(files):
            summary = ctx.summarize(group)
            yield self.image_finding(
                f"test code in the final image ({plural(summary.files, 'file')})", summary,
                fix_hint="copy only what runs (COPY src/ ...) and list tests in .dockerignore")
