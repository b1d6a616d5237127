"""Meta rules (FS0xx): findings about the linting itself, emitted by the engine."""
