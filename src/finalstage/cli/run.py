"""Running one command: register it on the app, call it, and turn every outcome into an exit
code — an error becomes one line on stderr, never a traceback."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from finalstage.cli._app import ClickException, app, valued_flags
from finalstage.errors import FinalstageError
from finalstage.escape import one_line

# Command name → module; the root help (and an unknown command) loads them all.
COMMANDS = {"lint": "lint", "fix": "fix", "rules": "rules", "inspect": "inspect", "ls": "ls",
            "check": "check", "diff": "diff",
            "slim": "slim", "scan": "scan"}


def register(command: str | None = None) -> None:
    """Import the module of ``command`` (every command's for None), registering it on ``app``.
    A dispatch table, not a cycle: each command module is the top of the import graph."""
    names = [COMMANDS[command]] if command in COMMANDS else list(COMMANDS.values())
    for name in names:
        importlib.import_module(f"finalstage.cli.{name}")


def run(args: list[str]) -> int:
    """Run the command and print its error, if any, as one line on stderr.

    Ctrl-C anywhere in the run is one ``finalstage: interrupted`` line and exit 130, whatever
    the framework made of the KeyboardInterrupt (typer turns it into a silent exit 130, click
    into ``Abort``, a library may have wrapped it): the SIGINT handler marks the run.
    """
    interrupted = threading.Event()
    previous = _on_interrupt(interrupted.set)
    try:
        code, message = _run_app(args)
    except KeyboardInterrupt:
        interrupted.set()
        code, message = 130, None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        code, message = 130, _line("interrupted")
    if message is not None:
        print(message, file=sys.stderr)
    return code


def _on_interrupt(mark: Callable[[], None]) -> Any:
    """Make SIGINT call ``mark`` before raising KeyboardInterrupt as usual. Returns the handler
    it replaced, or None when SIGINT is not Python's own (the parent ignores it, or this is
    not the main thread): then nothing changes."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        mark()
        raise KeyboardInterrupt

    return signal.signal(signal.SIGINT, handler)


def _run_app(args: list[str]) -> tuple[int, str | None]:
    """The exit code and what to print on stderr (None: nothing)."""
    register(next((a for a in args if not a.startswith("-")), None))
    try:
        args = valued_flags(args)
        return _click_code(app(args=args, standalone_mode=False, prog_name="finalstage")), None
    except ClickException as err:  # bad option or argument: click's message, on one line
        if type(err).__name__ == "NoArgsIsHelpError":
            return 2, err.format_message()  # type: ignore[attr-defined]
        return 2, _line(err.format_message())  # type: ignore[attr-defined]
    except FinalstageError as err:
        return 2, _line(str(err))
    except BrokenPipeError:
        # `finalstage ls IMAGE | head`: the reader went away, which is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0, None
    except SystemExit as exc:  # typer.Exit inside commands
        return (exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)), None
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if os.environ.get("FINALSTAGE_DEBUG"):
            raise
        return 2, _line(f"internal error ({type(err).__name__}): {err} — please report this bug")


def _click_code(result: object) -> int:
    return result if isinstance(result, int) else 0


def _line(message: str) -> str:
    return f"finalstage: {one_line(message)}"


__all__ = ["COMMANDS", "register", "run"]
