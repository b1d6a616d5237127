"""Where each rendering of a report goes: ``--format``/``-o`` pairs and syft-style
``-o FORMAT=FILE``, several in one run.

    --format sarif -o a.sarif                       # one format to one file
    -o sarif=a.sarif -o junit=b.xml                 # and the --format (text) on stdout
    --format sarif -o a.sarif --format junit -o b.xml   # pairs, in order

An ``-o`` value is a ``FORMAT=FILE`` pair when the part before ``=`` names an output format (a
bare word that names none is an error: a typo must not become a file name); otherwise it is a
file for the ``--format`` in the same position (``./sarif=x`` is a file named ``sarif=x``).
With no plain ``-o``, the one ``--format`` (default text) goes to stdout. ``-`` as a file is
stdout. At most one output may go to stdout, and no file twice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from finalstage.errors import UsageError
from finalstage.escape import one_line


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Output:
    """One rendering of the report: its format and its file (None: stdout)."""

    format: str
    path: str | None = None


def plan_outputs(formats: Sequence[str], outputs: Sequence[str], *,
                 known: Sequence[str], default: str = "text") -> list[Output]:
    """The outputs ``--format`` and ``-o`` ask for. ``known`` are the format names an ``-o``
    pair may start with (every format: one the command cannot render is refused later, by
    name). UsageError for formats and files that do not pair up."""
    names = {name.lower() for name in known}
    pairs: list[Output] = []
    plain: list[str] = []
    for value in outputs:
        name, eq, path = value.partition("=")
        if eq and name.strip().lower() in names:
            if not path:
                raise UsageError(f"-o {one_line(value)}: no file after '='")
            pairs.append(Output(name.strip().lower(), path))
        elif eq and _WORD.fullmatch(name):  # a mistyped format, not a file name
            raise UsageError(f"-o {one_line(value)}: unknown output format '{one_line(name)}' "
                             f"(use {'|'.join(known)}; ./{one_line(value)} names a file)")
        else:
            plain.append(value)
    chosen = list(formats) or [default]
    if plain and len(plain) != len(chosen):
        raise UsageError(
            f"{len(chosen)} --format and {len(plain)} -o FILE do not pair up: give one -o FILE "
            "per --format, or name each format with -o FORMAT=FILE")
    if not plain and len(chosen) > 1:
        raise UsageError("several --format need one -o FILE each (or -o FORMAT=FILE)")
    planned = [Output(fmt, path) for fmt, path in zip(chosen, plain or [None], strict=True)]
    planned += pairs
    planned = [Output(o.format, None if o.path == "-" else o.path) for o in planned]
    _check_distinct(planned)
    return planned


def _check_distinct(planned: list[Output]) -> None:
    if sum(o.path is None for o in planned) > 1:
        raise UsageError("only one output can go to stdout")
    seen: set[str] = set()
    for out in planned:
        if out.path is None:
            continue
        key = os.path.normpath(out.path)
        if key in seen:
            raise UsageError(f"-o {one_line(out.path)} is given twice")
        seen.add(key)


__all__ = ["Output", "plan_outputs"]
