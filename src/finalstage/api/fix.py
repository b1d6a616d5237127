"""``fix``: rewrite a fat final stage into a builder and a minimal runtime stage.

::

    >>> from finalstage import fix
    >>> report = fix("examples/go/Dockerfile.fat", base="scratch")
    >>> report.detail.family, report.detail.base
    ('go', 'scratch')
    >>> "FROM scratch" in report.detail.text
    True

The report's ``detail`` is the ``Rewrite`` (its ``text`` is the new Dockerfile); its findings
are those of linting the rewritten file, so what is left to do shows at once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from finalstage.api.autofix import write_text
from finalstage.api.lint import SettingsArg, resolve_settings
from finalstage.dockerfile import parse_text
from finalstage.dockerfile.parse import decode, read_source
from finalstage.engine import evaluate
from finalstage.errors import DockerfileError, UsageError
from finalstage.facts import Facts
from finalstage.findings import Report
from finalstage.rewrite import plan


def fix(dockerfile: str | Path, *, base: str | None = None, output: str | Path | None = None,
        settings: SettingsArg = None) -> Report:
    """Rewrite ``dockerfile``'s final stage on ``base`` (default: the SDK → runtime table).

    With ``output`` the new Dockerfile is written there (``output == dockerfile`` rewrites it
    in place); otherwise nothing is written.
    """
    path = str(dockerfile)
    data = read_source(path)
    text = decode(data, path)
    rewrite = plan(parse_text(text, path=path), text, base)
    try:
        df = parse_text(rewrite.text, path=path)
    except DockerfileError as err:  # a bug of the rewrite, never written
        raise UsageError(f"fix: the rewritten {path} does not parse: {err}") from err
    chosen = resolve_settings(settings, Path(path).parent)
    report = evaluate(Facts(dockerfile=df, dockerfile_path=path), chosen, command="fix",
                      targets=(path,))
    notes = list(rewrite.notes) + [f"left to do: {t}" for t in rewrite.todos]
    if output is not None:
        write_text(str(output), rewrite.text, data)
        notes.append(f"wrote {output}")
    return dataclasses.replace(report, detail=rewrite, notes=report.notes + tuple(notes))


__all__ = ["fix"]
