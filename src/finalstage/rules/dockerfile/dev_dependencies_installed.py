"""FS105 dev-dependencies-installed."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Applicability, Finding, Fix, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules._fixes import after, make
from finalstage.rules._shell import Cmd, commands
from finalstage.rules.dockerfile._query import env_before, run_text

_DEV_REQUIREMENTS = re.compile(r"(^|[/_-])(dev|test|tests|testing|lint|ci|docs)([_.-]|$)|"
                               r"requirements[-_]?(dev|test)", re.IGNORECASE)
_DEV_EXTRAS = re.compile(r"\[[^\]]*\b(dev|test|tests|testing|lint|all)\b[^\]]*\]", re.IGNORECASE)


def _env_says(env: Mapping[str, str], text: str, name: str, values: tuple[str, ...]) -> bool:
    if env.get(name, "").strip("\"'").lower() in values:
        return True
    # Inline assignment: `NODE_ENV=production npm ci`, `export NODE_ENV=production`.
    return re.search(rf"\b{name}=[\"']?({'|'.join(values)})\b", text, re.IGNORECASE) is not None


def dev_install(cmd: Cmd, env: Mapping[str, str], text: str) -> str | None:
    """A description of how ``cmd`` installs development dependencies, or None."""
    node_prod = _env_says(env, text, "NODE_ENV", ("production", "prod"))
    if cmd.name == "npm" and cmd.args and cmd.args[0] in ("install", "i", "ci", "add"):
        if len(cmd.words()) > 1 or cmd.has_flag("-g", "--global"):
            return None  # named packages or a global tool, not the project's devDependencies
        if cmd.has_flag("--omit") and "dev" in (cmd.flag_value("--omit") or ""):
            return None
        if cmd.has_flag("--production", "--only") or node_prod:
            return None
        if _env_says(env, text, "NPM_CONFIG_PRODUCTION", ("true", "1")) or _env_says(
                env, text, "NPM_CONFIG_OMIT", ("dev",)):
            return None
        return f"npm {cmd.args[0]} without --omit=dev"
    if cmd.name == "yarn" and (not cmd.words() or cmd.words()[0] == "install"):
        if cmd.has_flag("--production", "--prod") or node_prod:
            return None
        return "yarn install without --production"
    if cmd.name == "yarn" and cmd.words()[:2] == ("workspaces", "focus"):
        return None if cmd.has_flag("--production") else "yarn workspaces focus without --production"
    if cmd.name == "pnpm" and cmd.args and cmd.args[0] in ("install", "i"):
        if len(cmd.words()) > 1 or cmd.has_flag("-g", "--global"):
            return None
        if cmd.has_flag("--prod", "-P", "--production") or node_prod:
            return None
        return "pnpm install without --prod"
    if cmd.name in ("pip", "pip3", "uv") or re.fullmatch(r"pip3?\.\d+", cmd.name):
        return _pip(cmd)
    if cmd.name == "poetry" and cmd.args and cmd.args[0] == "install":
        only = cmd.flag_value("--only") or ""
        without = cmd.flag_value("--without") or ""
        if cmd.has_flag("--no-dev") or (only and "dev" not in only) or "dev" in without:
            return None
        return "poetry install without --only main"
    if cmd.name == "pipenv" and cmd.has_flag("--dev", "-d"):
        return "pipenv install --dev"
    if cmd.name in ("bundle", "bundler") and cmd.args and cmd.args[0] == "install":
        if cmd.has_flag("--without") or _bundle_without(env, text):
            return None
        return "bundle install without excluding the development and test groups"
    if cmd.name == "composer" and cmd.args and cmd.args[0] in ("install", "update"):
        if cmd.has_flag("--no-dev") or _env_says(env, text, "COMPOSER_NO_DEV", ("1", "true")):
            return None
        return f"composer {cmd.args[0]} without --no-dev"
    return None


def _pip(cmd: Cmd) -> str | None:
    args = list(cmd.args)
    if cmd.name == "uv":
        if args[:1] == ["sync"]:
            if cmd.has_flag("--no-dev", "--only-group", "--no-default-groups") or cmd.has_flag(
                    "--only-dev"):
                return None
            return "uv sync without --no-dev"
        if args[:2] != ["pip", "install"]:
            return None
        args = args[2:]
    elif args[:1] != ["install"]:
        return None
    for i, arg in enumerate(args):
        value = None
        if arg in ("-r", "--requirement") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(("--requirement=", "-r")) and arg not in ("-r",):
            value = arg.split("=", 1)[1] if "=" in arg else arg[2:]
        if value and _DEV_REQUIREMENTS.search(value.rsplit("/", 1)[-1].rsplit(".", 1)[0]):
            return f"pip installs development requirements {value}"
        if not arg.startswith("-") and _DEV_EXTRAS.search(arg):
            return f"pip installs development extras {arg}"
    return None


def _prunes(cmd: Cmd) -> bool:
    """``npm prune --omit=dev``, ``pnpm prune --prod``, ``yarn install --production``."""
    if cmd.name == "npm" and cmd.args[:1] == ("prune",):
        return cmd.has_flag("--production") or "dev" in (cmd.flag_value("--omit") or "")
    if cmd.name == "pnpm" and cmd.args[:1] == ("prune",):
        return cmd.has_flag("--prod", "--production")
    if cmd.name == "yarn" and (not cmd.words() or cmd.words()[0] == "install"):
        return cmd.has_flag("--production", "--prod")
    return False


def _bundle_without(env: Mapping[str, str], text: str) -> bool:
    if env.get("BUNDLE_WITHOUT"):
        return True
    return bool(re.search(r"BUNDLE_WITHOUT=|bundle config (set )?(--\w+ )?without", text))


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
    keywords = ("RUN",)
    fixable = Applicability.UNSAFE

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        env = env_before(ctx, instr)
        text = run_text(instr)
        cmds = commands(instr)
        pruned = any(_prunes(c) for c in cmds)
        for cmd in cmds:
            what = dev_install(cmd, env, text)
            if what and pruned and cmd.name in ("npm", "yarn", "pnpm"):
                continue  # the same RUN prunes devDependencies again: no layer keeps them
            if what:
                yield self.finding(
                    ctx, instr, f"development dependencies installed in the final image: {what}",
                    needle=cmd.name,
                    fix_hint="install production dependencies only, or install everything in a "
                             "builder stage and copy the pruned result",
                    fix=_fix(ctx, instr, cmd, cmds),
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
