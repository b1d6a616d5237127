"""FS104 build-tools-installed."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Finding, Severity
from finalstage.rules._base import InstructionRule, Option
from finalstage.rules._shell import Cmd, Install, commands, installs, package_name
from finalstage.rules.dockerfile._uses import tool_use

BUILD_TOOLS = (
    "build-essential", "build-base", "alpine-sdk", "gcc", "gcc-*", "g++", "g++-*", "cpp",
    "clang", "clang-*", "llvm", "llvm-*", "lld", "make", "cmake", "ninja", "ninja-build", "meson",
    "autoconf", "automake", "libtool", "pkg-config", "pkgconf", "pkgconfig", "bison", "flex",
    "gfortran", "musl-dev", "libc6-dev", "libc-dev", "linux-headers", "kernel-headers",
    "*-dev", "*-devel", "git", "git-core", "mercurial", "subversion", "golang", "golang-go", "go", "rustc",
    "cargo", "maven", "gradle", "openjdk-*-jdk", "default-jdk", "java-*-openjdk-devel",
    "dotnet-sdk-*", "nasm", "yasm", "ccache", "gdb", "strace", "valgrind",
    "development tools", "@development-tools",
)
_REMOVE = {"apt-get": {"purge", "remove", "autoremove"}, "apt": {"purge", "remove", "autoremove"},
           "apk": {"del"}, "dnf": {"remove", "erase", "autoremove"},
           "yum": {"remove", "erase", "autoremove"}, "microdnf": {"remove"}}


# Tools that also have run-time uses (a Git server runs git, a health check runs curl): package
# name → the commands it provides. Version-control clients are build tools unless something
# runs them at run time; download and remote-shell clients are reported only when the build is
# all that uses them, and then as a warning: health checks and exec probes defined outside the
# Dockerfile (compose, Kubernetes) run them, so the Dockerfile cannot prove they are unused.
DUAL_USE: dict[str, tuple[str, ...]] = {
    "git": ("git",), "git-core": ("git",), "mercurial": ("hg",), "subversion": ("svn",),
}
FETCH_TOOLS: dict[str, tuple[str, ...]] = {
    "curl": ("curl",), "wget": ("wget",), "openssh-client": ("ssh", "scp", "sftp"),
    "openssh-clients": ("ssh", "scp", "sftp"),
}


def dual_use(name: str) -> tuple[str, ...] | None:
    """The commands of a dual-use package (``git`` → ``("git",)``), else None."""
    return DUAL_USE.get(name) or FETCH_TOOLS.get(name)


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


def kept_installs(cmds: tuple[Cmd, ...], gone: set[str]) -> Iterator[Install]:
    """The installs of ``cmds`` that the same RUN does not remove as a whole (an apk virtual
    package deleted again, the apt-mark auto idiom); ``gone``: ``removed(cmds)``."""
    for install in installs(cmds):
        if install.manager == "apt" and "*" in gone:
            continue
        virtual = install.cmd.flag_value("--virtual") or install.cmd.flag_value("-t")
        if install.manager == "apk" and virtual and virtual.lower() in gone:
            continue
        yield install


class BuildToolsInstalled(InstructionRule):
    """Compilers or build tools installed in the final image

    ## What it does
    Reports OS package installs (`apt-get install`, `apk add`, `dnf`/`yum`/`microdnf install`,
    `zypper`, `pacman`) in the final chain of compilers and build tools: `build-essential`,
    `build-base`, `gcc`, `g++`, `clang`, `make`, `cmake`, `pkg-config`, `git`, header packages
    (`*-dev`, `*-devel`), language toolchains. Packages removed again in the same `RUN`
    (`apk add --virtual .build-deps … && apk del .build-deps`, `apt-get purge`, the
    `apt-mark auto '.*' … apt-get purge --auto-remove` idiom) are fine.

    Version-control clients (`git`, `mercurial`, `subversion`) also have run-time uses: they
    are an error only when the final chain uses them during the build (`git clone` in a `RUN`,
    `pip install git+https://…`) and no `CMD`, `ENTRYPOINT` or `HEALTHCHECK` runs them, and a
    warning when nothing in the Dockerfile uses them. `curl`, `wget` and `openssh-client` are
    reported, as a warning, only when the build is all that uses them.

    Shell conditions on build args are evaluated (`if [ "$DEBUG" = "true" ]` with
    `ARG DEBUG=false` installs nothing); an install under a condition that cannot be decided is
    reported as conditional, at warning severity.

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
    An application that runs `git` itself (a Git server, a tool that fetches modules) draws the
    warning; allow the package with the `allowed-packages` option.

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
        tools: dict[str | None, list[str]] = {}        # guard → build tools it installs
        dual: list[tuple[str, str | None]] = []
        for install in kept_installs(cmds, gone):
            dual.extend((p, install.cmd.guard) for p in install.packages
                        if package_name(p) in FETCH_TOOLS and package_name(p) not in gone)
            for p in build_tools(install.packages, self.settings["extra-packages"]):
                name = package_name(p)
                if name in gone or any(fnmatch.fnmatch(name, a) for a in allowed):
                    continue
                if dual_use(name) is not None:
                    dual.append((p, install.cmd.guard))
                elif p not in tools.setdefault(install.cmd.guard, []):
                    tools[install.cmd.guard].append(p)
        for guard, found in tools.items():
            if found:
                yield self._tools(ctx, instr, found, guard)
        for package, guard in dual:
            yield from self._dual_use(ctx, instr, package, guard)

    def _tools(self, ctx: DockerfileContext, instr: Instruction, tools: list[str],
               guard: str | None) -> Finding:
        shown = ", ".join(tools[:6]) + (", …" if len(tools) > 6 else "")
        return self.finding(
            ctx, instr, f"build tools installed in the final image: {shown}",
            needle=tools[0], guard=guard,
            fix_hint="install them in a builder stage and copy only the result; keep "
                     "runtime libraries (libpq5, not libpq-dev)",
        )

    def _dual_use(self, ctx: DockerfileContext, instr: Instruction, package: str,
                  guard: str | None) -> Iterator[Finding]:
        """A tool with run-time uses too (git, curl, ssh): an error only when the final chain
        uses it during the build and never at run time; a warning when nothing says."""
        name = package_name(package)
        use = tool_use(ctx, instr, dual_use(name) or ())
        if use.at_runtime:
            return
        if use.build_line is not None:
            yield self.finding(
                ctx, instr, f"{package} is installed in the final image and used only during "
                f"the build (line {use.build_line}), never at run time", needle=package,
                guard=guard, severity=Severity.WARNING if name in FETCH_TOOLS else None,
                fix_hint=f"use {package} in a builder stage and copy the result",
            )
            return
        if name in FETCH_TOOLS:
            return
        yield self.finding(
            ctx, instr, f"{package} is installed in the final image; nothing in the Dockerfile "
            "uses it at run time", needle=package, severity=Severity.WARNING, guard=guard,
            fix_hint=f"if the application does not run {package}, install it in a builder "
                     "stage instead (or allow it with the allowed-packages option)",
        )
