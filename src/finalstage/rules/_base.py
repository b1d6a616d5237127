"""The rule-definition pattern: one class per rule, its docstring is its documentation.

Every check finalstage makes is a rule in one registry — Dockerfile rules, image rules and the
policy's budgets alike. A rule declares the facts it ``needs`` (a Dockerfile, an image, either),
its typed ``options`` and the ``subjects`` its findings are about; the engine hands it the run's
``Facts`` through ``run``. Helper bases for the common strengths (hadolint's three):

- ``InstructionRule``: a check per instruction, run only on stages that reach the final image;
- ``DockerfileRule``: sees the whole ``DockerfileContext`` (file, stage graph, final stage);
- ``ImageRule``: sees the ``ImageContext`` (merged tree, contents, config, ``created_by``).

A rule that can judge a fact from either side (the user a container runs as: the last ``USER``
of the final chain, or the image config) subclasses ``Rule`` and decides in ``run`` — one logic
for one fact, whatever was given.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.findings import Applicability, Finding, Fix, Location, RuleInfo, Severity
from finalstage.redact import redact_text
from finalstage.rules._options import Option
from finalstage.rules._validate import cleandoc, validate

if TYPE_CHECKING:
    from finalstage.facts import Facts
    from finalstage.facts.image import ImageContext, Summary



class Status(enum.StrEnum):
    """Lifecycle of a rule (ruff ``RuleStatus``)."""

    PREVIEW = "preview"
    STABLE = "stable"
    DEPRECATED = "deprecated"


class Needs(enum.StrEnum):
    """The facts a rule needs to run; without them the engine skips it and says why."""

    DOCKERFILE = "dockerfile"
    IMAGE = "image"
    EITHER = "dockerfile or image"


class Rule:
    """Base of every rule. Subclasses set the class attributes and implement ``run``."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    needs: ClassVar[Needs] = Needs.DOCKERFILE
    groups: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[Mapping[str, Option]] = {}
    # What this rule's findings are about; two findings at one place sharing one merge.
    subjects: ClassVar[tuple[str, ...]] = ()
    # Retired codes and names that now mean this rule (suppressions, baselines, selectors).
    aliases: ClassVar[tuple[str, ...]] = ()
    # The fix this rule offers (ruff ``fixable``): None, or its applicability at best — a
    # rule that is ``SAFE`` may still offer an unsafe fix where it cannot be sure.
    fixable: ClassVar[Applicability | None] = None
    status: ClassVar[Status] = Status.PREVIEW
    since: ClassVar[str] = "0.1.0"
    # Set on the helper bases only: they are not rules and skip validation.
    is_abstract: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("is_abstract", False):
            return
        cls.is_abstract = False
        validate(cls)

    def __init__(self, settings: Mapping[str, Any] | None = None) -> None:
        values = {key: opt.default for key, opt in self.options.items()}
        values.update(settings or {})
        self.settings: Mapping[str, Any] = values

    # -- metadata ------------------------------------------------------------------------------
    @classmethod
    def doc(cls) -> str:
        """The Markdown documentation: the class docstring, dedented."""
        return cleandoc(cls.__doc__ or "")

    @classmethod
    def title(cls) -> str:
        """First line of the docstring: the rules table and SARIF ``shortDescription``."""
        return cls.doc().splitlines()[0].strip()

    @classmethod
    def info(cls) -> RuleInfo:
        """What reporters need to know about this rule."""
        return RuleInfo(cls.code, cls.name, cls.title(), cls.severity, cls.doc())

    # -- behaviour -----------------------------------------------------------------------------
    def skip_reason(self, facts: Facts) -> str | None:
        """Why this rule cannot run on ``facts`` (None: it can)."""
        has_df, has_image = facts.has_dockerfile, facts.has_image
        if self.needs is Needs.DOCKERFILE and not has_df:
            return "needs a Dockerfile"
        if self.needs is Needs.IMAGE and not has_image:
            return "needs an image"
        if self.needs is Needs.EITHER and not (has_df or has_image):
            return "needs a Dockerfile or an image"
        return None

    def run(self, facts: Facts) -> Iterator[Finding]:
        """Yield this rule's findings on the run's facts."""
        return iter(())

    def verdict(self, facts: Facts) -> str | None:
        """A one-line account of what was checked (``2.7 MB, budget 150 MB``), for budgets."""
        return None

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
        subjects: tuple[str, ...] | None = None,
        severity: Severity | None = None,
        guard: str | None = None,
        fix: Fix | None = None,
    ) -> Finding:
        """A finding located on ``instr`` (its whole line range), with the rule's ``fix``.

        ``needle`` narrows the location to the physical line of ``instr`` that contains it (the
        package, the path), so annotations point at the offending line of a long RUN;
        ``source_line`` overrides the text shown (FS111 passes a redacted line). ``severity``
        replaces the rule's when the evidence is weaker or stronger than its default. ``guard``
        is the undecided shell condition the offending command runs under: the finding is then
        conditional, says so, and is at most a warning.
        """
        severity = severity or self.severity
        if guard is not None:
            message = f"{message} (conditional: only if {guard})"
            if severity is Severity.ERROR:
                severity = Severity.WARNING
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
            rule=self.code, name=self.name, severity=severity,
            message=redact_text(message), fix_hint=fix_hint, location=location,
            stage=stage.label if stage is not None else None,
            source_line=redact_text(source_line) if source_line is not None else None,
            subjects=self.subjects if subjects is None else subjects,
            fix=fix if self.fixable is not None else None,
        )

    def image_finding(
        self,
        message: str,
        summary: Summary | None = None,
        *,
        fix_hint: str | None = None,
        severity: Severity | None = None,
        subjects: tuple[str, ...] | None = None,
    ) -> Finding:
        """A finding about the image: no location (the engine adds the Dockerfile line that made
        the layer), plus the bytes, top paths, layer and ``created_by`` of ``summary``."""
        return Finding(
            rule=self.code, name=self.name, severity=severity or self.severity,
            message=redact_text(message), fix_hint=fix_hint,
            bytes=summary.bytes if summary is not None else None,
            layer=summary.layer if summary is not None else None,
            created_by=summary.created_by if summary is not None else None,
            paths=tuple(summary.paths) if summary is not None else (),
            subjects=self.subjects if subjects is None else subjects,
        )


class DockerfileRule(Rule):
    """A rule that sees the whole Dockerfile and its stage graph at once."""

    is_abstract = True
    needs = Needs.DOCKERFILE

    def run(self, facts: Facts) -> Iterator[Finding]:
        assert facts.dockerfile is not None  # skip_reason ran first
        return self.check(facts.dockerfile)

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        """Yield the findings of this rule on one Dockerfile."""
        return iter(())


class InstructionRule(DockerfileRule):
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
    """A rule about the built image (FS2xx content, FS3xx size, FS4xx runtime config, FS9xx
    budgets): it reads the ``ImageContext`` and never the Dockerfile."""

    is_abstract = True
    needs = Needs.IMAGE

    def run(self, facts: Facts) -> Iterator[Finding]:
        return self.check_image(facts.view)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        """Yield findings for one analysed image."""
        raise NotImplementedError


class MetaRule(Rule):
    """Rules about the linting itself (FS0xx): the engine emits them; ``run`` is unused."""

    is_abstract = True


__all__ = [
    "DockerfileContext",
    "DockerfileRule",
    "ImageRule",
    "InstructionRule",
    "MetaRule",
    "Needs",
    "Option",
    "Rule",
    "Status",
]
