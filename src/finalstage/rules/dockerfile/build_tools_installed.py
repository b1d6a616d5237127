"""FS104 build-tools-installed."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule, Option
from finalstage.rules._shell import Cmd, commands, installs, package_name

BUILD_TOOLS = (
    "build-essential", "build-base", "alpine-sdk", "gcc", "gcc-*", "g++", "g++-*", "cpp",
    "clang", "clang-*", "llvm", "llvm-*", "lld", "make", "cmake", "ninja", "ninja-build", "meson",
    "autoconf", "automake", "libtool", "pkg-config", "pkgconf", "pkgconfig", "bison", "flex",
    "gfortran", "musl-dev", "libc6-dev", "libc-dev", "linux-headers", "kernel-headers",
    "*-dev", "*-devel", "git", "mercurial", "subversion", "golang", "golang-go", "go", "rustc",
    "cargo", "maven", "gradle", "openjdk-*-jdk", "default-jdk", "java-*-openjdk-devel",
    "dotnet-sdk-*", "nasm", "yasm", "ccache", "gdb", "strace", "valgrind",
    "development tools", "@development-tools",
)
_REMOVE = {"apt-get": {"purge", "remove", "autoremove"}, "apt": {"purge", "remove", "autoremove"},
           "apk": {"del"}, "dnf": {"remove", "erase", "autoremove"},
           "yum": {"remove", "erase", "autoremove"}, "microdnf": {"remove"}}


def build_tools(packages: tuple[str, ...], extra: tuple[str, ...] = ()) -> list[str]:
    """The packages among ``packages`` that are compilers, headers or build tools."""
    patterns = BUILD_TOOLS + tuple(extra)
    return [p for p in packages if any(fnmatch.fnmatch(package_name(p), pat) for pat in patterns)]


def removed(cmds: tuple[Cmd, ...]) -> set[str]:
    """Packages (and apk virtual names) removed by the same RUN."""
    out: set[str] = set()
    for cmd in cmds:
        verbs = _REMOVE.get(cmd.name)
        if verbs and any(a in verbs for a in cmd.args):
            out.update(package_name(w) for w in cmd.words() if w not in verbs)
    # docker-library idiom: `apt-mark auto '.*'` then `apt-get purge --auto-remove` removes
    # everything this RUN installed that nothing else needs.
    marks_auto = any(c.name == "apt-mark" and "auto" in c.args for c in cmds)
    purges = any(c.name in ("apt-get", "apt") and c.has_flag("--auto-remove", "--autoremove")
                 for c in cmds)
    if marks_auto and purges:
        out.add("*")
    return out


class BuildToolsInstalled(InstructionRule):
    """Compilers or build tools installed in the final image

    ## What it does
    Reports OS package installs (`apt-get install`, `apk add`, `dnf`/`yum`/`microdnf install`,
    `zypper`, `pacman`) in the final chain of compilers and build tools: `build-essential`,
    `build-base`, `gcc`, `g++`, `clang`, `make`, `cmake`, `pkg-config`, `git`, header packages
    (`*-dev`, `*-devel`), language toolchains. Packages removed again in the same `RUN`
    (`apk add --virtual .build-deps … && apk del .build-deps`, `apt-get purge`, the
    `apt-mark auto '.*' … apt-get purge --auto-remove` idiom) are fine.

    ## Why is this bad?
    Build tools are needed to build, not to run. In the final image they add tens to hundreds of
    megabytes and give an attacker a compiler. Removing them in a later `RUN` does not help: the
    bytes stay in the earlier layer.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \
        && rm -rf /var/lib/apt/lists/*
    RUN pip install --no-cache-dir psycopg2
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim AS build
    RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
    RUN pip wheel --wheel-dir /wheels psycopg2

    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends libpq5 \
        && rm -rf /var/lib/apt/lists/*
    COPY --from=build /wheels /wheels
    RUN pip install --no-cache-dir /wheels/*
    ```

    ## Known problems
    Some services need `git` at run time (a Git server, a tool that fetches modules); suppress
    the finding on that line with a reason.

    ## Options
    - `extra-packages`: more package name globs to treat as build tools.
    - `allowed-packages`: package name globs never reported (for example `git`).
    """

    code = "FS104"
    name = "build-tools-installed"
    severity = Severity.ERROR
    groups = ("packages",)
    subjects = ("category:compiler", "category:build-tool")
    keywords = ("RUN",)
    options: ClassVar[Mapping[str, Option]] = {
        "extra-packages": Option((), "Package globs treated as build tools"),
        "allowed-packages": Option((), "Package globs never reported"),
    }

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        cmds = commands(instr)
        gone = removed(cmds)
        allowed = tuple(self.settings["allowed-packages"])
        tools: list[str] = []
        for install in installs(cmds):
            if install.manager == "apt" and "*" in gone:
                continue
            virtual = install.cmd.flag_value("--virtual") or install.cmd.flag_value("-t")
            if install.manager == "apk" and virtual and virtual.lower() in gone:
                continue
            tools.extend(
                p for p in build_tools(install.packages, self.settings["extra-packages"])
                if package_name(p) not in gone and p not in tools
                and not any(fnmatch.fnmatch(package_name(p), a) for a in allowed)
            )
        if tools:
            shown = ", ".join(tools[:6]) + (", …" if len(tools) > 6 else "")
            yield self.finding(
                ctx, instr, f"build tools installed in the final image: {shown}",
                needle=tools[0],
                fix_hint="install them in a builder stage and copy only the result; keep "
                         "runtime libraries (libpq5, not libpq-dev)",
            )
