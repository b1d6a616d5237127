"""What each file of the merged tree is *for*, in one word: the kind a picture colours it by and
a comparison groups it under.

A file's kind is its content category when analysis gave it one (``compiler``, ``cache``,
``docs``…); otherwise ``runtime`` when a package (dpkg, apk, rpm, pip, npm…) owns it, and
``app`` when nothing does: what the image's own build put there. Every file has exactly one
kind, so bytes summed by kind add up to the bytes of the tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from finalstage.analysis.categories import Category

if TYPE_CHECKING:  # a type only: the writers read the kinds without the analysis
    from finalstage.analysis.model import Analysis

RUNTIME = "runtime"
APP = "app"

#: Every kind, in legend order, with its label.
KINDS: dict[str, str] = {
    **{c.value: c.label for c in Category},
    RUNTIME: "runtime (package-owned files)",
    APP: "application and other files",
}


def kind_of(analysis: Analysis | None) -> Callable[[str], str]:
    """A function giving the kind of a path (no leading ``/``) of the analysed tree; without an
    analysis (classification off) every file is ``app``."""
    if analysis is None:
        return lambda path: APP
    category_of = analysis.category_of
    owned = analysis.owned

    def kind(path: str) -> str:
        category = category_of.get(path)
        if category is not None:
            return category.value
        return RUNTIME if path in owned else APP

    return kind


__all__ = ["APP", "KINDS", "RUNTIME", "kind_of"]
