"""What rules need to know about RUN bodies, on top of ``finalstage.dockerfile.shell``.

Rules never parse (DESIGN): the splitting into simple commands comes from the Dockerfile
package's shell helpers. This module only adapts their result to one small shape (``Cmd``) and
adds the facts several rules share: which package managers install what, with which flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from finalstage.dockerfile import shell
from finalstage.dockerfile.model import Instruction


@dataclass(frozen=True)
class Cmd:
    """One simple command of a RUN: ``name`` is the basename of argv[0], ``args`` the rest."""

    name: str
    args: tuple[str, ...]
    # The undecided shell condition it runs under (``[ "$DEBUG" = true ]``), else None: a rule
    # reports what only a guarded command does at warning severity, as conditional.
    guard: str | None = None

    def has_flag(self, *flags: str) -> bool:
        """True when any of ``flags`` (``-y``, ``--no-cache``, ``--omit``) is present.

        ``--omit`` matches ``--omit=dev``; a one-letter flag also matches inside a bundle
        (``-qy`` has ``-y``).
        """
        for arg in self.args:
            for flag in flags:
                if arg == flag or (flag.startswith("--") and arg.startswith(flag + "=")):
                    return True
                if (len(flag) == 2 and flag[0] == "-" and flag[1] != "-" and arg.startswith("-")
                        and not arg.startswith("--") and flag[1] in arg[1:]):
                    return True
        return False

    def words(self) -> tuple[str, ...]:
        """Arguments that are not flags."""
        return tuple(a for a in self.args if not a.startswith("-"))

    def flag_value(self, flag: str) -> str | None:
        """Value of ``--flag=value`` or ``--flag value`` (the first one)."""
        for i, arg in enumerate(self.args):
            if arg.startswith(flag + "="):
                return arg[len(flag) + 1:]
            if arg == flag and i + 1 < len(self.args):
                return self.args[i + 1]
        return None


def commands(instr: Instruction) -> tuple[Cmd, ...]:
    """The simple commands a RUN instruction executes (heredoc scripts included).

    Memoised per instruction object: several rules ask about the same RUN.
    """
    key = id(instr)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is instr:
        return hit[1]
    cmds = tuple(Cmd(c.name, tuple(c.args), c.guard) for c in shell.commands(instr) if c.name)
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[key] = (instr, cmds)
    return cmds


# id(instr) → (instr, commands); the instr is kept so a recycled id can never match.
_CACHE: dict[int, tuple[Instruction, tuple[Cmd, ...]]] = {}


@dataclass(frozen=True)
class Install:
    """A package installation: the manager and the package words it installs."""

    manager: str            # apt | apk | dnf | pip | npm | yarn | pnpm | gem | ...
    packages: tuple[str, ...]
    cmd: Cmd


_OS_INSTALL = {
    "apt-get": ("apt", {"install"}),
    "apt": ("apt", {"install"}),
    "aptitude": ("apt", {"install"}),
    "apk": ("apk", {"add"}),
    "dnf": ("dnf", {"install"}),
    "yum": ("dnf", {"install"}),
    "microdnf": ("dnf", {"install"}),
    "tdnf": ("dnf", {"install"}),
    "zypper": ("zypper", {"install", "in"}),
    "pacman": ("pacman", {"-S", "-Sy", "-Syu"}),
}
# Flags of OS package managers that take a separate value (so the value is no package).
_VALUED = {"-t", "--target-release", "-o", "--option", "--repository", "-X", "--virtual", "--enablerepo", "--disablerepo", "--setopt", "--installroot", "--releasever"}


def installs(cmds: Iterable[Cmd]) -> tuple[Install, ...]:
    """OS package installations among ``cmds`` (apt, apk, dnf/yum/microdnf, zypper, pacman)."""
    out: list[Install] = []
    for cmd in cmds:
        known = _OS_INSTALL.get(cmd.name)
        if known is None:
            continue
        manager, verbs = known
        verb_at = next((i for i, a in enumerate(cmd.args) if a in verbs), None)
        if verb_at is None:
            continue
        packages: list[str] = []
        skip = False
        for arg in cmd.args[verb_at + 1:]:
            if skip:
                skip = False
                continue
            if arg in _VALUED:
                skip = True
                continue
            if arg.startswith("-"):
                continue
            packages.append(arg)
        out.append(Install(manager, tuple(packages), cmd))
    return tuple(out)


def package_name(word: str) -> str:
    """``gcc=4:12.2`` / ``gcc-12>=1`` / ``libssl-dev:amd64`` → the bare package name."""
    for sep in ("=", ">", "<", "~"):
        word = word.split(sep, 1)[0]
    return word.split(":", 1)[0].lower()


def names(cmds: Sequence[Cmd]) -> set[str]:
    """The command names in ``cmds``."""
    return {c.name for c in cmds}


__all__ = ["Cmd", "Install", "commands", "installs", "names", "package_name"]
