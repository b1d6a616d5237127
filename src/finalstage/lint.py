"""Lint Dockerfiles: parse, run the selected rules on the final chain, apply pragmas and config.

::

    from finalstage.lint import lint_paths
    report = lint_paths(["Dockerfile"], build_args={"GO_VERSION": "1.22"}, target="runtime")
    report.is_failed, report.findings

The order follows hadolint's ``Lint.hs``: rules run, then suppression pragmas filter findings
(and FS002/FS003 report unused and malformed pragmas), then configured severities are applied.
When several files are linted, a file that does not parse becomes finding FS001 instead of
stopping the run; with one file, the parse error is raised (the CLI exits 2).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from finalstage.config import LintConfig, find_config, load_config
from finalstage.dockerfile.model import Dockerfile, Pragma
from finalstage.errors import DockerfileError, DockerfileSyntaxError, UsageError
from finalstage.findings import Finding, Location, Report, RuleInfo, Severity
from finalstage.rules import (
    ALL_RULES,
    DockerfileContext,
    ImageRule,
    MetaRule,
    Rule,
    get,
)
from finalstage.rules import select as select_rules
from finalstage.rules.meta.invalid_suppression import InvalidSuppression
from finalstage.rules.meta.unparsable_dockerfile import UnparsableDockerfile
from finalstage.rules.meta.unused_suppression import UnusedSuppression

ConfigArg = LintConfig | str | Path | None


def lint_paths(
    paths: Sequence[str | Path],
    *,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    config: ConfigArg = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    disable_ignore_pragma: bool = False,
    fail_on: Severity | None = None,
) -> Report:
    """Lint each Dockerfile in ``paths`` (``-`` reads standard input) into one Report.

    ``config`` is a LintConfig, a config file path, or None to search ``finalstage.toml`` /
    ``pyproject.toml`` upwards from each Dockerfile. ``select`` replaces the configured
    selection; ``ignore`` adds to it (ruff semantics).
    """
    if not paths:
        raise UsageError("lint: no Dockerfile given")
    keep_going = len(paths) > 1
    fixed = load_config(config) if isinstance(config, (str, Path)) else config
    select = None if select is None else tuple(select)
    ignore = tuple(ignore or ())
    findings: list[Finding] = []
    ran: dict[str, type[Rule]] = {}
    threshold = fail_on
    found_configs: dict[Path, LintConfig] = {}  # many Dockerfiles usually share a directory
    for raw in paths:
        path = str(raw)
        cfg = fixed
        if cfg is None:
            directory = Path(path).parent if path != "-" else Path.cwd()
            if directory not in found_configs:
                found_configs[directory] = find_config(directory)
            cfg = found_configs[directory]
        rules = select_rules(cfg.select if select is None else select, cfg.ignore + ignore)
        ran.update((r.code, r) for r in rules)
        if threshold is None and cfg.failure_threshold is not None:
            threshold = cfg.failure_threshold
        found = _lint_one(path, rules, cfg, build_args, target, disable_ignore_pragma, keep_going)
        findings.extend(found)
    ran.setdefault(UnparsableDockerfile.code, UnparsableDockerfile)
    infos = tuple(r.info() for r in ALL_RULES if r.code in ran)
    return Report(
        command="lint",
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        targets=tuple(str(p) for p in paths),
        rules=infos,
        fail_on=threshold or Severity.ERROR,
    )


def lint_text(
    text: str,
    *,
    path: str = "Dockerfile",
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    config: LintConfig | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    disable_ignore_pragma: bool = False,
) -> list[Finding]:
    """Lint Dockerfile text (tests, editors); parse errors are raised."""
    from finalstage.dockerfile import parse_text

    cfg = config or LintConfig()
    rules = select_rules(cfg.select if select is None else select, cfg.ignore + tuple(ignore or ()))
    df = parse_text(text, path=path, build_args=build_args, target=target)
    return sorted(run_rules(df, rules, cfg, path=path, target=target,
                            disable_ignore_pragma=disable_ignore_pragma), key=Finding.sort_key)


def _lint_one(
    path: str,
    rules: tuple[type[Rule], ...],
    cfg: LintConfig,
    build_args: Mapping[str, str] | None,
    target: str | None,
    disable_ignore_pragma: bool,
    keep_going: bool,
) -> list[Finding]:
    from finalstage.dockerfile import load, parse_text

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
        line = err.line if isinstance(err, DockerfileSyntaxError) and err.line else 1
        return [Finding(
            rule=UnparsableDockerfile.code, name=UnparsableDockerfile.name,
            severity=cfg.severity_overrides.get(UnparsableDockerfile.code, Severity.ERROR),
            message=f"cannot parse: {err}", location=Location(path, line),
            fix_hint="fix the syntax error; `docker build` would fail on it too",
        )]
    return run_rules(df, rules, cfg, path=path, target=target,
                     disable_ignore_pragma=disable_ignore_pragma)


def run_rules(
    df: Dockerfile,
    rules: Sequence[type[Rule]],
    cfg: LintConfig,
    *,
    path: str,
    target: str | None = None,
    disable_ignore_pragma: bool = False,
) -> list[Finding]:
    """Run ``rules`` on a parsed Dockerfile, then apply pragmas and severity overrides."""
    ctx = DockerfileContext(df, path, target)
    findings: list[Finding] = []
    for rule_cls in rules:
        if issubclass(rule_cls, (MetaRule, ImageRule)):
            continue
        rule = rule_cls(cfg.rule_options.get(rule_cls.name))
        findings.extend(rule.check(ctx))
    if not disable_ignore_pragma:
        findings = _apply_pragmas(df, findings, rules, ctx)
    if cfg.severity_overrides:
        findings = [
            dataclasses.replace(f, severity=cfg.severity_overrides[f.rule])
            if f.rule in cfg.severity_overrides else f
            for f in findings
        ]
    return findings


def _apply_pragmas(
    df: Dockerfile, findings: list[Finding], rules: Sequence[type[Rule]], ctx: DockerfileContext
) -> list[Finding]:
    selected = {r.code for r in rules}
    stage_index = {st.label: st.index for st in df.stages}
    meta: list[Finding] = []
    resolved: list[tuple[Pragma, list[str]]] = []
    for pragma in df.pragmas:
        if pragma.scope not in ("line", "stage", "global"):
            meta.append(_meta(InvalidSuppression, ctx, pragma,
                              f"invalid suppression: {pragma.error or 'malformed pragma'}"))
            continue
        codes: list[str] = []
        for ref in pragma.codes:
            try:
                codes.append(get(ref).code)
            except UsageError:
                meta.append(_meta(InvalidSuppression, ctx, pragma,
                                  f"invalid suppression: unknown rule {ref}"))
        resolved.append((pragma, codes))

    used: set[tuple[int, str]] = set()
    kept: list[Finding] = []
    for finding in findings:
        hit = None
        for pragma, codes in resolved:
            if finding.rule in codes and _applies(pragma, finding, stage_index, ctx):
                hit = (pragma.line, finding.rule)
                break
        if hit is None:
            kept.append(finding)
        else:
            used.add(hit)
    for pragma, codes in resolved:
        for code in codes:
            if code in selected and (pragma.line, code) not in used:
                meta.append(_meta(UnusedSuppression, ctx, pragma,
                                  f"unused suppression of {code}"))
    return kept + [m for m in meta if m.rule in selected]


def _applies(
    pragma: Pragma, finding: Finding, stage_index: Mapping[str, int], ctx: DockerfileContext
) -> bool:
    if pragma.scope == "global":
        return True
    if pragma.scope == "stage":
        return finding.stage is not None and stage_index.get(finding.stage) == pragma.stage
    # A finding may point inside a multi-line instruction; the pragma names its first line.
    return (finding.location is not None
            and ctx.instruction_start(finding.location.line) == pragma.target_line)


def _meta(rule: type[Rule], ctx: DockerfileContext, pragma: Pragma, message: str) -> Finding:
    lines = ctx.dockerfile.lines
    text = lines[pragma.line - 1].strip() if 0 < pragma.line <= len(lines) else None
    return Finding(
        rule=rule.code, name=rule.name, severity=rule.severity, message=message,
        location=Location(ctx.path, pragma.line), source_line=text,
        fix_hint="remove the pragma" if rule is UnusedSuppression
        else "write `# finalstage: ignore=FS101[,FS102] [# reason]`",
    )


def rule_infos(rules: Iterable[type[Rule]]) -> tuple[RuleInfo, ...]:
    """RuleInfo of each rule, for reporters."""
    return tuple(r.info() for r in rules)


__all__ = ["lint_paths", "lint_text", "rule_infos", "run_rules"]
