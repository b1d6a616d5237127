"""The version, at the bottom of the import graph so every layer may read it."""

__version__ = "0.1.0"
