"""What running a command needs: the program, its ``#!`` interpreter, and what it runs next.

``run(argv)`` finds ``argv[0]`` the way ``execvp`` does (``PATH`` from the image's ``Env``,
relative to ``WorkingDir``), keeps it, and follows it: a ``#!`` script pulls in its
interpreter (``/usr/bin/env python3`` pulls in ``env`` and ``python3``); ``sh -c STRING`` pulls
in the shell and every command the string names; wrappers (``env``, ``tini``, ``dumb-init``,
``gosu``, ``su-exec``) run the rest of their arguments; ``npm start``/``npm run X`` runs the
package's script through ``sh -c``. Python and node get their own handlers.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Sequence

from finalstage.dockerfile.shell import split_commands
from finalstage.slimming.appfiles import is_app_dir
from finalstage.slimming.capture import NodeManifest, Script
from finalstage.slimming.closure import Closure, show
from finalstage.slimming.fsview import norm
from finalstage.slimming.runtime import keep_app_dir

SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})
_SHELL_BUILTINS = frozenset({
    "cd", "exec", "export", "set", "unset", "echo", "printf", "test", "[", "[[", "true", "false",
    ":", ".", "source", "eval", "exit", "return", "shift", "trap", "wait", "read", "umask",
    "ulimit", "alias", "local", "readonly", "type", "command", "kill", "pwd", "let", "declare",
    "for", "case", "while", "until", "if", "fi", "done", "esac", "then", "else", "do",
})
_WRAPPERS = {"tini": 0, "tini-static": 0, "dumb-init": 0, "catatonit": 0, "gosu": 1,
             "su-exec": 1, "setpriv": 0, "chroot": 1, "nohup": 0, "nice": 0, "timeout": 1}
_VALUED = {"tini": {"-p", "-e"}, "dumb-init": {"-r", "--rewrite"}, "env": {"-u", "-C", "-S"},
           "nice": {"-n"}, "timeout": {"-s", "-k"}}
MAX_DEPTH = 12
_COMMAND_WORD = re.compile(r"^[A-Za-z0-9_./+@-]+$")

# language handlers: (closure, interpreter real path, invoked path, args, via) -> None
Handler = Callable[[Closure, str, str, Sequence[str], str], None]


class Commands:
    """Follows commands; language handlers are registered by name prefix (``python``, …)."""

    def __init__(self, closure: Closure) -> None:
        self.c = closure
        self.handlers: dict[str, Handler] = {}
        self.path = closure.env.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                                    "/sbin:/bin")

    def run(self, argv: Sequence[str], why: str, via: str | None = None, depth: int = 0,
            cwd: str | None = None, quiet: bool = False) -> None:
        """Keep what running ``argv`` needs."""
        if not argv or depth > MAX_DEPTH:
            return
        word = argv[0]
        if word.startswith("$") or "$(" in word or "`" in word:
            self.c.warn(f"command {word!r} ({why}) is computed at run time: not followed")
            return
        cwd = self.c.workdir if cwd is None else cwd
        found = self.c.view.which(word, self.path, cwd)
        if found is None:
            if not quiet:
                self.c.warn(f"command {word!r} ({why}) not found in the image")
            return
        real = self.c.keep(found, why, via)
        if real is None:
            return
        if depth == 0 and is_app_dir(posixpath.dirname(found)):
            keep_app_dir(self.c, posixpath.dirname(found), f"directory of {show(found)}", real)
        self._follow(real, found, argv, why, depth)

    def _follow(self, real: str, invoked: str, argv: Sequence[str], why: str, depth: int) -> None:
        value = self.c.value(real)
        base = posixpath.basename(invoked)
        if isinstance(value, Script):
            self._script(real, value, argv, depth)
            return
        handler = self._handler(posixpath.basename(real)) or self._handler(base)
        if handler is not None:
            handler(self.c, real, invoked, list(argv[1:]), real)
            return
        shell = _shell_args(base, posixpath.basename(real), list(argv[1:]))
        if shell is not None:
            self._shell(real, shell, depth)
        elif base == "env":
            self._env(real, list(argv[1:]), depth)
        elif base in _WRAPPERS:
            rest = _skip_options(list(argv[1:]), _VALUED.get(base, set()))
            rest = rest[_WRAPPERS[base]:]
            if rest:
                self.run(rest, f"run by {show(real)}", real, depth + 1)
        elif base in ("npm", "npm-cli.js"):
            self.npm_script(list(argv[1:]), real, depth)

    def _handler(self, name: str) -> Handler | None:
        for prefix, handler in self.handlers.items():
            if name == prefix or (name.startswith(prefix) and
                                  name[len(prefix):].replace(".", "").isdigit()):
                return handler
        return None

    def _script(self, real: str, script: Script, argv: Sequence[str], depth: int) -> None:
        """A ``#!`` script: the kernel runs ``interpreter [arg] script args``."""
        words = script.shebang.split(None, 1)
        if not words:
            return
        interp_argv = [words[0], *(words[1:] if len(words) > 1 else []), "/" + real,
                       *argv[1:]]
        self.run(interp_argv, f"#! interpreter of {show(real)}", real, depth + 1, cwd="")

    def _env(self, real: str, args: list[str], depth: int) -> None:
        rest = _skip_options(args, _VALUED["env"])
        while rest and "=" in rest[0] and not rest[0].startswith("/"):
            rest = rest[1:]
        if len(rest) == 1 and " " in rest[0]:  # "#!/usr/bin/env -S python3 -u"
            rest = rest[0].split()
        if rest:
            self.run(rest, f"run by {show(real)}", real, depth + 1)

    def _shell(self, real: str, args: list[str], depth: int) -> None:
        """``sh -c STRING`` or ``sh SCRIPT``: the commands they name."""
        if "-c" in args:
            index = args.index("-c")
            if index + 1 < len(args):
                self.shell_string(args[index + 1], f"named by {show(real)} -c", real, depth)
            return
        script = next((a for a in args if not a.startswith("-")), None)
        if script is None:
            return
        path = self.c.keep(posixpath.join("/" + self.c.workdir, script),
                           f"script run by {show(real)}", real)
        if path is not None and is_app_dir(posixpath.dirname(path)):
            keep_app_dir(self.c, posixpath.dirname(path),
                         f"directory of the script {show(path)}", path)
        value = self.c.value(path) if path else None
        if isinstance(value, Script) and path and value.text and self.c.once(f"sh:{path}"):
            self.shell_string(value.text, f"run by the script {show(path)}", path, depth,
                              quiet=True)

    def shell_string(self, text: str, why: str, via: str, depth: int,
                     quiet: bool = False) -> None:
        """The commands a shell text runs (``quiet``: a script's optional commands that are
        not in the image are no warning)."""
        for command in split_commands(text):
            for wrapper in command.wrappers:
                if wrapper not in _SHELL_BUILTINS:
                    self.run([wrapper], why, via, depth + 1, quiet=quiet)
            word = command.word
            if word in _SHELL_BUILTINS or command.name in _SHELL_BUILTINS \
                    or not _COMMAND_WORD.match(word):
                continue
            self.run([word, *command.args], why, via, depth + 1, quiet=quiet)

    def npm_script(self, args: list[str], via: str, depth: int) -> None:
        """``npm start`` / ``npm run NAME``: the package's scripts, run with ``sh -c``."""
        words = [a for a in args if not a.startswith("-")]
        if not words:
            return
        if words[0] in ("start", "test", "stop", "restart"):
            name = words[0]
        elif words[0] in ("run", "run-script") and len(words) > 1:
            name = words[1]
        else:
            return
        manifest = self.c.value(norm(posixpath.join("/" + self.c.workdir, "package.json")))
        if not isinstance(manifest, NodeManifest):
            self.c.warn(f"npm {name}: no package.json in {show(self.c.workdir)}")
            return
        self.c.keep(posixpath.join("/" + self.c.workdir, "package.json"),
                    f"read by npm {name}", via)
        scripts = dict(manifest.scripts)
        script = scripts.get(name) or ("node server.js" if name == "start" else None)
        for step in (f"pre{name}", name, f"post{name}"):
            text = scripts.get(step) if step != name else script
            if text:
                self.run(["/bin/sh", "-c", text], f"npm script '{step}'", via, depth + 1)


def _shell_args(invoked: str, real: str, args: list[str]) -> list[str] | None:
    """The shell's arguments when the command runs a shell, else None: busybox is a shell
    only as ``sh``/``ash``… or ``busybox sh``; as ``cat`` or ``busybox cat`` it is an applet."""
    if invoked == "busybox" or (real == "busybox" and invoked not in SHELLS):
        if invoked == "busybox" and args and args[0] in SHELLS - {"busybox"}:
            return args[1:]
        return None
    return args if invoked in SHELLS or real in SHELLS else None


def _skip_options(args: list[str], valued: set[str]) -> list[str]:
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        if args[i] == "--":
            return args[i + 1:]
        i += 2 if args[i] in valued else 1
    return args[i:]


def argv_of(entrypoint: Sequence[str] | None, cmd: Sequence[str] | None) -> list[str]:
    """What the container runs: ENTRYPOINT followed by CMD (docker's rule)."""
    return [*(entrypoint or ()), *(cmd or ())]


def healthcheck_argv(test: Sequence[str]) -> list[str] | None:
    """A HEALTHCHECK ``Test`` as argv (``CMD-SHELL`` runs through ``/bin/sh -c``)."""
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    if test[0] == "CMD":
        return list(test[1:])
    return list(test)


def split_words(text: str) -> list[str]:
    """Shell-like words of a ``--probe-cmd`` string."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


__all__ = ["SHELLS", "Commands", "argv_of", "healthcheck_argv", "split_words"]
