"""``check(image)``: the CI gate as a library call — policy, structure tests, lint, attribution.

    from finalstage.check import check
    result = check("docker-archive:app.tar", dockerfile="Dockerfile", policy_file="policy.toml")
    result.report.is_failed, result.clauses, result.cst

One streaming pass over the layers builds the merged tree (``merged_tree``); the few files the
structure tests read are then read again from just the layers that own them. Every image
finding that carries a layer is pointed at the Dockerfile line that made the layer (attribution)
and, with ``--dockerfile``, the lint rules run too; a lint finding and an image finding on the
same line about the same thing become one finding with the lint location and the image bytes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finalstage.attribution import Attribution, attribute
from finalstage.findings import Finding, Location, Report, RuleInfo, Severity
from finalstage.redact import redact_text
from finalstage.policy.cst import (
    CstConfig,
    CstResult,
    ImageMetadata,
    TreeView,
    load_cst,
    needed_files,
    podman_image_ref,
    podman_runner,
    run_cst,
)
from finalstage.policy.evaluate import (
    ClauseResult,
    FileFact,
    ImageFacts,
    PackageFact,
    WasteFact,
    evaluate,
)
from finalstage.policy.load import find_policy, load_policy
from finalstage.policy.model import Policy

if TYPE_CHECKING:
    from finalstage.dockerfile.model import Dockerfile, Instruction
    from finalstage.image.image import Image
    from finalstage.limits import Limits

CST_CODE = "FS911"
_MAX_CAPTURE = 16 << 20   # bytes read per file for the content tests
BASE_NAME_LABEL = "org.opencontainers.image.base.name"


@dataclass(frozen=True)
class CheckResult:
    """Everything ``check`` found; ``report`` is what the reporters render."""

    report: Report
    clauses: tuple[ClauseResult, ...]
    cst: tuple[CstResult, ...]
    attribution: Attribution
    facts: ImageFacts
    policy: Policy
    baselined: int = 0                  # findings dropped because the baseline knows them

    @property
    def exit_code(self) -> int:
        """0 pass, 1 policy (or structure test) failed."""
        return 1 if self.report.is_failed else 0


def check(
    image_ref: str,
    *,
    dockerfile: str | Path | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    policy: Policy | None = None,
    policy_file: str | Path | None = None,
    cst_files: Sequence[str | Path] = (),
    baseline: str | Path | None = None,
    write_baseline: str | Path | None = None,
    fail_on: Severity | None = None,
    platform: str | None = None,
    run_commands: bool = True,
    image: Image | None = None,
    limits: Limits | None = None,
    source_options: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Run the gate on one image. Raises FinalstageError subclasses on bad input."""
    from finalstage.policy import baseline as baselines

    # Everything the user wrote is validated before the (slow) image read.
    if policy is None:
        policy = (load_policy(policy_file) if policy_file is not None
                  else find_policy(Path(dockerfile).parent if dockerfile else Path.cwd()))
    configs = [load_cst(path) for path in cst_files]
    known = baselines.read_baseline(baseline) if baseline is not None else None
    parsed = _load_dockerfile(dockerfile, build_args, target) if dockerfile else None

    if image is None:
        from finalstage.image.open import open_image

        image = open_image(image_ref, platform=platform, limits=limits, **(source_options or {}))
    # One streaming pass: the analysis captures what it needs through the layer reader's hook;
    # the tree and the layer scans are cached on the image by that pass.
    from finalstage.analysis.from_image import analyze_image
    from finalstage.fs.merge import merged_tree

    analysis = analyze_image(image)
    scans = image.scan()
    tree = merged_tree(image)
    config = image.config
    raw_history = [h for h in (config.raw.get("history") or []) if isinstance(h, dict)] \
        if isinstance(config.raw, dict) else []
    attribution = attribute(raw_history, len(scans), parsed)
    facts = _facts(image, tree, scans, parsed, analysis)

    evaluation = evaluate(policy, facts, attribution, parsed)
    findings: list[Finding] = list(evaluation.findings)
    rules: list[RuleInfo] = list(evaluation.rules)

    cst_results: list[CstResult] = []
    if configs:
        cst_results = _run_structure_tests(configs, image, tree, scans, image_ref, run_commands)
        cst_findings, cst_rules = _cst_findings(cst_results, policy)
        findings.extend(cst_findings)
        rules.extend(cst_rules)

    image_findings = [_locate(f, attribution, parsed)
                      for f in _image_findings(image, tree, analysis)]
    lint_findings: list[Finding] = []
    if parsed is not None:
        from finalstage.lint import lint_paths

        lint_report = lint_paths([str(dockerfile)], build_args=build_args, target=target)
        lint_findings = list(lint_report.findings)
        rules.extend(lint_report.rules)
    findings.extend(merge_duplicates(lint_findings, image_findings))
    findings = [_override(f, policy) for f in findings]

    if write_baseline is not None:
        baselines.write_baseline(write_baseline, findings)
    dropped = 0
    if known is not None:
        kept = baselines.apply_baseline(findings, known)
        dropped = len(findings) - len(kept)
        findings = kept

    threshold = fail_on or policy.fail_on or Severity.ERROR
    targets = (image.reference,) + ((str(dockerfile),) if dockerfile else ())
    data: dict[str, object] = {
        "image": image.reference,
        "policy": policy.source,
        "clauses": [dataclasses.asdict(c) for c in evaluation.clauses],
        "structure_tests": [
            {"name": r.name, "file": r.test.file, "status": r.status, "errors": list(r.errors)}
            for r in cst_results],
        "attribution": [
            {"layer": a.layer, "line": a.instruction.line if a.instruction else None,
             "is_base": a.is_base, "confidence": a.confidence.value}
            for a in attribution.layers],
        "size": facts.size,
        "compressed_size": facts.compressed_size,
        "baselined": dropped,
    }
    report = Report(command="check", findings=tuple(findings), targets=targets,
                    rules=_unique_rules(rules), data=data, fail_on=threshold)
    return CheckResult(report, evaluation.clauses, tuple(cst_results), attribution, facts,
                       policy, dropped)


# -- pieces -------------------------------------------------------------------------------

def _load_dockerfile(path: str | Path, build_args: Mapping[str, str] | None,
                     target: str | None) -> Dockerfile:
    from finalstage.dockerfile import load

    return load(path, build_args=build_args or {}, target=target)


_FS_KINDS = {"f": "file", "d": "dir", "l": "symlink", "h": "hardlink"}


def _facts(image: Image, tree: Any, scans: Sequence[Any], dockerfile: Dockerfile | None,
           analysis: Any) -> ImageFacts:
    category_of = analysis.category_of
    files: list[FileFact] = []
    for path, entry in tree.entries.items():
        if not path or entry.kind not in _FS_KINDS or entry.is_implicit:
            continue
        category = category_of.get(path)
        files.append(FileFact("/" + path, entry.size if entry.kind == "f" else 0, entry.layer,
                              category.value if category is not None else None,
                              _FS_KINDS[entry.kind]))
    waste: list[WasteFact] = []
    for item in tree.wasted.values():
        layers = list(item.layers) or [0]
        share, rest = divmod(item.bytes, len(layers))
        for n, layer in enumerate(layers):
            waste.append(WasteFact("/" + item.path, share + (rest if n == 0 else 0), layer))
    packages = tuple(
        PackageFact(name=p.name, version=p.version, ecosystem=str(p.ecosystem),
                    layer=min(p.layers) if p.layers else None,
                    paths=("/" + p.location.lstrip("/"),) if p.location else ())
        for p in analysis.packages)
    cfg = image.config
    labels = dict(cfg.labels)
    base = dockerfile.stages[dockerfile.chain[-1]].base if dockerfile is not None else None
    return ImageFacts(
        reference=image.reference,
        size=sum(s.uncompressed_size for s in scans),
        compressed_size=sum(s.compressed_size for s in scans),
        layer_sizes=tuple(s.uncompressed_size for s in scans),
        files=tuple(files),
        waste=tuple(waste),
        packages=packages,
        user=cfg.user,
        entrypoint=cfg.entrypoint,
        cmd=cfg.cmd,
        base_image=base or labels.get(BASE_NAME_LABEL),
    )


def _image_findings(image: Image, tree: Any, analysis: Any) -> list[Finding]:
    """The image rules' findings (FS2xx–FS4xx).

    The seam for the image-rule engine: ``finalstage.image_rules.run_image_rules(image, *,
    tree, analysis) -> Iterable[Finding]``, findings carrying ``layer`` and no location
    (``_locate`` adds the Dockerfile line). Absent in a checkout without image rules.
    """
    try:
        from finalstage import image_rules
    except ImportError:
        return []
    run = getattr(image_rules, "run_image_rules", None)
    if run is None:
        return []
    return list(run(image, tree=tree, analysis=analysis))


def _locate(finding: Finding, attribution: Attribution, dockerfile: Dockerfile | None) -> Finding:
    """Point an image finding at the Dockerfile line that made its layer; a finding about the
    config (no layer: user, entrypoint) at the instruction that set it."""
    if finding.location is not None:
        return finding
    changes: dict[str, Any] = {}
    ins = None
    if finding.layer is not None:
        attributed = attribution.for_layer(finding.layer)
        if attributed is None:
            return finding
        if finding.created_by is None and attributed.created_by:
            changes["created_by"] = redact_text(attributed.created_by)
        ins = attributed.instruction
    elif dockerfile is not None:
        ins = _config_instruction(finding, dockerfile)
    if ins is not None and dockerfile is not None:
        changes["location"] = Location(dockerfile.path, ins.line, 1, ins.end_line, None)
        changes["source_line"] = finding.source_line or redact_text(ins.original)
        if finding.stage is None and ins.stage is not None:
            changes["stage"] = dockerfile.stages[ins.stage].label
    return dataclasses.replace(finding, **changes) if changes else finding


def _config_instruction(finding: Finding, dockerfile: Dockerfile) -> Instruction | None:
    topics = _topics(finding)
    chain = dockerfile.chain_instructions()

    def last(*keywords: str) -> Instruction | None:
        found = [ins for ins in chain if ins.keyword in keywords]
        return found[-1] if found else None

    if "user" in topics:  # no USER at all: the final stage's FROM is where one is missing
        return last("USER") or dockerfile.final_stage.from_instruction
    if "entrypoint" in topics:
        return last("ENTRYPOINT") or last("CMD")
    return None


# Words of rule names and groups that name the same problem seen from the Dockerfile and from
# the image (FS104 build-tools-installed and an image rule about compilers are one problem).
_TOPICS: dict[str, frozenset[str]] = {
    "toolchain": frozenset({"compiler", "compilers", "build", "sdk", "toolchain", "headers"}),
    "cache": frozenset({"cache", "caches"}),
    "secret": frozenset({"secret", "secrets", "credential", "credentials"}),
    "dev": frozenset({"dev", "development", "test", "tests"}),
    "source": frozenset({"source", "context", "vcs"}),
    "user": frozenset({"root", "user"}),
    "entrypoint": frozenset({"entrypoint", "shell"}),
}


def _topics(finding: Finding) -> set[str]:
    words = set(finding.name.split("-"))
    try:
        from finalstage.rules import get

        words |= set(get(finding.rule).groups)
    except Exception:  # noqa: BLE001, S110 - a code no registry knows: its name is enough
        pass
    return {topic for topic, synonyms in _TOPICS.items() if words & synonyms}


def merge_duplicates(lint: Sequence[Finding], image: Sequence[Finding]) -> list[Finding]:
    """Lint and image findings, with each image finding that a lint finding already reports
    (same file and line, a shared topic) folded into it: the lint finding keeps its rule,
    message and location and gains the image's bytes, paths, layer and created_by."""
    out = list(lint)
    for found in image:
        loc = found.location
        twin = None
        if loc is not None:
            topics = _topics(found)
            for n, candidate in enumerate(out[:len(lint)]):
                cl = candidate.location
                if (cl is not None and cl.file == loc.file and cl.line == loc.line
                        and topics & _topics(candidate)):
                    twin = n
                    break
        if twin is None:
            out.append(found)
            continue
        base = out[twin]
        out[twin] = dataclasses.replace(
            base,
            severity=max(base.severity, found.severity),
            bytes=base.bytes if base.bytes is not None else found.bytes,
            layer=base.layer if base.layer is not None else found.layer,
            created_by=base.created_by or found.created_by,
            paths=base.paths or found.paths)
    return out


def _override(finding: Finding, policy: Policy) -> Finding:
    severity = policy.severity_for(finding.rule, finding.name, finding.severity)
    return finding if severity == finding.severity else dataclasses.replace(
        finding, severity=severity)


def _unique_rules(rules: Sequence[RuleInfo]) -> tuple[RuleInfo, ...]:
    seen: dict[str, RuleInfo] = {}
    for info in rules:
        seen.setdefault(info.code, info)
    return tuple(seen.values())


# -- structure tests ----------------------------------------------------------------------

def _run_structure_tests(configs: Sequence[CstConfig], image: Image, tree: Any,
                         scans: Sequence[Any], image_ref: str,
                         run_commands: bool) -> list[CstResult]:
    cfg = image.config
    env = dict(cfg.env)
    view = TreeView(tree)
    wanted = needed_files(configs, view, env)
    view.contents = _read_files(image, tree, wanted)
    metadata = ImageMetadata(env=cfg.env, labels=cfg.labels, entrypoint=cfg.entrypoint,
                             cmd=cfg.cmd, workdir=cfg.workdir, user=cfg.user,
                             exposed_ports=cfg.exposed_ports, volumes=cfg.volumes)
    has_commands = any(t.kind == "command" for c in configs for t in c.tests)
    runner = None
    reason = "command tests need podman (not found)"
    if has_commands:
        if not run_commands:
            reason = "command tests disabled"
        else:
            runner = podman_runner(podman_image_ref(image_ref))
    results: list[CstResult] = []
    for config in configs:
        results.extend(run_cst(config, view, metadata, runner=runner, skip_reason=reason))
    return results


def _read_files(image: Image, tree: Any, paths: set[str]) -> dict[str, bytes]:
    """Read ``paths`` (absolute) from the layers that own their visible version only."""
    from finalstage.image.layers import scan_layer

    by_layer: dict[int, set[str]] = {}
    for path in paths:
        entry = tree.get(path.lstrip("/"))
        if entry is not None and entry.kind == "f":
            by_layer.setdefault(entry.layer, set()).add(entry.path)
    out: dict[str, bytes] = {}
    handles = image.core.layers()
    for layer, names in sorted(by_layer.items()):
        def want(path: str, size: int, mode: int, names: set[str] = names) -> int:
            return min(size, _MAX_CAPTURE) if path.strip("/") in names else 0

        scan = scan_layer(handles[layer], layer, want=want, limits=image.limits,
                          verify=image.verify)
        for name, data in scan.captured.items():
            if name.strip("/") in names:
                out[name.strip("/")] = data
    return out


def _cst_findings(results: Sequence[CstResult], policy: Policy) -> tuple[list[Finding],
                                                                          list[RuleInfo]]:
    """One rule (JUnit testcase) per structure test, one finding per failed test."""
    findings, rules = [], []
    width = max(2, len(str(len(results))))
    for n, result in enumerate(results, 1):
        code = f"{CST_CODE}.{n:0{width}d}"
        severity = policy.severity_for(CST_CODE, "structure-test-failed", Severity.ERROR)
        title = f"{result.name} ({os.path.basename(result.test.file)})"
        rules.append(RuleInfo(code, _slug(result.name), title, severity,
                              f"container-structure-test: {result.name} in {result.test.file}"))
        if result.status == "fail":
            findings.append(Finding(
                rule=code, name=_slug(result.name), severity=severity,
                message=f"structure test failed: {result.name}: {'; '.join(result.errors)}",
                fix_hint=f"see {result.test.file}"))
        elif result.status == "skip":
            findings.append(Finding(
                rule=code, name=_slug(result.name), severity=Severity.INFO,
                message=f"structure test skipped: {result.name}: {'; '.join(result.errors)}"))
    return findings, rules


def _slug(name: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "-" for c in name)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-") or "structure-test"


__all__ = ["CheckResult", "check", "merge_duplicates"]
