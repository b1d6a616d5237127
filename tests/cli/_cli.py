"""Running the command line in tests: in-process through ``finalstage.cli.main`` (the same code
the console script runs, minus interpreter start-up), or as the real process."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping


def run_process(*args: str, stdin: str | None = None,
                env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """The real ``python -m finalstage`` process (``env`` is added to the environment)."""
    return subprocess.run([sys.executable, "-m", "finalstage", *args], capture_output=True,
                          text=True, input=stdin, timeout=120, check=False,
                          env={**os.environ, **(env or {})})


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``finalstage.cli.main`` in-process, with stdin/stdout/stderr captured."""
    from finalstage.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0
    finally:
        sys.stdin = old_stdin
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())
