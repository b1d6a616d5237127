"""FS117 development-final-stage."""

from __future__ import annotations

import re
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Finding, Severity
from finalstage.rules._base import DockerfileRule
from finalstage.rules._helpers import command_words
from finalstage.rules._shell import Cmd, commands

_DEV_NAME = re.compile(
    r"^(dev|devel|develop|development|dev[-_]?envs?|devcontainer|debug|debugger)([-_].*)?$|"
    r"[-_](dev|development|debug)$", re.IGNORECASE)
# CI and publishing stage names: judged by what the stage runs, since a production stage may be
# called "release" too.
_CI_NAME = re.compile(
    r"^(test|tests|testing|unit|unittests?|integration|e2e|ci|lint|linting|check|checks|verify|"
    r"validate|validation|coverage|qa|publish|release|deploy|upload)([-_].*)?$|"
    r"[-_](test|tests|testing|lint|ci|check|publish|release)$", re.IGNORECASE)
# Commands that test, lint or publish: name → sub-commands (empty: any use of it counts).
_CI_TOOLS: dict[str, frozenset[str]] = {name: frozenset(subs) for name, subs in {
    "pytest": (), "py.test": (), "tox": (), "nox": (), "mypy": (), "ruff": (), "flake8": (),
    "pylint": (), "bandit": (), "golangci-lint": (), "staticcheck": (), "gotestsum": (),
    "jest": (), "vitest": (), "mocha": (), "eslint": (), "phpunit": (), "phpstan": (),
    "psalm": (), "php-cs-fixer": (), "rspec": (), "rubocop": (), "shellcheck": (),
    "hadolint": (), "cypress": (), "playwright": (), "sonar-scanner": (), "codecov": (),
    "twine": ("upload",), "goreleaser": (), "go": ("test", "vet"),
    "cargo": ("test", "clippy", "nextest", "publish"), "npm": ("test", "publish"),
    "yarn": ("test", "lint", "publish"), "pnpm": ("test", "lint", "publish"),
    "mvn": ("test", "verify", "deploy"), "mvnw": ("test", "verify", "deploy"),
    "gradle": ("test", "check", "publish"), "gradlew": ("test", "check", "publish"),
    "dotnet": ("test",), "mix": ("test", "credo"), "rake": ("test", "spec"),
    "gh": ("release",), "gem": ("push",), "poetry": ("publish",), "helm": ("push",),
}.items()}
_RUN_SCRIPTS = re.compile(r"^(test|lint|e2e|check|coverage|typecheck)([:_-].*)?$")
# A script that publishes (upload-release-asset.sh, publish.sh, deploy-docs): counted when a
# RUN of the stage executes it, never as CMD/ENTRYPOINT (a production stage may start one).
_PUBLISH_SCRIPT = re.compile(r"(^|[-_.])(upload|publish|deploy)([-_.]|$)", re.IGNORECASE)
_LAUNCHERS = {"bundle": "exec", "poetry": "run", "uv": "run", "pipenv": "run", "pdm": "run",
              "hatch": "run"}


def ci_tool(cmd: Cmd) -> str | None:
    """What ``cmd`` runs when it tests, lints or publishes (``go test``), else None."""
    name, words = cmd.name, [w.lower() for w in cmd.words()]
    if _LAUNCHERS.get(name) == (words[0] if words else None) and len(words) > 1:
        name, words = words[1], words[2:]
    elif words and (name == "npx" or (re.fullmatch(r"python[0-9.]*", name)
                                      and cmd.args[:1] == ("-m",))):
        name, words = words[0], words[1:]
    if name in ("npm", "yarn", "pnpm", "bun") and words[:1] == ["run"] and len(words) > 1:
        return f"{name} run {words[1]}" if _RUN_SCRIPTS.match(words[1]) else None
    subs = _CI_TOOLS.get(name)
    if subs is None:
        return None
    if not subs:
        return name
    return f"{name} {words[0]}" if words and words[0] in subs else None


class DevelopmentFinalStage(DockerfileRule):
    """Last stage is a development, debug or test target

    ## What it does
    Reports a Dockerfile built without `--target` whose last stage (the default target) is
    named like a development or debug stage (`dev`, `dev-envs`, `development`, `debug`…), or is
    a CI stage: named like one (`test`, `lint`, `ci`, `check`, `publish`, `release`…) and
    running a test, lint or publish tool (`pytest`, `go test`, `npm run lint`, `eslint`,
    `twine upload`, `goreleaser`, a `RUN` of an `upload-*`/`publish*`/`deploy*` script…). A production stage that happens to be called `release`
    runs none of those and is not reported.

    ## Why is this bad?
    `docker build .` builds the last stage. When that is the development container, CI and
    anyone else who forgets `--target` ship the dev image, with its tools, sources and
    development dependencies, instead of the production one. Make the production stage last, or
    always pass `--target`.

    ## Example
    ```dockerfile
    FROM node:22-slim AS production
    COPY --from=build /app/dist /app/dist
    CMD ["node", "/app/dist/server.js"]

    FROM production AS dev
    RUN npm install
    ```

    Use instead:
    ```dockerfile
    FROM node:22-slim AS dev
    RUN npm install

    FROM node:22-slim AS production
    COPY --from=build /app/dist /app/dist
    CMD ["node", "/app/dist/server.js"]
    ```
    """

    code = "FS117"
    name = "development-final-stage"
    severity = Severity.ERROR
    groups = ("stages",)
    subjects = ("category:dev-dependency", "category:tests")

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        df = ctx.dockerfile
        if ctx.target is not None or len(df.stages) < 2:
            return  # an explicit --target chose this stage, or there is nothing else
        stage = ctx.final_stage
        if not stage.name:
            return
        if _DEV_NAME.search(stage.name):
            yield self.finding(
                ctx, stage.from_instruction,
                f"the default target is stage {stage.name}, a development/debug stage",
                fix_hint="move the production stage to the end of the file, or always build "
                         "with --target",
            )
        elif _CI_NAME.search(stage.name):
            found = _ci_step(stage)
            if found is not None:
                tool, instr = found
                yield self.finding(
                    ctx, stage.from_instruction,
                    f"the default target is stage {stage.name}, a CI stage: it runs {tool} "
                    f"(line {instr.line})",
                    fix_hint="move the production stage to the end of the file, or always "
                             "build with --target",
                )


def _ci_step(stage: Stage) -> tuple[str, Instruction] | None:
    """The first test, lint or publish tool the stage's own instructions run."""
    for instr in stage.instructions:
        if instr.keyword == "RUN":
            cmds = commands(instr)
        elif instr.keyword in ("CMD", "ENTRYPOINT"):
            words = command_words(instr.args)
            cmds = (Cmd(words[0].rsplit("/", 1)[-1], tuple(words[1:])),) if words else ()
        else:
            continue
        for cmd in cmds:
            tool = ci_tool(cmd)
            if tool is None and instr.keyword == "RUN" and _PUBLISH_SCRIPT.search(cmd.name):
                tool = cmd.name
            if tool:
                return tool, instr
    return None
