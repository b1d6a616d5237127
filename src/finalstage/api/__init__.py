"""The library calls behind every command: one function each, returning one ``Report``.

``finalstage`` re-exports them; the CLI only parses arguments, calls one of them and picks a
reporter.
"""

from __future__ import annotations

from finalstage.api.check import check
from finalstage.api.inspect import inspect, ls
from finalstage.api.lint import lint, lint_text
from finalstage.api.memo import memoized
from finalstage.api.slim import slim
from finalstage.api.source import open_image

__all__ = ["check", "inspect", "lint", "lint_text", "ls", "memoized", "open_image", "slim"]
