"""``diff``: what changed between two images, for a pull request.

::

    >>> from finalstage import diff
    >>> report = diff("examples/images/busybox-fat.tar", "examples/images/busybox-minimal.tar")
    >>> result = report.detail
    >>> result.reuse.shared, result.reuse.skipped        # the busybox base: never read for B
    (1, 1)
    >>> sum(p.delta for p in result.paths) == result.size_delta
    True

Image A is read first; every layer of B with a ``diff_id`` A has is then served A's verified
listing instead of being read (``facts.shared``). Both images go through the same rules as
``inspect``, and the findings B has that A had not are the new ones.
"""

from __future__ import annotations

from typing import Any

from finalstage.analysis.from_image import analysis_tag, elf_enabled
from finalstage.api.source import open_image
from finalstage.engine import evaluate
from finalstage.facts import Facts
from finalstage.facts.diff import DiffResult, Growth, LayerReuse, compare, growth_check
from finalstage.facts.imagefacts import ImageFacts, Progress
from finalstage.facts.shared import SharedLayers
from finalstage.findings import Finding, Report, Severity
from finalstage.image.image import Image
from finalstage.limits import Limits
from finalstage.settings import Settings
from finalstage.units import format_size


def _opened(images: tuple[str | Image, str | Image], **options: Any) -> tuple[Image, Image]:
    """Both images, each opened with ``options`` (``open_image``'s) unless already an Image."""
    a, b = (i if isinstance(i, Image) else open_image(i, **options) for i in images)
    return a, b


def diff(
    a: str | Image,
    b: str | Image,
    *,
    fail_on_growth: str | None = None,
    elf: bool | None = None,
    platform: str | None = None,
    limits: Limits | None = None,
    tls_verify: bool | None = None,
    auth_file: str | None = None,
    cache: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Compare image ``a`` (before) with image ``b`` (after). ``fail_on_growth`` (``10%`` or
    ``50MB``) fails the report when B's uncompressed size grew by more; the failure is a
    ``size-over-budget`` finding. ``cache`` reuses verified layer indexes from the cache;
    ``tls_verify`` and ``auth_file`` are for registries, as in ``open_image``."""
    image_a, image_b = _opened((a, b), platform=platform, limits=limits, tls_verify=tls_verify,
                               auth_file=auth_file, cache=cache)
    facts_a = Facts(image=ImageFacts(image_a, elf=elf, progress=progress))
    report_a = evaluate(facts_a, Settings(), command="inspect", targets=(image_a.reference,))
    facts_a.tree  # noqa: B018 - A is merged and verified before B borrows its layers
    facts_a.wait_verified()
    shared = SharedLayers(facts_a.scans, image_b.core.layers(), analysis_tag(elf_enabled(elf)),
                          image_b.cache)
    image_b.cache = shared
    facts_b = Facts(image=ImageFacts(image_b, elf=elf, progress=progress))
    report_b = evaluate(facts_b, Settings(), command="inspect", targets=(image_b.reference,))
    facts_b.tree  # noqa: B018 - the same single pass
    facts_b.wait_verified()
    layers_b = len(image_b.core.layers())
    reuse = LayerReuse(len(image_a.core.layers()), layers_b, _shared_count(image_a, image_b),
                       shared.served, layers_b - shared.served)
    before = sum(s.uncompressed_size for s in facts_a.scans)
    after = sum(s.uncompressed_size for s in facts_b.scans)
    growth = growth_check(fail_on_growth, before, after) if fail_on_growth else None
    detail = compare(facts_a, facts_b, reuse=reuse, growth=growth,
                     findings=(report_a.findings, report_b.findings))
    return Report(command="diff", findings=_growth_findings(detail),
                  targets=(image_a.reference, image_b.reference), detail=detail)


def _shared_count(image_a: Image, image_b: Image) -> int:
    ids = {h.diff_id for h in image_a.core.layers() if h.diff_id}
    return sum(1 for h in image_b.core.layers() if h.diff_id in ids)


def _growth_findings(detail: DiffResult) -> tuple[Finding, ...]:
    growth: Growth | None = detail.growth
    if growth is None or not growth.is_exceeded:
        return ()
    before = detail.a.uncompressed_size
    pct = f" ({100 * growth.delta / before:+.1f}%)" if before else ""
    return (Finding(
        rule="FS901", name="size-over-budget", severity=Severity.ERROR,
        message=f"image grew by {format_size(growth.delta)}{pct} uncompressed, more than the "
                f"{growth.limit} allowed ({format_size(growth.allowed)})",
        fix_hint="see the largest added paths and packages below",
        bytes=growth.delta, subjects=("size:growth",)),)


__all__ = ["diff"]
