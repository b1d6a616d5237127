"""What the policy rules share: a rule that runs only when its option is set, sizes from the
layer listings, and files of the merged tree grouped by the layer that added them.

A policy rule with no value set (no ``max-size``, no ``forbidden-paths``) is skipped as "not
configured": the empty policy always passes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar, NamedTuple

from finalstage.facts.image import Summary
from finalstage.findings import Finding
from finalstage.rules._base import ImageRule
from finalstage.facts import Facts


TOP = 5  # paths listed per finding; the JSON report of inspect has the full list
_LISTED_KINDS = {"f": "file", "h": "hardlink", "l": "symlink", "d": "dir"}


class File(NamedTuple):
    """One entry of the merged tree, as the policy rules see it."""

    path: str          # absolute
    size: int
    layer: int
    kind: str          # "file", "hardlink", "symlink", "dir"


class PolicyRule(ImageRule):
    """An image rule that a policy key configures; skipped until its ``setting`` is set."""

    is_abstract = True
    setting: ClassVar[str]          # the option that must be set for the rule to run

    def skip_reason(self, facts: Facts) -> str | None:
        value = self.settings.get(self.setting)
        if value is None or value == () or value == []:
            return f"not configured (set {self.setting})"
        return super().skip_reason(facts)

    def run(self, facts: Facts) -> Iterator[Finding]:
        return self.check_facts(facts)

    def check_facts(self, facts: Facts) -> Iterator[Finding]:
        """Yield findings; policy rules read the run's facts directly (sizes, tree, packages)."""
        raise NotImplementedError

    def located(self, facts: Facts, message: str, *, layer: int | None, nbytes: int | None,
                paths: Iterable[str] = (), fix_hint: str | None = None,
                subjects: tuple[str, ...] | None = None) -> Finding:
        """An image finding tied to ``layer`` (the engine adds its Dockerfile line)."""
        summary = Summary(nbytes or 0, 0, tuple(paths), layer, facts.view.layer_created_by(layer))
        finding = self.image_finding(message, summary, fix_hint=fix_hint, subjects=subjects)
        return finding if nbytes is not None else _without_bytes(finding)


def _without_bytes(finding: Finding) -> Finding:
    return replace(finding, bytes=None)


def layer_sizes(facts: Facts) -> tuple[int, ...]:
    """Uncompressed size of each layer tar, oldest first."""
    return tuple(s.uncompressed_size for s in facts.scans)


def largest_layer(sizes: Sequence[int]) -> int | None:
    """The heaviest layer, base layers included: when the base is what is heavy, the finding
    points at the FROM line, which is where the fix is."""
    if not sizes:
        return None
    return max(range(len(sizes)), key=lambda i: (sizes[i], -i))


def files(facts: Facts) -> Iterator[File]:
    """Every explicit entry of the merged tree (implicit parent directories left out)."""
    for path, entry in facts.tree.entries.items():
        kind = _LISTED_KINDS.get(entry.kind)
        if path and kind is not None and not entry.is_implicit:
            yield File("/" + path, entry.size if entry.kind == "f" else 0, entry.layer, kind)


def by_layer(items: Iterable[File]) -> dict[int, list[File]]:
    """``items`` grouped by the layer their visible version came from."""
    out: dict[int, list[File]] = defaultdict(list)
    for item in items:
        out[item.layer].append(item)
    return out


def top(items: Sequence[File]) -> list[str]:
    """The largest paths of ``items`` (ties by name), at most ``TOP``."""
    return [f.path for f in sorted(items, key=lambda f: (-f.size, f.path))[:TOP]]


__all__ = ["TOP", "File", "PolicyRule", "by_layer", "files", "largest_layer",
           "layer_sizes", "top"]

