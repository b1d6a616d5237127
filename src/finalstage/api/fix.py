"""``fix``: rewrite a fat final stage into a builder and a minimal runtime stage.

::

    >>> from finalstage import fix
    >>> report = fix("examples/go/Dockerfile.fat", base="scratch")
    >>> report.detail.rewrite.family, report.detail.rewrite.base
    ('go', 'scratch')
    >>> "FROM scratch" in report.detail.rewrite.text
    True

The report's ``detail`` is a ``FixOutcome``: the ``Rewrite`` (its ``text`` is the new
Dockerfile), the ``Verification`` when asked (``verify=True``: built with buildah, gated by a
strict ``check``, probed against the original) and whether the file was written — never when
the verification failed. Its findings are those of linting the rewritten file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from collections.abc import Sequence
from pathlib import Path

from finalstage.api.autofix import write_text
from finalstage.api.lint import SettingsArg, resolve_settings
from finalstage.api.verify import Verification, verify as verify_rewrite
from finalstage.dockerfile import parse_text
from finalstage.dockerfile.parse import decode, read_source
from finalstage.engine import evaluate
from finalstage.errors import DockerfileError, UsageError
from finalstage.facts import Facts
from finalstage.findings import Report
from finalstage.rewrite import Rewrite, plan


@dataclass(frozen=True)
class FixOutcome:
    """What ``fix`` did: the rewrite, its verification (if asked) and whether it was written."""

    rewrite: Rewrite
    verification: Verification | None
    written: bool

    @property
    def is_failed(self) -> bool:
        return self.verification is not None and self.verification.why_not is not None


def fix(dockerfile: str | Path, *, base: str | None = None, output: str | Path | None = None,
        settings: SettingsArg = None, verify: bool = False,
        probe_cmd: str | None = None, probe_http: Sequence[str] = (),
        build_opts: Sequence[str] = (), tag: str | None = None) -> Report:
    """Rewrite ``dockerfile``'s final stage on ``base`` (default: the SDK → runtime table).

    With ``output`` the new Dockerfile is written there (``output == dockerfile`` rewrites it
    in place); otherwise nothing is written. ``verify`` builds the images ``TAG:before`` and
    ``TAG:after`` (default ``localhost/finalstage-fix/<the context directory's name>``).
    """
    path = str(dockerfile)
    data = read_source(path)
    text = decode(data, path)
    rewrite = plan(parse_text(text, path=path), text, base, context=Path(path).parent)
    try:
        df = parse_text(rewrite.text, path=path)
    except DockerfileError as err:  # a bug of the rewrite, never written
        raise UsageError(f"fix: the rewritten {path} does not parse: {err}") from err
    chosen = resolve_settings(settings, Path(path).parent)
    report = evaluate(Facts(dockerfile=df, dockerfile_path=path), chosen, command="fix",
                      targets=(path,))
    notes = list(rewrite.notes) + [f"left to do: {t}" for t in rewrite.todos]
    checked = verify_rewrite(path, rewrite.text, probe_cmd=probe_cmd, probe_http=probe_http,
                             build_opts=build_opts, tag=tag) if verify else None
    if checked is not None:
        notes.append(checked.table())
        if checked.why_not is not None:
            notes.append(f"not written: {checked.why_not}")
    written = output is not None and (checked is None or checked.why_not is None)
    if written:
        write_text(str(output), rewrite.text, data)
        notes.append(f"wrote {output}")
    return dataclasses.replace(report, detail=FixOutcome(rewrite, checked, written),
                               notes=report.notes + tuple(notes))


__all__ = ["FixOutcome", "fix"]
