"""Settings: which rules run, at which severity, with which options — from one file.

``find_settings(dir)`` walks up to the nearest ``finalstage.toml`` (or ``pyproject.toml`` with
``[tool.finalstage]``); ``load_settings(path)`` reads a file given on the command line. The
``[policy]`` table is sugar over rule options and severities (``settings/policy.py``).
"""

from __future__ import annotations

from finalstage.settings.load import CONFIG_NAME, find_settings, from_table, load_settings
from finalstage.settings.model import PolicyKey, Settings

__all__ = ["CONFIG_NAME", "PolicyKey", "Settings", "find_settings", "from_table",
           "load_settings"]
