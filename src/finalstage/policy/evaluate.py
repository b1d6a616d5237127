"""Evaluate a Policy on the facts of one image → findings plus one pass/fail result per clause.

The facts (``ImageFacts``) are plain frozen data gathered once by ``finalstage.check`` from the
image, its merged filesystem and the content analysis; this module does no I/O, so every clause
is testable on hand-built facts. A finding about content is tied to the layer that added the
bytes and, through the attribution, to the Dockerfile line that made that layer: one finding
per offending item (category, glob, package) *per layer*, so each names its own line.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from finalstage.attribution import Attribution
from finalstage.dockerfile.model import Dockerfile, Instruction
from finalstage.findings import Finding, Location, RuleInfo, Severity
from finalstage.redact import redact_text
from finalstage.policy.model import CLAUSE_BY_CODE, ClauseInfo, Policy
from finalstage.units import format_size

_TOP_PATHS = 5  # paths listed per finding; the JSON report of inspect has the full list


@dataclass(frozen=True)
class FileFact:
    """One entry of the merged filesystem (directories only matter to forbidden paths)."""

    path: str                 # absolute, "/usr/bin/gcc"
    size: int
    layer: int                # the layer the visible version comes from
    category: str | None = None
    kind: str = "file"        # "file", "hardlink", "symlink", "dir"


@dataclass(frozen=True)
class WasteFact:
    """Bytes present in a layer but hidden in the merged tree (overwritten or deleted later)."""

    path: str
    bytes: int
    layer: int                # the layer that holds the hidden bytes


@dataclass(frozen=True)
class PackageFact:
    """An installed package (dpkg/apk/rpm, npm, pip, go module…)."""

    name: str
    version: str | None = None
    ecosystem: str = ""       # "deb", "apk", "rpm", "npm", "pypi", "go"…
    layer: int | None = None
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageFacts:
    """What the policy needs to know about an image."""

    reference: str
    size: int                                   # uncompressed: the sum of the layer tars
    compressed_size: int | None = None          # the sum of the stored blobs, when known
    layer_sizes: tuple[int, ...] = ()           # uncompressed, oldest first
    files: tuple[FileFact, ...] = ()
    waste: tuple[WasteFact, ...] = ()
    packages: tuple[PackageFact, ...] = ()
    user: str | None = None
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    base_image: str | None = None               # from the Dockerfile or the base.name label

    @property
    def layer_count(self) -> int:
        """How many layers the image has."""
        return len(self.layer_sizes)


@dataclass(frozen=True)
class ClauseResult:
    """The verdict of one policy clause: "pass", "fail" or "skip" (with the reason)."""

    code: str
    name: str
    key: str
    status: str
    detail: str
    findings: int = 0


@dataclass(frozen=True)
class Evaluation:
    """Findings of the failed clauses, and every set clause's result (one JUnit testcase each)."""

    findings: tuple[Finding, ...]
    clauses: tuple[ClauseResult, ...]
    rules: tuple[RuleInfo, ...] = field(default=())

    @property
    def is_passed(self) -> bool:
        """True when no clause failed (skipped clauses do not fail)."""
        return all(c.status != "fail" for c in self.clauses)


def evaluate(
    policy: Policy,
    facts: ImageFacts,
    attribution: Attribution | None = None,
    dockerfile: Dockerfile | None = None,
) -> Evaluation:
    """Check every set clause of ``policy`` against ``facts``."""
    ctx = _Context(policy, facts, attribution, dockerfile)
    results: list[ClauseResult] = []
    findings: list[Finding] = []
    for check in _CHECKS:
        outcome = check(ctx)
        if outcome is None:
            continue
        result, found = outcome
        results.append(result)
        findings.extend(found)
    rules = tuple(
        RuleInfo(info.code, info.name, info.title,
                 policy.severity_for(info.code, info.name, Severity.ERROR),
                 f"Policy clause `{info.key}` (see docs/policy.md).")
        for info in (CLAUSE_BY_CODE[r.code] for r in results))
    return Evaluation(tuple(findings), tuple(results), rules)


# -- context ------------------------------------------------------------------------------

@dataclass
class _Context:
    policy: Policy
    facts: ImageFacts
    attribution: Attribution | None
    dockerfile: Dockerfile | None

    def finding(self, code: str, message: str, *, fix_hint: str | None = None,
                layer: int | None = None, nbytes: int | None = None,
                paths: Iterable[str] = (), instruction: Instruction | None = None) -> Finding:
        info = CLAUSE_BY_CODE[code]
        location: Location | None = None
        created_by: str | None = None
        if layer is not None and self.attribution is not None:
            attributed = self.attribution.for_layer(layer)
            if attributed is not None and attributed.created_by:
                # created_by is build-time shell text: credentials in it are redacted here,
                # before any reporter sees the finding
                created_by = redact_text(attributed.created_by)
                if instruction is None:
                    instruction = attributed.instruction
        if instruction is not None and self.dockerfile is not None:
            location = Location(self.dockerfile.path, instruction.line, 1,
                                instruction.end_line, None)
        return Finding(
            rule=info.code, name=info.name,
            severity=self.policy.severity_for(info.code, info.name, Severity.ERROR),
            message=message, fix_hint=fix_hint, location=location,
            stage=_stage_label(self.dockerfile, instruction),
            source_line=redact_text(instruction.original) if instruction is not None else None,
            bytes=nbytes, layer=layer, created_by=created_by, paths=tuple(paths))

    def last_in_chain(self, *keywords: str) -> Instruction | None:
        if self.dockerfile is None:
            return None
        found = None
        for ins in self.dockerfile.chain_instructions():
            if ins.keyword in keywords:
                found = ins
        return found

    def root_from(self) -> Instruction | None:
        if self.dockerfile is None:
            return None
        return self.dockerfile.stages[self.dockerfile.chain[-1]].from_instruction


def _stage_label(dockerfile: Dockerfile | None, ins: Instruction | None) -> str | None:
    if dockerfile is None or ins is None or ins.stage is None:
        return None
    return dockerfile.stages[ins.stage].label


def _result(code: str, status: str, detail: str, findings: int = 0) -> ClauseResult:
    info: ClauseInfo = CLAUSE_BY_CODE[code]
    return ClauseResult(info.code, info.name, info.key, status, detail, findings)


_Outcome = tuple[ClauseResult, list[Finding]] | None


# -- clauses ------------------------------------------------------------------------------

def _largest_layer(ctx: _Context) -> int | None:
    sizes = ctx.facts.layer_sizes
    if not sizes:
        return None
    # The heaviest layer, base layers included: when the base is what is heavy, the finding
    # points at the FROM line, which is where the fix is.
    return max(range(len(sizes)), key=lambda i: (sizes[i], -i))


def _check_max_size(ctx: _Context) -> _Outcome:
    limit = ctx.policy.max_size
    if limit is None:
        return None
    size = ctx.facts.size
    detail = f"{format_size(size)} uncompressed, budget {format_size(limit)}"
    if size <= limit:
        return _result("FS901", "pass", detail), []
    top = _largest_layer(ctx)
    extra = ""
    if top is not None:
        extra = f"; largest layer {top}: {format_size(ctx.facts.layer_sizes[top])}"
    finding = ctx.finding(
        "FS901", f"image is {format_size(size)} uncompressed, over the {format_size(limit)} "
        f"budget by {format_size(size - limit)}{extra}",
        fix_hint="build the final stage from a smaller base and copy only the built artifacts",
        layer=top, nbytes=size)
    return _result("FS901", "fail", detail, 1), [finding]


def _check_max_compressed(ctx: _Context) -> _Outcome:
    limit = ctx.policy.max_compressed_size
    if limit is None:
        return None
    size = ctx.facts.compressed_size
    if size is None:
        return _result("FS902", "skip", "the image source does not know its compressed size"), []
    detail = f"{format_size(size)} compressed, budget {format_size(limit)}"
    if size <= limit:
        return _result("FS902", "pass", detail), []
    finding = ctx.finding(
        "FS902", f"image is {format_size(size)} compressed, over the {format_size(limit)} "
        f"budget by {format_size(size - limit)}",
        fix_hint="build the final stage from a smaller base and copy only the built artifacts",
        layer=_largest_layer(ctx), nbytes=size)
    return _result("FS902", "fail", detail, 1), [finding]


def _check_max_layers(ctx: _Context) -> _Outcome:
    limit = ctx.policy.max_layers
    if limit is None:
        return None
    count = ctx.facts.layer_count
    detail = f"{count} layers, at most {limit}"
    if count <= limit:
        return _result("FS903", "pass", detail), []
    finding = ctx.finding(
        "FS903", f"image has {count} layers, more than the {limit} allowed",
        fix_hint="merge consecutive RUN instructions, or copy the result into a fresh stage")
    return _result("FS903", "fail", detail, 1), [finding]


def _check_max_waste(ctx: _Context) -> _Outcome:
    limit_spec = ctx.policy.max_waste
    if limit_spec is None:
        return None
    total = sum(w.bytes for w in ctx.facts.waste)
    limit = limit_spec.limit_for(ctx.facts.size)
    detail = (f"{format_size(total)} wasted, budget {format_size(limit)}"
              + (f" ({limit_spec.describe()})" if limit_spec.percent is not None else ""))
    if total <= limit:
        return _result("FS904", "pass", detail), []
    per_layer: dict[int, list[WasteFact]] = defaultdict(list)
    for item in ctx.facts.waste:
        per_layer[item.layer].append(item)
    worst = max(per_layer, key=lambda layer: sum(w.bytes for w in per_layer[layer]))
    top = sorted(per_layer[worst], key=lambda w: (-w.bytes, w.path))[:_TOP_PATHS]
    finding = ctx.finding(
        "FS904", f"{format_size(total)} of files are hidden by later layers, over the "
        f"{format_size(limit)} waste budget; layer {worst} holds "
        f"{format_size(sum(w.bytes for w in per_layer[worst]))} of them",
        fix_hint="delete temporary files in the same RUN that creates them, or use a "
                 "multi-stage build",
        layer=worst, nbytes=total, paths=(w.path for w in top))
    return _result("FS904", "fail", detail, 1), [finding]


def _by_layer(files: Iterable[FileFact]) -> dict[int, list[FileFact]]:
    out: dict[int, list[FileFact]] = defaultdict(list)
    for item in files:
        out[item.layer].append(item)
    return out


def _top(files: Sequence[FileFact]) -> list[str]:
    return [f.path for f in sorted(files, key=lambda f: (-f.size, f.path))[:_TOP_PATHS]]


def _check_categories(ctx: _Context) -> _Outcome:
    forbidden = ctx.policy.forbidden_categories
    if not forbidden:
        return None
    findings: list[Finding] = []
    for category in forbidden:
        # Symlinks and directories carry no bytes; their targets and contents are counted.
        hits = [f for f in ctx.facts.files
                if f.category == category and f.kind in ("file", "hardlink")]
        for layer, files in sorted(_by_layer(hits).items()):
            total = sum(f.size for f in files)
            findings.append(ctx.finding(
                "FS905", f"{len(files)} {category} file{'s' if len(files) != 1 else ''} "
                f"({format_size(total)}) in the final image, added by layer {layer}",
                fix_hint=f"keep {category} content in a builder stage and copy only what runs",
                layer=layer, nbytes=total, paths=_top(files)))
    detail = (f"none of: {', '.join(forbidden)}" if not findings
              else f"{len(findings)} layer(s) add forbidden content")
    return _result("FS905", "fail" if findings else "pass", detail, len(findings)), findings


@lru_cache(maxsize=256)
def _glob_regex(glob: str) -> re.Pattern[str]:
    """``**`` crosses ``/``, ``*`` and ``?`` do not; a glob naming a directory forbids what
    is under it too."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i + 1)
            if end == -1:
                out.append(re.escape(glob[i]))
                i += 1
            else:
                body = glob[i + 1:end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    pattern = "".join(out).rstrip("/")
    return re.compile(f"^{pattern}(?:/.*)?$")


def path_matches(glob: str, path: str) -> bool:
    """Whether ``path`` (absolute) is matched by a forbidden-paths ``glob``."""
    return _glob_regex(glob).match(path) is not None


def _check_paths(ctx: _Context) -> _Outcome:
    globs = ctx.policy.forbidden_paths
    if not globs:
        return None
    findings: list[Finding] = []
    for glob in globs:
        hits = [f for f in ctx.facts.files if path_matches(glob, f.path)]
        for layer, files in sorted(_by_layer(hits).items()):
            total = sum(f.size for f in files)
            findings.append(ctx.finding(
                "FS906", f"{len(files)} path{'s' if len(files) != 1 else ''} matching "
                f"forbidden {glob!r} ({format_size(total)}), added by layer {layer}",
                fix_hint="do not copy or create these paths in the final stage",
                layer=layer, nbytes=total, paths=_top(files)))
    detail = "no forbidden path" if not findings else f"{len(findings)} layer(s) add them"
    return _result("FS906", "fail" if findings else "pass", detail, len(findings)), findings


def package_matches(pattern: str, package: PackageFact) -> bool:
    """``"gcc*"`` matches by name in any ecosystem; ``"npm:typescript"`` only in npm."""
    ecosystem, sep, name = pattern.partition(":")
    if sep and ecosystem and "/" not in ecosystem:
        if ecosystem.lower() != package.ecosystem.lower():
            return False
        pattern = name
    return fnmatch.fnmatchcase(package.name, pattern)


def _check_packages(ctx: _Context) -> _Outcome:
    patterns = ctx.policy.forbidden_packages
    if not patterns:
        return None
    findings: list[Finding] = []
    for pattern in patterns:
        for pkg in sorted((p for p in ctx.facts.packages if package_matches(pattern, p)),
                          key=lambda p: (p.ecosystem, p.name, p.version or "")):
            label = f"{pkg.ecosystem + ':' if pkg.ecosystem else ''}{pkg.name}"
            version = f" {pkg.version}" if pkg.version else ""
            findings.append(ctx.finding(
                "FS907", f"forbidden package {label}{version} is installed "
                f"(matches {pattern!r})",
                fix_hint="install it in a builder stage only, or remove it in the same RUN",
                layer=pkg.layer, paths=pkg.paths[:_TOP_PATHS]))
    detail = "no forbidden package" if not findings else f"{len(findings)} forbidden package(s)"
    return _result("FS907", "fail" if findings else "pass", detail, len(findings)), findings


def is_root_user(user: str | None) -> bool:
    """An empty USER, ``root``, ``0`` and ``0:…``/``root:…`` all run as uid 0."""
    if user is None or not user.strip():
        return True
    name = user.strip().split(":", 1)[0]
    return name in ("root", "0")


def _check_non_root(ctx: _Context) -> _Outcome:
    if not ctx.policy.require_non_root:
        return None
    user = ctx.facts.user
    if not is_root_user(user):
        return _result("FS908", "pass", f"runs as {user!r}"), []
    shown = repr(user) if user else "root (no USER set)"
    finding = ctx.finding(
        "FS908", f"the image runs as {shown}",
        fix_hint="add `USER <non-root uid>` at the end of the final stage",
        instruction=ctx.last_in_chain("USER") or _final_from(ctx))
    return _result("FS908", "fail", f"runs as {shown}", 1), [finding]


def _final_from(ctx: _Context) -> Instruction | None:
    if ctx.dockerfile is None:
        return None
    return ctx.dockerfile.final_stage.from_instruction


_SHELLS = ("/bin/sh", "sh", "/bin/bash", "bash", "/bin/ash", "/usr/bin/sh", "/usr/bin/bash")


def is_shell_form(argv: tuple[str, ...] | None) -> bool:
    """``ENTRYPOINT cmd`` is stored as ``["/bin/sh", "-c", "cmd"]``: the shell is PID 1 and
    the application does not get SIGTERM."""
    return argv is not None and len(argv) >= 2 and argv[0] in _SHELLS and argv[1] == "-c"


def _check_exec_form(ctx: _Context) -> _Outcome:
    if not ctx.policy.require_exec_form:
        return None
    entrypoint, cmd = ctx.facts.entrypoint, ctx.facts.cmd
    bad: tuple[str, tuple[str, ...]] | None = None
    if entrypoint:
        if is_shell_form(entrypoint):
            bad = ("ENTRYPOINT", entrypoint)
    elif cmd and is_shell_form(cmd):
        bad = ("CMD", cmd)
    if bad is None:
        return _result("FS909", "pass", "entrypoint and command in exec form"), []
    keyword, argv = bad
    shown = redact_text(" ".join(argv))
    if len(shown) > 80:
        shown = shown[:79] + "…"
    finding = ctx.finding(
        "FS909", f"{keyword} runs through a shell ({shown!r}): the shell is PID 1 and the "
        "application does not receive signals",
        fix_hint=f'write {keyword} in exec form: {keyword} ["/path/to/app", "arg"]',
        instruction=ctx.last_in_chain(keyword))
    return _result("FS909", "fail", f"{keyword} in shell form", 1), [finding]


def _check_base(ctx: _Context) -> _Outcome:
    allowed = ctx.policy.allowed_base_images
    if not allowed:
        return None
    base = ctx.facts.base_image
    root = ctx.root_from()
    if ctx.dockerfile is not None:
        base = ctx.dockerfile.stages[ctx.dockerfile.chain[-1]].base
    if base is None:
        return _result("FS910", "skip", "base image unknown: pass --dockerfile, or label the "
                       "image org.opencontainers.image.base.name"), []
    if any(fnmatch.fnmatchcase(base, glob) or fnmatch.fnmatchcase(_short(base), glob)
           for glob in allowed):
        return _result("FS910", "pass", f"base {base!r} is allowed"), []
    finding = ctx.finding(
        "FS910", f"final base image {base!r} is not allowed (allowed: {', '.join(allowed)})",
        fix_hint="start the final stage from one of the allowed runtime bases",
        instruction=root)
    return _result("FS910", "fail", f"base {base!r} is not allowed", 1), [finding]


def _short(ref: str) -> str:
    # "docker.io/library/debian:12" is also matched as "debian:12".
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


_CHECKS = (
    _check_max_size, _check_max_compressed, _check_max_layers, _check_max_waste,
    _check_categories, _check_paths, _check_packages, _check_non_root, _check_exec_form,
    _check_base,
)

__all__ = ["ClauseResult", "Evaluation", "FileFact", "ImageFacts", "PackageFact", "WasteFact",
           "evaluate", "is_root_user", "is_shell_form", "package_matches", "path_matches"]
