"""How bad it is that the build context reaches the final image (FS103 directly, FS114 through a
builder): judged by what happens to the context, not by the ``COPY`` that moves it.

- An error when the shipped context holds what a compile or bundle step consumed (the sources of
  a compiled program, a TS/JSX tree that was bundled: ``Consumed`` parts of the stage graph), or
  the VCS directory (a ``.dockerignore`` beside the Dockerfile that does not exclude ``.git``).
- Copied straight into the final chain with no ``.dockerignore`` found, nothing filters the
  context: the whole directory ships, ``.git`` and tests with it — an error too.
- Otherwise (an interpreted application's tree filtered by a ``.dockerignore``, or a builder's
  work dir that no compile step consumed) a warning: the context is probably the application.
"""

from __future__ import annotations

from dataclasses import dataclass

from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Severity
from finalstage.rules.dockerfile._trees import Consumed, Tree, graph

__all__ = ["Verdict", "context_verdict"]


@dataclass(frozen=True)
class Verdict:
    severity: Severity
    reason: str


def context_verdict(ctx: DockerfileContext, tree: Tree, *, direct: bool) -> Verdict:
    """The severity of shipping context ``tree`` and the reason, for the finding's message."""
    consumed = _consumed(ctx, tree)
    sure = next((c for c in consumed if c.guard is None), None)
    if sure is not None:
        return Verdict(Severity.ERROR, _consumed_reason(sure))
    context = ctx.build_context
    if context.ignore is not None and not context.excludes(".git"):
        return Verdict(Severity.ERROR, "the .dockerignore does not exclude .git, so the VCS "
                       "directory ships")
    if context.ignore is None and direct:
        return Verdict(Severity.ERROR, "no .dockerignore beside the Dockerfile: .git, tests and "
                       "every other file of the directory ship")
    if consumed:
        return Verdict(Severity.WARNING, f"{_consumed_reason(consumed[0])} (conditional: only "
                       f"if {consumed[0].guard})")
    if context.ignore is not None:
        return Verdict(Severity.WARNING, "filtered by the .dockerignore; nothing compiled it")
    return Verdict(Severity.WARNING, "nothing compiled or bundled it")


def _consumed(ctx: DockerfileContext, tree: Tree) -> list[Consumed]:
    """The compile and bundle steps that read a part of the context ``tree`` holds, the most
    telling first (the whole context, then directories, then single files)."""
    context = ctx.build_context
    found = []
    for item in graph(ctx).consumed:
        inside = tree.part == "." or item.part == tree.part or \
            item.part.startswith(tree.part.rstrip("/") + "/")
        if inside and not (item.part != "." and context.excludes(item.part)):
            found.append(item)
    return sorted(found, key=lambda c: (c.part != ".", "." in c.part.rsplit("/", 1)[-1]))


def _consumed_reason(item: Consumed) -> str:
    what = "compiled" if item.step.split()[0] not in _BUNDLERS else "bundled"
    where = f"`{item.step}` at line {item.instr.line}"
    if item.part == ".":
        return f"{where} {what} it, so the sources ship"
    return f"it holds {item.part}, which {where} {what}"


_BUNDLERS = ("npm", "yarn", "pnpm", "bun", "npx", "vite", "next", "ng", "nuxt", "gatsby",
             "astro", "parcel", "turbo", "webpack", "esbuild", "rollup", "tsc", "swc")
