"""finalstage: verify, explain and shrink the final runtime stage of container images.

The library behind the command line. Every command is one call that returns one ``Report``:

    >>> import finalstage
    >>> report = finalstage.lint("examples/go/Dockerfile")
    >>> report.exit_code
    0
    >>> print(finalstage.render(report, "text").splitlines()[-1])
    1 warning in 1 file

``lint(dockerfiles)``, ``inspect(image)``, ``ls(image, path)``, ``check(image, dockerfile=…,
policy=…)`` and ``diff(a, b)`` take an image reference (``docker-archive:app.tar``, ``oci:dir``,
``docker://registry/repo:tag``…) or an ``Image`` from ``open_image``; ``render(report, fmt)``
turns any report into text, JSON, SARIF, JUnit, GitHub annotations, HTML, Markdown or an SBOM.

Names are loaded on first use (PEP 562), so ``import finalstage`` stays instant.
"""

from __future__ import annotations

import importlib

from finalstage._version import __version__

# Types for checkers live in __init__.pyi: importing `typing` here would cost every start-up.
# Public name → the module that defines it.
_EXPORTS = {
    "Analysis": "finalstage.analysis.model", "Category": "finalstage.analysis.categories",
    "Package": "finalstage.analysis.packages.model", "check": "finalstage.api.check",
    "diff": "finalstage.api.diff", "fix": "finalstage.api.fix", "inspect": "finalstage.api.inspect",
    "lint": "finalstage.api.lint", "ls": "finalstage.api.inspect",
    "open_image": "finalstage.api.source", "slim": "finalstage.api.slim",
    "scan": "finalstage.api.scan",
    "FinalstageError": "finalstage.errors", "Facts": "finalstage.facts",
    "Finding": "finalstage.findings", "Location": "finalstage.findings",
    "Report": "finalstage.findings", "RuleOutcome": "finalstage.findings",
    "Severity": "finalstage.findings", "Image": "finalstage.image.image",
    "render": "finalstage.report", "Settings": "finalstage.settings",
    "load_settings": "finalstage.settings",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> object:
    # The lazy public API (PEP 562): the one place the root package imports its layers.
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'finalstage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
