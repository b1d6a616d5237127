"""``inspect`` and ``ls``: what is in an image and why, without running it.

::

    >>> from finalstage import inspect
    >>> report = inspect("examples/images/busybox-minimal.tar")
    >>> report.detail.layers[0].created_by is not None, report.is_failed
    (True, False)
"""

from __future__ import annotations

import dataclasses

from finalstage.api.source import open_image, source_notes
from finalstage.engine import evaluate
from finalstage.facts import Facts
from finalstage.facts.imagefacts import ImageFacts, Progress
from finalstage.facts.listing import list_path
from finalstage.facts.summary import summarize_image
from finalstage.findings import Report
from finalstage.image.image import Image
from finalstage.limits import Limits
from finalstage.settings import Settings


def _opened(image: str | Image, platform: str | None, limits: Limits | None) -> Image:
    return image if isinstance(image, Image) else open_image(image, platform=platform,
                                                             limits=limits)


def inspect(
    image: str | Image,
    *,
    depth: int = 2,
    top: int = 10,
    classify: bool = True,
    elf: bool | None = None,
    platform: str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> Report:
    """Read ``image`` once and summarise it: sizes, layers, the merged tree, largest files,
    waste, config and — with ``classify`` — contents and the image rules' findings. ``elf``
    also reads ELF facts (unstripped binaries, Go build info)."""
    typed, image = image, _opened(image, platform, limits)
    facts = Facts(image=ImageFacts(image, classify=classify, elf=elf, progress=progress))
    report = Report(command="inspect", findings=(), targets=(image.reference,))
    if classify:
        report = evaluate(facts, Settings(), command="inspect", targets=(image.reference,))
    return dataclasses.replace(report, detail=summarize_image(facts, depth=depth, top=top),
                               notes=source_notes(typed, image) + report.notes)


def ls(
    image: str | Image,
    path: str = "/",
    *,
    recursive: bool = False,
    platform: str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> Report:
    """List ``path`` of the merged filesystem (like ``ls -l``), with the layer of each entry."""
    image = _opened(image, platform, limits)
    facts = Facts(image=ImageFacts(image, classify=False, progress=progress))
    listing = list_path(facts.tree, path, recursive=recursive)
    facts.wait_verified()
    return Report(command="ls", findings=(), targets=(image.reference,), detail=listing)


__all__ = ["inspect", "ls"]
