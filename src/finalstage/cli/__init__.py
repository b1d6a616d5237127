"""The command line: parse arguments, call the library, pick a reporter, set the exit code.

Each command lives in its own module (``lint.py``, ``inspect.py``…) and registers itself on the
one ``app``. Only the module of the command being run is imported (``run.COMMANDS``):
``finalstage lint`` never pays for the image readers, and ``--version`` pays for nothing.
"""

from __future__ import annotations

import sys

from finalstage._version import __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``finalstage`` console script. Returns (and exits with) the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        print(f"finalstage {__version__}")
        sys.exit(0)
    # heavy optional dependency: typer (and, through the commands, the library) loads only
    # past --version, which must answer in milliseconds.
    from finalstage.cli.run import run  # noqa: PLC0415

    sys.exit(run(args))


__all__ = ["main"]
