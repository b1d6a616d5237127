"""Running one command: register it on the app, call it, and turn every outcome into an exit
code — an error becomes one line on stderr, never a traceback."""

from __future__ import annotations

import importlib
import os
import sys

from finalstage.cli._app import ClickException, app
from finalstage.errors import FinalstageError
from finalstage.escape import one_line

# Command name → module; the root help (and an unknown command) loads them all.
COMMANDS = {"lint": "lint", "rules": "rules", "inspect": "inspect", "ls": "ls",
            "check": "check", "scan": "scan"}


def register(command: str | None = None) -> None:
    """Import the module of ``command`` (every command's for None), registering it on ``app``.
    A dispatch table, not a cycle: each command module is the top of the import graph."""
    names = [COMMANDS[command]] if command in COMMANDS else list(COMMANDS.values())
    for name in names:
        importlib.import_module(f"finalstage.cli.{name}")


def run(args: list[str]) -> int:
    """Run the command line ``args``; the exit code (0 pass, 1 failed, 2 error, 130 interrupted)."""
    register(next((a for a in args if not a.startswith("-")), None))
    try:
        return _click_code(app(args=args, standalone_mode=False, prog_name="finalstage"))
    except ClickException as err:  # bad option or argument: click's message, on one line
        if type(err).__name__ == "NoArgsIsHelpError":
            print(err.format_message(), file=sys.stderr)  # type: ignore[attr-defined]
        else:
            fail(err.format_message())  # type: ignore[attr-defined]
        return 2
    except FinalstageError as err:
        fail(str(err))
        return 2
    except KeyboardInterrupt:
        fail("interrupted")
        return 130
    except BrokenPipeError:
        # `finalstage ls IMAGE | head`: the reader went away, which is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except SystemExit as exc:  # typer.Exit inside commands
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if os.environ.get("FINALSTAGE_DEBUG"):
            raise
        fail(f"internal error ({type(err).__name__}): {err} — please report this bug")
        return 2


def _click_code(result: object) -> int:
    return result if isinstance(result, int) else 0


def fail(message: str) -> None:
    """One line on stderr: ``finalstage: <message>``."""
    print(f"finalstage: {one_line(message)}", file=sys.stderr)


__all__ = ["COMMANDS", "fail", "register", "run"]
