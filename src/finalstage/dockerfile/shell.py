"""Query helpers for RUN bodies, after hadolint's ``Shell.hs``: simple commands, flags, installs.

``commands(instr)`` splits a RUN (shell form, JSON form, heredoc scripts) into simple commands
across ``&&``, ``||``, ``;``, ``|``, ``&``, newlines and ``( … )``/``{ …; }`` groups, with ``shlex``
doing the quoting. Prefixes that only wrap the real command are dropped: ``sudo [-u user]``,
``env [-i] X=Y``, ``X=Y cmd`` (``DEBIAN_FRONTEND=noninteractive apt-get …``), ``exec``,
``command``, ``nohup``, ``time`` and the keywords ``if/then/do/!``. ``set -e`` stays a command of
its own (it wraps nothing). This is a heuristic for lint rules, not a shell: no aliases, no
function calls.

``commands(instr)`` follows the script's control flow (``flow.py``, ``flowrun.py``) with the
ARG/ENV values known at the instruction: a branch a known guard rules out is dropped, and a
command under an undecided guard carries it (``Command.guard``). ``split_commands`` is the flat
split, used when the flow cannot be read.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from finalstage.dockerfile.flow import FlowError, parse
from finalstage.dockerfile.flowrun import walk
from finalstage.dockerfile.model import Instruction

__all__ = [
    "Command",
    "PackageInstall",
    "args_no_flags",
    "commands",
    "find_command_names",
    "has_flag",
    "package_installs",
    "script_commands",
    "split_commands",
]


@dataclass(frozen=True)
class Command:
    """One simple command: ``name`` is the basename of argv[0], ``args`` the words after it.

    ``guard`` is the text of the shell condition it runs under when that condition could not be
    decided from the known build args (``[ "$DEBUG" = true ]`` with no default), else None.
    """

    name: str
    args: tuple[str, ...]
    guard: str | None = None


@dataclass(frozen=True)
class PackageInstall:
    """A package installation found in one command."""

    manager: str  # apt | apk | dnf | zypper | pip | npm | yarn | pnpm | poetry | ...
    packages: tuple[str, ...]  # package words as written (versions kept: ``gcc=12.2``)
    flags: tuple[str, ...]  # its flags; a separate value is joined: ``-r req.txt`` → ``-r=req.txt``


# shlex (punctuation_chars) returns runs of these as one token: a run with < or > is a
# redirection, any other run (&&, ||, ;, |, &, (, )) separates commands.
_PUNCT = frozenset(";&|()<>")
_KEYWORD_PREFIXES = frozenset(
    {
        "if",
        "then",
        "else",
        "elif",
        "do",
        "while",
        "until",
        "!",
        "{",
        "}",
        "fi",
        "done",
        "esac",
        "time",
    }
)
_WRAPPERS = frozenset({"sudo", "env", "exec", "command", "nohup", "nice", "builtin"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"})
# Wrapper flags that take a separate value (``sudo -u app``, ``env -u VAR``, ``nice -n 5``).
_WRAPPER_VALUED = {
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"},
    "env": {"-u", "-C", "-S"},
    "nice": {"-n"},
}


def split_commands(script: str) -> list[Command]:
    """Split shell text into simple commands (see the module docstring for what is handled)."""
    out: list[Command] = []
    for line in _logical_lines(script):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:  # unbalanced quote: fall back to plain words, still useful for rules
            tokens = line.split()
        words: list[str] = []
        skip_next = False
        for token in tokens:
            if skip_next:
                skip_next = False
                continue
            is_punct = bool(token) and set(token) <= _PUNCT
            if is_punct and ("<" in token or ">" in token):
                # ``2>&1``: shlex gives "2", ">&", "1"; drop the fd number and the target.
                if words and words[-1].isdigit():
                    words.pop()
                skip_next = True
            elif is_punct or token == "\n":
                if token.startswith("(") and words and words[-1].endswith("$"):
                    # ``x $(cmd)``: the substitution's commands count; the "$" is no argument
                    words[-1] = words[-1][:-1]
                    if not words[-1]:
                        words.pop()
                _flush(words, out)
                words = []
            else:
                words.append(token)
        _flush(words, out)
    return out


def _logical_lines(script: str) -> list[str]:
    """Lines of a script with backslash-newline continuations joined."""
    return script.replace("\\\r\n", " ").replace("\\\n", " ").split("\n")


def _flush(words: list[str], out: list[Command]) -> None:
    found = _command_of(words)
    if found is not None:
        out.append(found)


def _command_of(words: Sequence[str], guard: str | None = None) -> Command | None:
    """The command of a simple command's words, past assignments and wrappers (``sudo``)."""
    i = 0
    while i < len(words):
        head = words[i]
        base = head.rsplit("/", 1)[-1]
        if head in _KEYWORD_PREFIXES or _ASSIGNMENT.match(head):
            i += 1
        elif base in _WRAPPERS:
            valued = _WRAPPER_VALUED.get(base, set())
            i += 1
            while i < len(words) and words[i].startswith("-") and words[i] != "-":
                i += 2 if words[i] in valued else 1
        elif base in ("for", "case", "select", "function"):
            return None  # loop/case headers are not commands
        else:
            break
    if i < len(words):
        return Command(words[i].rsplit("/", 1)[-1], tuple(words[i + 1 :]), guard)
    return None


def script_commands(script: str, env: Mapping[str, str]) -> list[Command]:
    """The simple commands ``script`` runs given the known values ``env`` (see ``flow``):
    branches of guards decided by ``env`` are dropped, undecided ones carry their guard. Text
    the flow reader cannot follow is split flat, every command unconditional."""
    try:
        ran = walk(parse(script), env)
    except FlowError:
        return split_commands(script)
    return [cmd for r in ran if (cmd := _command_of(r.words, r.guard)) is not None]


def commands(instr: Instruction) -> list[Command]:
    """The simple commands a RUN instruction runs, heredoc scripts included.

    JSON form ``["sh", "-c", "script"]`` is split as a script; other JSON forms are one command.
    A heredoc is read as a script when the command before it is a shell or absent
    (``RUN <<EOF``, ``RUN bash <<EOF``); otherwise (``RUN python3 <<EOF``) it is data.
    """
    if instr.keyword == "ONBUILD" and instr.onbuild is not None:
        return commands(instr.onbuild)
    args = instr.args
    env = instr.vars
    if instr.is_json:
        if not args:
            return []
        name = args[0].rsplit("/", 1)[-1]
        if name in _SHELLS and len(args) >= 3 and args[1] in ("-c", "-ec", "-xc", "-ex", "-e"):
            return script_commands(args[2], env)
        return [Command(name, tuple(args[1:]))]
    text = " ".join(args)
    if not instr.heredocs:
        return script_commands(text, env)
    out: list[Command] = []
    head = script_commands(re.sub(r"<<-?\s*([\"']?)[A-Za-z0-9_.-]+\1", " ", text), env)
    out.extend(head)
    if not head or head[0].name in _SHELLS:
        for doc in instr.heredocs:
            out.extend(script_commands(doc.content, env))
    return out


def has_flag(cmd: Command, *names: str) -> bool:
    """True if ``cmd`` has any flag in ``names`` (given without dashes: ``"y"``, ``"yes"``).

    A one-letter name matches ``-y`` and bundles like ``-qy``; a long name matches ``--name``
    and ``--name=value``.
    """
    for arg in cmd.args:
        if arg == "--":
            break
        if arg.startswith("--"):
            key = arg[2:].split("=", 1)[0]
            if key in names:
                return True
        elif (arg.startswith("-") and len(arg) > 1) and (
            any(len(n) == 1 and n in arg[1:] for n in names) or arg[1:] in names
        ):
            return True
    return False


def args_no_flags(cmd: Command) -> tuple[str, ...]:
    """The arguments that are not flags (hadolint ``getArgsNoFlags``)."""
    return tuple(a for a in cmd.args if not a.startswith("-"))


def find_command_names(instr: Instruction) -> list[str]:
    """Names of every simple command an instruction runs."""
    return [c.name for c in commands(instr)]


# manager: (command names, install verbs, flags that take a separate value)
_MANAGERS: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "apt": (
        frozenset({"apt-get", "apt", "aptitude"}),
        frozenset({"install"}),
        frozenset({"-t", "--target-release", "-o", "--option", "-c", "--config-file"}),
    ),
    "apk": (
        frozenset({"apk"}),
        frozenset({"add"}),
        frozenset({"-t", "--virtual", "-X", "--repository", "--root", "-p"}),
    ),
    "dnf": (
        frozenset({"dnf", "yum", "microdnf", "tdnf"}),
        frozenset({"install"}),
        frozenset(
            {
                "--enablerepo",
                "--disablerepo",
                "--setopt",
                "--installroot",
                "--releasever",
                "-c",
                "--config",
            }
        ),
    ),
    "zypper": (frozenset({"zypper"}), frozenset({"install", "in"}), frozenset({"-r", "--repo"})),
    "pip": (
        frozenset({"pip", "pip3"}),
        frozenset({"install"}),
        frozenset(
            {
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "-e",
                "--editable",
                "-i",
                "--index-url",
                "--extra-index-url",
                "-f",
                "--find-links",
                "-t",
                "--target",
                "--prefix",
                "--root",
                "--platform",
                "--python-version",
                "--only-binary",
                "--no-binary",
                "--trusted-host",
                "--cache-dir",
                "--src",
            }
        ),
    ),
    "npm": (
        frozenset({"npm"}),
        frozenset({"install", "i", "ci", "add", "isntall", "in"}),
        frozenset({"--omit", "--include", "--prefix", "--registry", "--cache"}),
    ),
    "yarn": (
        frozenset({"yarn"}),
        frozenset({"add", "install", ""}),
        frozenset({"--cwd", "--modules-folder", "--cache-folder"}),
    ),
    "pnpm": (
        frozenset({"pnpm"}),
        frozenset({"add", "install", "i"}),
        frozenset({"--filter", "-F", "--dir", "-C", "--store-dir"}),
    ),
    "poetry": (
        frozenset({"poetry"}),
        frozenset({"install", "add"}),
        frozenset({"--only", "--with", "--without", "-E", "--extras", "--group", "-G"}),
    ),
    "bundle": (
        frozenset({"bundle", "bundler"}),
        frozenset({"install", "add"}),
        frozenset({"--path", "--without", "--with", "--jobs", "-j", "--retry", "--gemfile"}),
    ),
    "gem": (
        frozenset({"gem"}),
        frozenset({"install", "i"}),
        frozenset({"-v", "--version", "-i", "--install-dir", "--source", "-s"}),
    ),
    "composer": (
        frozenset({"composer", "composer.phar"}),
        frozenset({"install", "require", "update"}),
        frozenset({"-d", "--working-dir"}),
    ),
}
_BY_NAME = {name: manager for manager, (names, _, _) in _MANAGERS.items() for name in names}


def package_installs(cmd: Command) -> PackageInstall | None:
    """Recognise ``apt-get install``, ``apk add``, ``pip install``, ``npm ci``… in one command.

    ``python -m pip install`` counts as pip. Returns None when ``cmd`` installs nothing.
    """
    name, args = cmd.name, cmd.args
    if (
        re.fullmatch(r"python[0-9.]*", name)
        and len(args) >= 2
        and args[0] == "-m"
        and args[1] in ("pip", "pip3")
    ):
        name, args = "pip", args[2:]
    elif re.fullmatch(r"pip[0-9.]*", name):
        name = "pip"
    manager = _BY_NAME.get(name)
    if manager is None:
        return None
    _, verbs, valued = _MANAGERS[manager]
    # The verb is the first non-flag word (``apt-get -y install``, ``npm --prefix x ci``).
    verb: str | None = None
    packages: list[str] = []
    flags: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and arg != "-":
            if arg in valued and i + 1 < len(args):
                flags.append(f"{arg}={args[i + 1]}")
                i += 2
                continue
            flags.append(arg)
        elif verb is None:
            verb = arg
        else:
            packages.append(arg)
        i += 1
    if verb is None and manager == "yarn":
        verb = ""  # ``yarn`` alone installs; ``yarn --frozen-lockfile`` too
    if verb is None or verb not in verbs:
        return None
    return PackageInstall(manager, tuple(packages), tuple(flags))


def installs(cmds: Iterable[Command]) -> list[PackageInstall]:
    """Every package installation among ``cmds``."""
    return [found for cmd in cmds if (found := package_installs(cmd)) is not None]


def names(cmds: Sequence[Command]) -> set[str]:
    """The set of command names in ``cmds``."""
    return {c.name for c in cmds}
