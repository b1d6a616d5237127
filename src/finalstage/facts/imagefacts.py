"""The image side of a run's facts: everything read from the image, once.

One streaming pass over the layers feeds the analysis (its hooks capture the few bytes it
reads), the per-layer listings and the merged tree; the rest is derived from them on demand.
Kept apart from ``Facts`` so that a run with only a Dockerfile never loads the image readers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from finalstage.analysis.from_image import analyze_image
from finalstage.analysis.model import Analysis
from finalstage.attribution import Attribution, attribute
from finalstage.cst import CstResult
from finalstage.dockerfile.model import Dockerfile
from finalstage.facts.image import ImageContext
from finalstage.facts.structure import StructureTests, run_structure_tests
from finalstage.fs.merge import MergedTree, merged_tree
from finalstage.image.image import Image

Progress = Callable[[int, int, Any], None]


class ImageFacts:
    """What one image holds, computed lazily, each member at most once."""

    def __init__(self, image: Image, *, classify: bool = True, elf: bool | None = None,
                 progress: Progress | None = None,
                 structure_tests: StructureTests | None = None) -> None:
        self.image = image
        self.classify = classify
        self.elf = elf
        self.progress = progress
        self.cst = structure_tests or StructureTests()
        self._attribution: dict[int, Attribution] = {}

    @cached_property
    def analysis(self) -> Analysis:
        """Contents of the merged tree: categories, packages, secrets, special files."""
        return analyze_image(self.image, elf=self.elf, progress=self.progress, wait=False)

    @cached_property
    def scans(self) -> Sequence[Any]:
        """Per-layer listings of the single pass (sizes, entries). With classification on, the
        analysis rides on this pass (its hooks capture the few bytes it reads)."""
        if self.classify:
            self.analysis  # noqa: B018 - one pass: analysis captures while layers are listed
        return self.image.scan(progress=self.progress, wait=False)

    @cached_property
    def tree(self) -> MergedTree:
        """The merged filesystem: whiteouts and opaque directories applied."""
        self.scans  # noqa: B018 - the same pass
        return merged_tree(self.image, wait=False)

    @cached_property
    def view(self) -> ImageContext:
        """What image rules see."""
        return ImageContext.from_image(self.image, tree=self.tree, analysis=self.analysis)

    @cached_property
    def structure_tests(self) -> tuple[CstResult, ...]:
        """Results of the container-structure-test files given for this run."""
        return run_structure_tests(self.cst.configs, self.image, self.tree,
                                   image_ref=self.cst.image_ref,
                                   run_commands=self.cst.run_commands)

    def attribution(self, dockerfile: Dockerfile | None) -> Attribution:
        """Which instruction of ``dockerfile`` made each layer (base layers → the root FROM)."""
        key = id(dockerfile)
        if key not in self._attribution:
            raw = self.image.config.raw
            history = [h for h in (raw.get("history") or []) if isinstance(h, dict)] \
                if isinstance(raw, dict) else []
            self._attribution[key] = attribute(history, len(self.image.layers), dockerfile)
        return self._attribution[key]

    def wait_verified(self) -> None:
        """Block until every layer read so far is verified; raise on the first mismatch."""
        self.image.wait_verified()


__all__ = ["ImageFacts", "Progress"]
