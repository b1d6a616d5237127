"""FS103 copy-entire-context."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules.dockerfile._shipped import context_verdict
from finalstage.rules.dockerfile._trees import Tree, graph, is_whole_context


def copies_whole_context(instr: Instruction) -> bool:
    """True for ``COPY . …`` / ``ADD ./ …`` / ``COPY * …`` from the build context."""
    return is_whole_context(instr)


class CopyEntireContext(InstructionRule):
    """Whole build context copied into the final image

    ## What it does
    Reports `COPY . <dest>`, `COPY ./ <dest>`, `COPY * <dest>` and `ADD . <dest>` in the final
    stage or a stage it is built `FROM`, judged by what the context holds:

    - an error when a compile or bundle step of any stage consumed part of the context (the
      sources of a compiled program, a TS/JSX tree that was bundled), when the `.dockerignore`
      beside the Dockerfile does not exclude `.git`, or when there is no `.dockerignore` to
      filter the context at all;
    - a warning when a `.dockerignore` filters the context and nothing compiled it: an
      interpreted application (PHP, Python, Ruby) run from its own tree.

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
    The `.dockerignore` is read from beside the Dockerfile (`<name>.dockerignore`, then
    `.dockerignore`): a build whose context is another directory is judged as if it had none.
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
        if not is_whole_context(instr):
            return
        tree = next((t for t in graph(ctx).arrivals.get(id(instr), ()) if t.part == "."),
                    None) or Tree("context", instr.args[-1], instr, stage.index)  # ONBUILD
        verdict = context_verdict(ctx, tree, direct=True)
        yield self.finding(
            ctx, instr, f"{instr.keyword} copies the whole build context (destination "
            f"{instr.args[-1]}): {verdict.reason}", severity=verdict.severity,
            fix_hint="copy only what runs (built artifacts, runtime files), or build in an "
                     "earlier stage and COPY --from it",
        )
