"""FS105 dev-dependencies-installed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Applicability, Finding, Fix, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules._fixes import after, make
from finalstage.rules._shell import Cmd, commands
from finalstage.rules.dockerfile._installs import dev_install, prunes
from finalstage.rules.dockerfile._query import env_before, run_text
from finalstage.rules.dockerfile._trees import graph


class DevDependenciesInstalled(InstructionRule):
    """Development dependencies installed in the final image

    ## What it does
    Reports dependency installs in the final chain that include development dependencies:
    `npm install`/`npm ci` without `--omit=dev` (or `NODE_ENV=production`), `yarn install`
    without `--production`, `pnpm install` without `--prod`, `pip install -r
    requirements-dev.txt` or `.[dev]`/`.[test]` extras, `poetry install` without `--only main`,
    `uv sync` without `--no-dev`, `bundle install` without `BUNDLE_WITHOUT`, and `composer
    install` without `--no-dev`. A Node install pruned in the same `RUN` (`npm ci && npm run
    build && npm prune --omit=dev`) is fine.

    It also follows installed trees across stages: a builder that installs with development
    dependencies (and does not prune or reinstall for production) and a final stage that
    copies `node_modules/`, `vendor/`, the site-packages or virtual environment, the bundle
    path, or a directory holding one of them, is reported at the `COPY --from` line, naming
    the builder's install line.

    ## Why is this bad?
    Test runners, linters, type checkers, bundlers and their transitive dependencies often
    outweigh the production dependencies several times over, and each one is code an attacker
    can use. The final image needs the production set only.

    ## Example
    ```dockerfile
    FROM node:22-slim
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN npm ci
    ```

    Use instead:
    ```dockerfile
    FROM node:22-slim
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN npm ci --omit=dev
    ```

    ## Known problems
    Lockfile-driven installs configured in files the linter does not read (`.npmrc` with
    `omit=dev`, `.bundle/config`) are reported; suppress them with a reason.

    ## Fix safety
    For `npm install`/`npm ci`, `yarn install` and `pnpm install` the fix adds `--omit=dev`,
    `--production` or `--prod` after the command. It is unsafe: a build step after the install
    (`npm run build` with TypeScript, a bundler) may need the development dependencies; then
    build in a builder stage instead (`finalstage fix`). Other managers get no fix.
    """

    code = "FS105"
    name = "dev-dependencies-installed"
    severity = Severity.ERROR
    groups = ("packages",)
    subjects = ("category:dev-dependency",)
    keywords = ("RUN", "COPY", "ADD")
    fixable = Applicability.UNSAFE

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        if instr.keyword != "RUN":
            yield from self._copied(instr, ctx)
            return
        env = env_before(ctx, instr)
        text = run_text(instr)
        cmds = commands(instr)
        pruned = any(prunes(c) for c in cmds)
        for cmd in cmds:
            what = dev_install(cmd, env, text)
            if what and pruned and cmd.name in ("npm", "yarn", "pnpm"):
                continue  # the same RUN prunes devDependencies again: no layer keeps them
            if what:
                yield self.finding(
                    ctx, instr, f"development dependencies installed in the final image: {what}",
                    needle=cmd.name, guard=cmd.guard,
                    fix_hint="install production dependencies only, or install everything in a "
                             "builder stage and copy the pruned result",
                    fix=_fix(ctx, instr, cmd, cmds),
                )

    def _copied(self, instr: Instruction, ctx: DockerfileContext) -> Iterator[Finding]:
        """Development dependencies that a ``COPY --from`` brings from a builder's install."""
        if instr.flag("from") is None:
            return
        seen: set[int] = set()
        for tree in graph(ctx).arrivals.get(id(instr), ()):
            if tree.kind != "deps" or not tree.dev or id(tree.origin) in seen:
                continue
            seen.add(id(tree.origin))
            builder = ctx.stage(tree.stage).label
            yield self.finding(
                ctx, instr, f"development dependencies copied into the final image: {tree.path} "
                f"comes from stage {builder}, where line {tree.origin.line} runs {tree.dev}",
                guard=tree.guard,
                fix_hint="install production dependencies only in the builder (or prune them "
                         "there) before the final stage copies the tree",
            )

# Node package manager → (its install command on one line, the production-only flag).
_PROD_FLAGS = {
    "npm": (re.compile(r"\bnpm(?:\s+-[-\w=]+)*\s+(?:ci|install|i)\b"), " --omit=dev"),
    "yarn": (re.compile(r"\byarn(?:\s+-[-\w=]+)*(?:\s+install\b|(?=\s*(?:&&|;|$)))"),
             " --production"),
    "pnpm": (re.compile(r"\bpnpm(?:\s+-[-\w=]+)*\s+(?:install|i)\b"), " --prod"),
}


def _fix(ctx: DockerfileContext, instr: Instruction, cmd: Cmd,
         cmds: tuple[Cmd, ...]) -> Fix | None:
    """Install the production set only (Node managers; the others need a person)."""
    known = _PROD_FLAGS.get(cmd.name)
    if known is None or (cmd.name == "yarn" and cmd.words()[:1] == ("workspaces",)):
        return None
    pattern, flag = known
    same = [c for c in cmds if c.name == cmd.name and _is_install(c)]
    return make(f"add {flag.strip()}", Applicability.UNSAFE,
                after(ctx, instr, pattern, flag, [c is cmd for c in same]))


def _is_install(cmd: Cmd) -> bool:
    """The install commands ``_PROD_FLAGS`` patterns match (verb first, as the rule reads)."""
    if cmd.name == "yarn":
        return not cmd.words() or cmd.words()[0] == "install"
    verbs = ("ci", "install", "i") if cmd.name == "npm" else ("install", "i")
    return cmd.args[:1] != () and cmd.args[0] in verbs
