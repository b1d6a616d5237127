"""``evaluate(facts, settings) -> Report``: the one engine behind lint, check and inspect.

In order (hadolint's ``Lint.hs``, extended to images):

1. select the rules (``select``/``ignore``, plus every rule a policy key requires);
2. run each on the facts, or skip it with the reason (missing facts, not configured);
3. point image findings at the Dockerfile line that made their layer (attribution);
4. apply configured severities;
5. merge findings about one subject at one place into one;
6. drop what suppression pragmas silence, reporting unused and malformed pragmas;
7. set aside what the baseline already knows;
8. one ``Report``: findings, suppressed findings, what every rule did, the rules table.
"""

from __future__ import annotations

import dataclasses
import gc
from collections import Counter
from collections.abc import Mapping, Sequence

from finalstage.facts import Facts
from finalstage.findings import Finding, Location, Report, RuleOutcome, Severity
from finalstage.engine.baseline import apply_baseline
from finalstage.engine.merge import locate, merge
from finalstage.engine.pragmas import apply_pragmas
from finalstage.engine.squash import attribution_notes, fold_squashed
from finalstage.rules import ALL_RULES, MetaRule, Rule
from finalstage.rules import select as select_rules
from finalstage.rules.meta.unparsable_dockerfile import UnparsableDockerfile
from finalstage.settings.model import Settings

_ALIAS_CODES: Mapping[str, tuple[str, ...]] = {
    rule.code: tuple(a for a in rule.aliases if a.startswith("FS")) for rule in ALL_RULES}


def chosen_rules(settings: Settings) -> tuple[type[Rule], ...]:
    """The rules a run evaluates, in registry order: the selection, plus what a policy requires,
    plus FS001 (a Dockerfile that does not parse never passes silently)."""
    picked = {r.code for r in select_rules(settings.select, settings.ignore)} | settings.required
    picked.add(UnparsableDockerfile.code)
    return tuple(r for r in ALL_RULES if r.code in picked)


def evaluate(facts: Facts, settings: Settings | None = None, *, command: str = "check",
             targets: Sequence[str] = (), baseline: Counter[str] | None = None) -> Report:
    """Run the chosen rules on ``facts`` and return the one ``Report`` every format renders."""
    settings = settings or Settings()
    rules = chosen_rules(settings)
    selected = {r.code for r in rules}
    findings, outcomes = _run(rules, facts, settings)
    if facts.dockerfile_error is not None:
        findings.append(_unparsable(facts))
    notes: tuple[str, ...] = ()
    if facts.has_image:
        own = {id(f) for f in findings if f.location is not None}
        attribution = facts.attribution
        findings = [locate(f, attribution, facts.dockerfile) for f in findings]
        notes = attribution_notes(attribution, facts.has_dockerfile)
    else:
        own = {id(f) for f in findings}
    ctx = facts.dockerfile
    # The rule's own Dockerfile location is the most precise: it leads a merge.
    findings.sort(key=lambda f: (id(f) not in own, _order(f)))
    findings = merge([_severity(f, settings) for f in findings], ctx)
    if notes:
        findings = fold_squashed(findings, facts.attribution, ctx)
    if ctx is not None and not settings.disable_ignore_pragma:
        # After the merge: silencing either side of one fact silences the fact.
        findings, meta = apply_pragmas(ctx, findings, selected)
        findings += meta
    suppressed: list[Finding] = []
    if baseline is not None:
        findings, suppressed = apply_baseline(findings, baseline, _ALIAS_CODES)
    facts.wait_verified()
    ran = [r for r in rules if _status(outcomes, r.code) != "skip" or issubclass(r, MetaRule)]
    return Report(
        command=command,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        targets=tuple(targets),
        rules=tuple(r.info() for r in ran),
        fail_on=settings.fail_on or Severity.ERROR,
        outcomes=_final_outcomes(outcomes, findings, settings.fail_on or Severity.ERROR),
        suppressed=tuple(sorted(suppressed, key=Finding.sort_key)),
        notes=notes,
    )


def _run(rules: Sequence[type[Rule]], facts: Facts,
         settings: Settings) -> tuple[list[Finding], list[RuleOutcome]]:
    findings: list[Finding] = []
    outcomes: list[RuleOutcome] = []
    # Image rules allocate many small records and no reference cycles: the cycle collector
    # would only walk the whole merged tree again and again.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for rule_cls in rules:
            if issubclass(rule_cls, MetaRule):
                continue
            rule = rule_cls(settings.options_for(rule_cls.code))
            reason = rule.skip_reason(facts)
            if reason is not None:
                outcomes.append(RuleOutcome(rule.code, rule.name, "skip", 0, reason))
                continue
            found = list(rule.run(facts))
            findings += found
            outcomes.append(RuleOutcome(rule.code, rule.name, "pass", len(found),
                                        rule.verdict(facts)))
    finally:
        if was_enabled:
            gc.enable()
    return findings, outcomes


def _severity(finding: Finding, settings: Settings) -> Finding:
    """The configured severity replaces the rule's own; a finding the rule raised at another
    severity on purpose (a skipped structure test is information) keeps it."""
    severity = settings.severities.get(finding.rule)
    if severity is None or finding.severity != _DEFAULT_SEVERITY.get(finding.rule):
        return finding
    return dataclasses.replace(finding, severity=severity)


_REGISTRY_ORDER = {rule.code: n for n, rule in enumerate(ALL_RULES)}
_DEFAULT_SEVERITY = {rule.code: rule.severity for rule in ALL_RULES}


def _order(finding: Finding) -> tuple[int, tuple[str, int, int, str]]:
    return (_REGISTRY_ORDER.get(finding.rule, len(_REGISTRY_ORDER)), finding.sort_key())


def _status(outcomes: Sequence[RuleOutcome], code: str) -> str | None:
    return next((o.status for o in outcomes if o.code == code), None)


def _final_outcomes(outcomes: Sequence[RuleOutcome], findings: Sequence[Finding],
                    fail_on: Severity) -> tuple[RuleOutcome, ...]:
    """Each rule's verdict after pragmas, merging and the baseline, as the exit code sees it: a
    rule fails when a finding it raised — alone or merged into another — reaches ``fail_on``,
    warns when its findings stay below it, passes when none survived."""
    counts: Counter[str] = Counter()
    worst: dict[str, Severity] = {}
    for finding in findings:
        for code in (finding.rule, *finding.also):
            counts[code] += 1
            worst[code] = max(worst.get(code, finding.severity), finding.severity)
    return tuple(
        o if o.status == "skip" else dataclasses.replace(
            o, findings=counts[o.code], status=_verdict(counts[o.code], worst.get(o.code), fail_on))
        for o in outcomes)


def _verdict(count: int, worst: Severity | None, fail_on: Severity) -> str:
    if not count or worst is None:
        return "pass"
    return "fail" if worst >= fail_on else "warn"


def _unparsable(facts: Facts) -> Finding:
    err = facts.dockerfile_error
    line = getattr(err, "line", None) or 1
    return Finding(
        rule=UnparsableDockerfile.code, name=UnparsableDockerfile.name,
        severity=UnparsableDockerfile.severity, message=f"cannot parse: {err}",
        location=Location(facts.dockerfile_path or "Dockerfile", line),
        fix_hint="fix the syntax error; `docker build` would fail on it too",
    )


__all__ = ["chosen_rules", "evaluate"]
