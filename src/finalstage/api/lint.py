"""``lint``: the final stage of Dockerfiles, judged by the one engine.

::

    >>> from finalstage import lint
    >>> report = lint("examples/go/Dockerfile.fat")
    >>> report.is_failed
    True

When several files are linted, a file that does not parse becomes finding FS001 instead of
stopping the run; with one file the parse error is raised (the CLI exits 2).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from finalstage.dockerfile import load, parse_text
from finalstage.engine import evaluate
from finalstage.errors import DockerfileError, UsageError
from finalstage.facts import Facts
from finalstage.findings import Finding, Report, RuleInfo, RuleOutcome, Severity
from finalstage.rules import get
from finalstage.settings import Settings, find_settings, load_settings

SettingsArg = Settings | str | Path | None


def resolve_settings(settings: SettingsArg, start: str | Path, *,
                     select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
                     fail_on: Severity | None = None, disable_ignore_pragma: bool = False,
                     severities: Mapping[str, Severity] | None = None) -> Settings:
    """``settings`` as given (a path is read), else the nearest config file from ``start``;
    then the command line's overrides: ``select`` replaces, ``ignore`` adds (ruff),
    ``severities`` (rule code, name or alias → severity: hadolint's ``--error RULE``) win over
    the file's."""
    if isinstance(settings, (str, Path)):
        settings = load_settings(settings)
    elif settings is None:
        settings = find_settings(start)
    changes: dict[str, object] = {}
    if select is not None:
        changes["select"] = tuple(select)
    if ignore:
        changes["ignore"] = settings.ignore + tuple(ignore)
    if severities:
        changes["severities"] = {**settings.severities,
                                 **{get(ref).code: level for ref, level in severities.items()}}
    if fail_on is not None:
        changes["fail_on"] = fail_on
    if disable_ignore_pragma:
        changes["disable_ignore_pragma"] = True
    return dataclasses.replace(settings, **changes) if changes else settings


def lint(
    dockerfiles: str | Path | Sequence[str | Path],
    *,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    settings: SettingsArg = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    disable_ignore_pragma: bool = False,
    fail_on: Severity | None = None,
    severities: Mapping[str, Severity] | None = None,
) -> Report:
    """Lint each Dockerfile (``-`` reads standard input) into one Report.

    ``settings`` is a ``Settings``, a config file, or None to use the nearest
    ``finalstage.toml``/``pyproject.toml`` above each Dockerfile; ``severities`` overrides the
    severity of rules (code, name or alias → Severity).
    """
    paths = [dockerfiles] if isinstance(dockerfiles, (str, Path)) else list(dockerfiles)
    if not paths:
        raise UsageError("lint: no Dockerfile given")
    found: dict[Path, Settings] = {}  # many Dockerfiles usually share a directory
    reports = []
    for raw in paths:
        path = str(raw)
        start = Path(path).parent if path != "-" else Path.cwd()
        if start not in found:
            found[start] = resolve_settings(
                settings, start, select=select, ignore=ignore, fail_on=fail_on,
                disable_ignore_pragma=disable_ignore_pragma, severities=severities)
        facts = _facts(path, build_args, target, keep_going=len(paths) > 1)
        reports.append(evaluate(facts, found[start], command="lint", targets=(path,)))
    return combine(reports, "lint")


def lint_text(text: str, *, path: str = "Dockerfile", build_args: Mapping[str, str] | None = None,
              target: str | None = None, settings: Settings | None = None,
              select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
              disable_ignore_pragma: bool = False) -> list[Finding]:
    """The findings on Dockerfile ``text`` (tests, editors); parse errors are raised."""
    chosen = resolve_settings(settings or Settings(), ".", select=select, ignore=ignore,
                              disable_ignore_pragma=disable_ignore_pragma)
    df = parse_text(text, path=path, build_args=build_args, target=target)
    return list(evaluate(Facts(dockerfile=df, target=target), chosen, command="lint").findings)


def _facts(path: str, build_args: Mapping[str, str] | None, target: str | None, *,
           keep_going: bool) -> Facts:
    if path != "-":
        if not os.path.lexists(path):
            raise UsageError(f"reading {path}: no such file")
        if os.path.isdir(path):
            raise UsageError(f"reading {path}: is a directory, not a Dockerfile")
    try:
        if path == "-":
            df = parse_text(sys.stdin.read(), path="-", build_args=build_args, target=target)
        else:
            df = load(path, build_args=build_args, target=target)
    except DockerfileError as err:
        if not keep_going:
            raise
        return Facts(dockerfile_path=path, dockerfile_error=err, target=target)
    return Facts(dockerfile=df, dockerfile_path=path, target=target)


def combine(reports: Sequence[Report], command: str) -> Report:
    """One report of many (one per linted file): findings and targets in order, every rule that
    ran once, each rule's outcome (skipped only where it ran on no file), the first
    threshold."""
    rules: dict[str, RuleInfo] = {}
    outcomes: dict[str, RuleOutcome] = {}
    for report in reports:
        rules.update((info.code, info) for info in report.rules)
        for outcome in report.outcomes:  # a rule that ran on one file ran
            known = outcomes.get(outcome.code)
            if known is None or _RANK[outcome.status] > _RANK[known.status]:
                outcomes[outcome.code] = dataclasses.replace(
                    outcome, findings=outcome.findings + (known.findings if known else 0))
            else:
                outcomes[outcome.code] = dataclasses.replace(
                    known, findings=known.findings + outcome.findings)
    return Report(
        command=command,
        findings=tuple(f for r in reports for f in r.findings),
        targets=tuple(t for r in reports for t in r.targets),
        rules=tuple(sorted(rules.values(), key=lambda info: info.code)),
        fail_on=reports[0].fail_on if reports else Severity.ERROR,
        outcomes=tuple(outcomes.values()),
        suppressed=tuple(f for r in reports for f in r.suppressed),
    )


_RANK = {"skip": 0, "pass": 1, "warn": 2, "fail": 3}


__all__ = ["combine", "lint", "lint_text", "resolve_settings"]
