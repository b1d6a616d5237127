"""Image rules on an opened image, the way ``check`` runs them but with no Dockerfile: what the
rule tests need (findings, analysis, tree) from one call through the real engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from finalstage.analysis.model import Analysis
from finalstage.engine import evaluate
from finalstage.errors import UsageError
from finalstage.facts import Facts
from finalstage.facts.imagefacts import ImageFacts
from finalstage.findings import Finding, Severity
from finalstage.fs.merge import MergedTree
from finalstage.image.image import Image
from finalstage.rules import get
from finalstage.settings import Settings


@dataclass(frozen=True)
class Examination:
    """What ``examine`` found: the content analysis, the findings and the merged tree."""

    analysis: Analysis
    findings: tuple[Finding, ...]
    tree: MergedTree

    @property
    def has_errors(self) -> bool:
        return any(f.severity >= Severity.ERROR for f in self.findings)


def settings_for(select: Iterable[str] | None = None, ignore: Iterable[str] | None = None,
                 options: Mapping[str, Mapping[str, Any]] | None = None) -> Settings:
    """Settings from rule names → options, each parsed as a config file's would be."""
    parsed: dict[str, dict[str, Any]] = {}
    for ref, values in (options or {}).items():
        rule = get(ref)
        parsed[rule.code] = {}
        for key, value in values.items():
            if key not in rule.options:
                raise UsageError(f"rules.{rule.name}: unknown option {key!r}")
            parsed[rule.code][key] = rule.options[key].parse(value, f"rules.{rule.name}.{key}")
    return Settings(select=None if select is None else tuple(select), ignore=tuple(ignore or ()),
                    options=parsed)


def examine(image: Image, *, elf: bool | None = None, select: Iterable[str] | None = None,
            ignore: Iterable[str] | None = None,
            options: Mapping[str, Mapping[str, Any]] | None = None) -> Examination:
    """Analyse ``image`` in one pass and run the (selected) rules on it."""
    settings = settings_for(select, ignore, options)
    facts = Facts(image=ImageFacts(image, elf=elf))
    report = evaluate(facts, settings, command="check")
    return Examination(facts.analysis, report.findings, facts.tree)
