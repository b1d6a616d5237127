"""The command line: parse arguments, call the library, pick a reporter, set the exit code.

Each command lives in its own module (``lint.py``, ``inspect.py``…) and registers itself on the
one ``app``; modules import heavy libraries inside the command so start-up stays small.
"""

from __future__ import annotations

import os
import sys


def __getattr__(name: str) -> object:
    # ``app`` is built lazily: importing typer costs more than the whole of `--version`.
    if name == "app":
        from finalstage.cli._app import app

        _register()
        return app
    raise AttributeError(name)


def _register() -> None:
    # Importing a command module registers its command on ``app``.
    from finalstage.cli import lint, rules  # noqa: F401

    for optional in ("inspect", "ls", "check", "diff"):
        try:
            __import__(f"finalstage.cli.{optional}")
        except ModuleNotFoundError as err:
            if err.name != f"finalstage.cli.{optional}":
                raise


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``finalstage`` console script. Returns (and exits with) the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from finalstage import __version__

        print(f"finalstage {__version__}")
        sys.exit(0)

    from finalstage.cli._app import ClickException, app
    from finalstage.errors import FinalstageError

    _register()
    try:
        code = app(args=argv, standalone_mode=False, prog_name="finalstage")
    except ClickException as err:  # bad option or argument: click's message, on one line
        if type(err).__name__ == "NoArgsIsHelpError":
            print(err.format_message(), file=sys.stderr)  # type: ignore[attr-defined]
        else:
            _fail(err.format_message())  # type: ignore[attr-defined]
        code = 2
    except FinalstageError as err:
        _fail(str(err))
        code = 2
    except KeyboardInterrupt:
        _fail("interrupted")
        code = 130
    except BrokenPipeError:
        # `finalstage ls IMAGE | head`: the reader went away, which is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except SystemExit as exc:  # typer.Exit inside commands
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if os.environ.get("FINALSTAGE_DEBUG"):
            raise
        _fail(f"internal error ({type(err).__name__}): {err} — please report this bug")
        code = 2
    else:
        code = _click_code(code)
    sys.exit(code)


def _click_code(result: object) -> int:
    if isinstance(result, int):
        return result
    return 0


def _fail(message: str) -> None:
    from finalstage.escape import one_line

    print(f"finalstage: {one_line(message)}", file=sys.stderr)


__all__ = ["app", "main"]
