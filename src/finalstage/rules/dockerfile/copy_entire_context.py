"""FS103 copy-entire-context."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules.dockerfile._query import copy_sources, norm_path

# Sources that mean "the whole build context".
_WHOLE = {".", "*", "/", "./*", "**"}


def copies_whole_context(instr: Instruction) -> bool:
    """True for ``COPY . …`` / ``ADD ./ …`` / ``COPY * …`` from the build context."""
    if instr.keyword not in ("COPY", "ADD") or instr.flag("from") is not None:
        return False
    return any(norm_path(src) in _WHOLE for src in copy_sources(instr))


class CopyEntireContext(InstructionRule):
    """Whole build context copied into the final image

    ## What it does
    Reports `COPY . <dest>`, `COPY ./ <dest>`, `COPY * <dest>` and `ADD . <dest>` in the final
    stage or a stage it is built `FROM`.

    ## Why is this bad?
    The build context is the whole repository: source code, tests, documentation, CI files,
    `.git`, local `.env` files and build output. Copied into the final image, all of it ships
    and runs in production, bloats the image and can leak secrets. Build in an earlier stage and
    copy only the artifacts.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    CMD ["python", "-m", "app"]
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY app/ ./app/
    CMD ["python", "-m", "app"]
    ```

    ## Known problems
    A strict `.dockerignore` (an allow-list starting with `*`) can make `COPY . .` safe; the
    linter does not read it. Suppress with `# finalstage: ignore=FS103 # reason`.
    """

    code = "FS103"
    name = "copy-entire-context"
    severity = Severity.ERROR
    groups = ("copy",)
    subjects = ("category:source",)
    keywords = ("COPY", "ADD")

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        if copies_whole_context(instr):
            dest = instr.args[-1]
            yield self.finding(
                ctx, instr, f"{instr.keyword} copies the whole build context (destination {dest})",
                fix_hint="copy only what runs (built artifacts, runtime files), or build in an "
                         "earlier stage and COPY --from it",
            )
