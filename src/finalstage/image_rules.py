"""Image findings as a library call: run the FS2xx–FS4xx rules on an analysed image.

    from finalstage.image import open_image
    from finalstage.image_rules import examine
    result = examine(open_image("docker-archive:app.tar"))
    result.findings, result.analysis.categories, result.tree

``examine`` costs one streaming pass over the layers: content analysis rides on the pass that
builds the merged tree (``analyze_image`` captures the few bytes it needs through the layer
reader's ``want`` hook), then every image rule reads the same tree and analysis.
``run_image_rules`` is the seam ``check`` uses when it has made the tree and analysis itself.

Findings carry no Dockerfile location: ``check`` attributes each finding's ``layer`` to the
instruction that made it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from finalstage.findings import Finding, Severity

if TYPE_CHECKING:
    from finalstage.analysis.model import Analysis
    from finalstage.fs.merge import MergedTree
    from finalstage.image.image import Image


@dataclass(frozen=True)
class Examination:
    """What ``examine`` found: the content analysis, the image findings and the merged tree."""

    analysis: Analysis
    findings: tuple[Finding, ...]
    tree: MergedTree

    @property
    def has_errors(self) -> bool:
        """True when any finding has error severity."""
        return any(f.severity >= Severity.ERROR for f in self.findings)


def run_image_rules(
    image: Image,
    *,
    tree: MergedTree,
    analysis: Analysis,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Iterator[Finding]:
    """Yield the findings of the selected image rules (default: all of them).

    ``select``/``ignore`` take codes, prefixes, names or groups as ``lint`` does; ``options``
    maps a rule name to its settings (``{"waste-over-threshold": {"max-bytes": 0}}``). Unknown
    selectors raise UsageError before anything runs.
    """
    from finalstage.rules import IMAGE_RULES
    from finalstage.rules import select as select_rules
    from finalstage.rules.image._context import ImageContext

    chosen = [r for r in select_rules(select, ignore) if r in IMAGE_RULES] \
        if select is not None or ignore else list(IMAGE_RULES)
    settings = options or {}
    # Options are user input: check them all before the (slower) rules run.
    rules = [_configured(rule_cls, settings.get(rule_cls.name)) for rule_cls in chosen]
    ctx = ImageContext.from_image(image, tree=tree, analysis=analysis)
    # The rules allocate per-file records but no reference cycles; pausing the cycle collector
    # (which would walk the whole merged tree each time) is restored before anything is yielded.
    findings: list[Finding] = []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for rule in rules:
            findings.extend(rule.check_image(ctx))
    finally:
        if was_enabled:
            gc.enable()
    yield from findings


def _configured(rule_cls: Any, settings: Mapping[str, Any] | None) -> Any:
    """An instance of ``rule_cls`` with ``settings``; UsageError for unknown or ill-typed
    options."""
    from finalstage.errors import UsageError
    from finalstage.rules.image._context import names_option, number_option

    unknown = sorted(set(settings or {}) - set(rule_cls.options))
    if unknown:
        raise UsageError(f"rules.{rule_cls.name}: unknown option {unknown[0]!r}")
    rule = rule_cls(settings)
    for key, option in rule_cls.options.items():
        if isinstance(option.default, (int, float)):
            number_option(rule, key)
        else:
            names_option(rule, key)
    return rule


def examine(
    image: Image,
    *,
    elf: bool | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Examination:
    """Analyse ``image`` in one pass and run the image rules on it.

    ``elf`` also reads ELF binaries' headers and section tables (unstripped binaries, Go build
    info): a few KiB per binary, reduced as read (None: ``analysis.from_image.ELF_DEFAULT``). Raises FinalstageError
    subclasses on an unreadable image; malformed content (package databases, manifests,
    binaries) becomes a warning in ``analysis.warnings``.
    """
    from finalstage.analysis.from_image import analyze_image
    from finalstage.fs.merge import merged_tree

    analysis = analyze_image(image, elf=elf)
    tree = merged_tree(image)  # cached by the pass analyze_image made
    findings = tuple(run_image_rules(image, tree=tree, analysis=analysis, select=select,
                                     ignore=ignore, options=options))
    return Examination(analysis, findings, tree)


__all__ = ["Examination", "examine", "run_image_rules"]
