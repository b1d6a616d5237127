"""The rule-definition pattern: one class per rule, its docstring is its documentation.

Three strengths, as in hadolint (STYLE.md 6.4):

- ``InstructionRule``: a check per instruction, run only on stages that reach the final image
  (the final stage and the stages it is ``FROM``);
- ``DockerfileRule``: sees the whole ``DockerfileContext`` (file, stage graph, final stage);
- ``ImageRule``: the extension point for the FS2xx-FS4xx image rules. It receives an image
  context built by the image analysis; the lint engine never runs it.

``__init_subclass__`` validates every concrete rule when its class is defined, so a malformed
rule fails at import time (and in tests), never at a user's terminal.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

_T = TypeVar("_T")

from finalstage.dockerfile.model import Dockerfile, Instruction, Stage
from finalstage.findings import Finding, Location, RuleInfo, Severity
from finalstage.redact import redact_text


class Status(enum.StrEnum):
    """Lifecycle of a rule (ruff ``RuleStatus``)."""

    PREVIEW = "preview"
    STABLE = "stable"
    DEPRECATED = "deprecated"


@dataclass(frozen=True)
class Option:
    """One configuration key of a rule: ``[rules.<rule-name>] <key> = …`` in finalstage.toml."""

    default: Any
    definition: str

    @property
    def kind(self) -> type:
        """The Python type a configured value must have (lists of strings stay lists)."""
        return type(self.default)


_CODE = re.compile(r"^FS\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# ruff's disallowed_rule_names.txt: a name says what is flagged, not what to do instead.
_BAD_NAME_PREFIXES = ("avoid-", "use-", "prefer-", "do-not-", "consider-", "rewrite-", "uses-")
_REQUIRED_SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:")
_OPTIONAL_SECTIONS = ("## Known problems", "## Options", "## References")
_SECTION_LINE = re.compile(r"^(## .+|Use instead:)$", re.MULTILINE)


class Rule:
    """Base of every rule. Subclasses set the class attributes and implement ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    groups: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[Mapping[str, Option]] = {}
    status: ClassVar[Status] = Status.PREVIEW
    since: ClassVar[str] = "0.1.0"
    # Set on the helper bases only: they are not rules and skip validation.
    is_abstract: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("is_abstract", False):
            return
        cls.is_abstract = False
        _validate(cls)

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        values = {key: opt.default for key, opt in self.options.items()}
        values.update(settings or {})
        self.settings: Mapping[str, Any] = values

    # -- metadata ------------------------------------------------------------------------------
    @classmethod
    def doc(cls) -> str:
        """The Markdown documentation: the class docstring, dedented."""
        return _cleandoc(cls.__doc__ or "")

    @classmethod
    def title(cls) -> str:
        """First line of the docstring: the rules table and SARIF ``shortDescription``."""
        return cls.doc().splitlines()[0].strip()

    @classmethod
    def info(cls) -> RuleInfo:
        """What reporters need to know about this rule."""
        return RuleInfo(cls.code, cls.name, cls.title(), cls.severity, cls.doc())

    # -- behaviour -----------------------------------------------------------------------------
    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        """Yield the findings of this rule on one Dockerfile."""
        return iter(())

    def finding(
        self,
        ctx: DockerfileContext,
        instr: Instruction | None,
        message: str,
        *,
        fix_hint: str | None = None,
        stage: Stage | None = None,
        source_line: str | None = None,
        needle: str | None = None,
    ) -> Finding:
        """Build a finding located on ``instr`` (its whole line range).

        ``needle`` narrows the location to the physical line of ``instr`` that contains it (the
        package, the path), so annotations point at the offending line of a long RUN;
        ``source_line`` overrides the text shown (FS111 passes a redacted line).
        """
        location = None
        if instr is not None:
            line = ctx.needle_line(instr, needle) if needle else None
            if line is None:
                location = Location(ctx.path, instr.line, 1, instr.end_line)
                line = instr.line
            else:
                location = Location(ctx.path, line, 1, line)
            if source_line is None:
                source_line = ctx.text_of(line, instr)
        if stage is None and instr is not None and instr.stage is not None:
            stage = ctx.dockerfile.stages[instr.stage]
        return Finding(
            rule=self.code,
            name=self.name,
            severity=self.severity,
            message=redact_text(message),
            fix_hint=fix_hint,
            location=location,
            stage=stage.label if stage is not None else None,
            source_line=redact_text(source_line) if source_line is not None else None,
        )


class DockerfileRule(Rule):
    """A rule that sees the whole Dockerfile and its stage graph at once."""

    is_abstract = True


class InstructionRule(Rule):
    """A per-instruction check, run on every instruction of the final chain (oldest first).

    ``ONBUILD`` instructions of an ancestor stage are checked as the instruction they wrap,
    since they run when the next chain stage is built ``FROM`` it.

    ``keywords`` limits the instructions the rule is handed (empty: all of them).
    """

    is_abstract = True
    keywords: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        chain = ctx.chain_stages()
        for position, stage in enumerate(chain):
            # ONBUILD triggers of a stage run in the chain stage built FROM it (not further).
            has_child = position < len(chain) - 1
            for instr in stage.instructions:
                if instr.keyword == "ONBUILD":
                    if not has_child or instr.onbuild is None:
                        continue
                    instr = instr.onbuild
                if not self.keywords or instr.keyword in self.keywords:
                    yield from self.check_instruction(instr, stage, ctx)

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        """Yield findings for one instruction of a stage that reaches the final image."""
        raise NotImplementedError


class ImageRule(Rule):
    """Extension point for image rules (FS2xx content, FS3xx size, FS4xx runtime config).

    Image rules implement ``check_image(ctx)`` against the image analysis context; the
    Dockerfile lint engine skips them (``check`` yields nothing).
    """

    is_abstract = True

    def check_image(self, ctx: Any) -> Iterator[Finding]:
        """Yield findings for one analysed image (``rules.image._context.ImageContext``)."""
        raise NotImplementedError

    def image_finding(
        self,
        message: str,
        summary: Any = None,
        *,
        fix_hint: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding about the image: no location (``check`` adds the Dockerfile line from the
        layer), plus the bytes, top paths, layer and ``created_by`` of ``summary`` (a
        ``rules.image._context.Summary``) when the finding is about files."""
        return Finding(
            rule=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=redact_text(message),
            fix_hint=fix_hint,
            bytes=summary.bytes if summary is not None else None,
            layer=summary.layer if summary is not None else None,
            created_by=summary.created_by if summary is not None else None,
            paths=tuple(summary.paths) if summary is not None else (),
        )


class MetaRule(Rule):
    """Rules about the linting itself (FS0xx): the engine emits them, ``check`` is unused."""

    is_abstract = True


@dataclass(frozen=True)
class DockerfileContext:
    """What a Dockerfile rule sees: the parsed file and its stage graph."""

    dockerfile: Dockerfile
    path: str
    target: str | None = None            # the --target given, if any
    # Facts computed once per file and shared by rules (keeps huge files linear, not quadratic).
    _memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: Any, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per context and ``key``."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def order(self, instr: Instruction) -> int:
        """Position of ``instr`` in the chain's build order (-1 when not in the chain)."""
        positions = self.memo("order", lambda: {
            id(i): n for n, i in enumerate(i for st in self.chain_stages() for i in st.instructions)
        })
        return positions.get(id(instr), -1)

    def chain_stages(self) -> tuple[Stage, ...]:
        """The final stage and every stage it is ``FROM``, oldest ancestor first."""
        return tuple(self.dockerfile.stages[i] for i in reversed(self.dockerfile.chain))

    @property
    def final_stage(self) -> Stage:
        return self.dockerfile.final_stage

    def stage(self, index: int) -> Stage:
        return self.dockerfile.stages[index]

    def needle_line(self, instr: Instruction, needle: str) -> int | None:
        """The first line of ``instr`` that contains ``needle``, if any."""
        lines = self.dockerfile.lines
        span = range(instr.line, min(instr.end_line, len(lines)) + 1)
        # Prefer a whole-word hit: "git" should not point at a line mentioning "github".
        word = re.compile(rf"(?<![\w.-]){re.escape(needle)}(?![\w-])")
        for number in span:
            if word.search(lines[number - 1]):
                return number
        for number in span:
            if needle in lines[number - 1]:
                return number
        return None

    def text_of(self, line: int, instr: Instruction) -> str:
        """Line ``line`` of the file, stripped (the instruction's text if out of range)."""
        lines = self.dockerfile.lines
        if 0 < line <= len(lines):
            return lines[line - 1].strip()
        return instr.original.splitlines()[0].strip() if instr.original else ""

    def instruction_start(self, line: int) -> int:
        """First line of the instruction that spans ``line`` (``line`` itself if none)."""
        spans = self.memo("spans", self._spans)
        at = bisect.bisect_right(spans, (line, float("inf"))) - 1
        if at >= 0 and spans[at][0] <= line <= spans[at][1]:
            return spans[at][0]
        return line

    def _spans(self) -> list[tuple[int, int]]:
        df = self.dockerfile
        out = [(i.line, i.end_line) for i in df.global_args]
        out += [(i.line, i.end_line) for st in df.stages for i in st.instructions]
        return sorted(out)


def _cleandoc(doc: str) -> str:
    """``inspect.cleandoc`` without importing ``inspect`` (start-up time matters)."""
    lines = doc.expandtabs().splitlines()
    if not lines:
        return ""
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents) if indents else 0
    body = [lines[0].strip()] + [line[margin:].rstrip() for line in lines[1:]]
    while body and not body[-1]:
        body.pop()
    while body and not body[0]:
        body.pop(0)
    return "\n".join(body)


def _validate(cls: type[Rule]) -> None:
    where = f"rule class {cls.__name__}"
    code = getattr(cls, "code", None)
    if not isinstance(code, str) or not _CODE.match(code):
        raise TypeError(f"{where}: code {code!r} does not match FS + three digits")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise TypeError(f"{where}: name {name!r} is not kebab-case")
    if name.startswith(_BAD_NAME_PREFIXES) or name.endswith("-used"):
        raise TypeError(f"{where}: name {name!r} must name the pattern, not the fix")
    if not isinstance(getattr(cls, "severity", None), Severity):
        raise TypeError(f"{where}: severity must be a findings.Severity")
    if not isinstance(cls.status, Status):
        raise TypeError(f"{where}: status must be a rules.Status")
    for key, opt in cls.options.items():
        if not _NAME.match(key) or not isinstance(opt, Option):
            raise TypeError(f"{where}: option {key!r} must be kebab-case and an Option")
    _validate_doc(cls, where)


def _validate_doc(cls: type[Rule], where: str) -> None:
    doc = cls.doc()
    if not doc or doc.startswith("#"):
        raise TypeError(f"{where}: docstring must start with a one-line title")
    title = doc.splitlines()[0]
    if title.endswith(".") or len(title) > 80:
        raise TypeError(f"{where}: title must be one short line without a trailing period")
    found = [m.group(1) for m in _SECTION_LINE.finditer(doc)]
    known = _REQUIRED_SECTIONS + _OPTIONAL_SECTIONS
    unknown = [s for s in found if s not in known]
    if unknown:
        raise TypeError(f"{where}: unknown doc section {unknown[0]!r}")
    missing = [s for s in _REQUIRED_SECTIONS if s not in found]
    if missing:
        raise TypeError(f"{where}: doc section {missing[0]!r} is missing")
    order = [known.index(s) for s in found]
    if order != sorted(order) or len(set(found)) != len(found):
        raise TypeError(f"{where}: doc sections must appear once each, in the order {known}")
    if "```dockerfile" not in doc.split("Use instead:")[0]:
        raise TypeError(f"{where}: ## Example needs a ```dockerfile block before 'Use instead:'")
    if "## Options" in found:
        block = doc.split("## Options", 1)[1].split("\n## ", 1)[0]
        named = set(re.findall(r"^- `([a-z0-9-]+)`", block, re.MULTILINE))
        if named != set(cls.options):
            raise TypeError(f"{where}: ## Options lists {sorted(named)}, rule has "
                            f"{sorted(cls.options)}")
    elif cls.options:
        raise TypeError(f"{where}: rule has options but no ## Options section")


__all__ = [
    "DockerfileContext",
    "DockerfileRule",
    "ImageRule",
    "InstructionRule",
    "MetaRule",
    "Option",
    "Rule",
    "Status",
]
