"""Reading the files a user names (config, policy, structure tests, baselines).

Every failure becomes one ``UsageError`` line that says what the file was for: ``reading policy
finalstage.toml: no such file``. Parsers recurse once per nesting level, so a deeply nested
document is reported as such instead of crashing with RecursionError.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from finalstage.errors import UsageError


def read_text(file: Path, what: str) -> str:
    """The UTF-8 text of ``file``; ``what`` names its role in messages ("policy", "config")."""
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise UsageError(f"reading {what} {file}: no such file") from err
    except IsADirectoryError as err:
        raise UsageError(f"reading {what} {file}: is a directory") from err
    except UnicodeDecodeError as err:
        raise UsageError(f"reading {what} {file}: not utf-8 text") from err
    except OSError as err:
        raise UsageError(f"reading {what} {file}: {err.strerror or err}") from err


def load_toml(file: Path, what: str) -> dict[str, Any]:
    """``file`` parsed as TOML, with ``read_text``'s errors plus invalid or too deep TOML."""
    text = read_text(file, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"reading {what} {file}: invalid toml: {err}") from err
    except RecursionError as err:  # tomllib recurses once per nesting level
        raise UsageError(f"reading {what} {file}: invalid toml: nested too deeply") from err
