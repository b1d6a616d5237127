"""``Facts``: the one value built once per run, that every rule reads and no rule builds.

A run has a Dockerfile, an image, or both. Each fact is computed on first use and at most once:

- ``dockerfile``: the parsed file and its stage graph (``DockerfileContext``), or the parse error
  that became finding FS001 when several files are linted;
- ``image``: the ``Image`` (config, history, layer handles; nothing read yet);
- ``tree`` and ``analysis``: the merged filesystem and its contents (categories, packages),
  from one streaming pass over the layers;
- ``view``: what image rules see (``ImageContext``: tree, analysis, config, ``created_by``);
- ``attribution``: layer → history entry → Dockerfile instruction;
- ``structure_tests``: container-structure-test results, when test files were given.

Rules ask for facts; they never open files or images themselves. A rule whose facts are missing
(no Dockerfile, no image) is skipped by the engine, with the reason in the report.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from finalstage.dockerfile.model import Dockerfile
from finalstage.errors import DockerfileError
from finalstage.facts.context import load_context
from finalstage.facts.dockerfile import DockerfileContext

if TYPE_CHECKING:  # the image side loads only when an image is given (imagefacts.py)
    from finalstage.analysis.model import Analysis
    from finalstage.attribution import Attribution
    from finalstage.cst import CstResult
    from finalstage.facts.image import ImageContext
    from finalstage.facts.imagefacts import ImageFacts
    from finalstage.facts.structure import StructureTests
    from finalstage.fs.merge import MergedTree
    from finalstage.image.image import Image


class Facts:
    """Everything a run knows, computed lazily, each member at most once: the Dockerfile side
    here, the image side in ``ImageFacts`` (given when the run has an image)."""

    def __init__(
        self,
        *,
        dockerfile: Dockerfile | None = None,
        dockerfile_path: str | None = None,
        dockerfile_error: DockerfileError | None = None,
        target: str | None = None,
        image: ImageFacts | None = None,
    ) -> None:
        self.parsed = dockerfile
        self.dockerfile_path = dockerfile_path or (dockerfile.path if dockerfile else None)
        self.dockerfile_error = dockerfile_error
        self.target = target
        self.image_facts = image

    # -- what is there ------------------------------------------------------------------------
    @property
    def has_dockerfile(self) -> bool:
        """True when a Dockerfile was given and parsed."""
        return self.parsed is not None

    @property
    def has_image(self) -> bool:
        """True when an image was given."""
        return self.image_facts is not None

    @cached_property
    def dockerfile(self) -> DockerfileContext | None:
        """The parsed Dockerfile and its stage graph, or None."""
        if self.parsed is None:
            return None
        path = self.dockerfile_path or self.parsed.path
        return DockerfileContext(self.parsed, path, self.target,
                                 build_context=load_context(self.dockerfile_path, self.parsed))

    # -- the image side (one streaming pass feeds all of it) ----------------------------------
    @property
    def image(self) -> Image | None:
        """The image, or None."""
        return self.image_facts.image if self.image_facts is not None else None

    @property
    def classify(self) -> bool:
        """Whether contents are analysed (inspect --no-classify turns it off)."""
        return self._images().classify

    @property
    def analysis(self) -> Analysis:
        """Contents of the merged tree: categories, packages, secrets, special files."""
        return self._images().analysis

    @property
    def scans(self) -> Any:
        """Per-layer listings of the single pass (sizes, entries)."""
        return self._images().scans

    @property
    def tree(self) -> MergedTree:
        """The merged filesystem."""
        return self._images().tree

    @property
    def view(self) -> ImageContext:
        """What image rules see: tree, analysis, config, ``created_by``."""
        return self._images().view

    @property
    def cst(self) -> StructureTests:
        """The structure tests given for this run (none without an image)."""
        return self._images().cst

    @property
    def structure_tests(self) -> tuple[CstResult, ...]:
        """Results of the container-structure-test files given for this run."""
        return self._images().structure_tests

    @property
    def attribution(self) -> Attribution:
        """Which Dockerfile instruction made each layer (base layers → the root ``FROM``)."""
        return self._images().attribution(self.parsed)

    def wait_verified(self) -> None:
        """Block until every layer read so far is verified; raise on the first mismatch.
        Nothing derived from the image may be shown before this returns."""
        if self.image_facts is not None:
            self.image_facts.wait_verified()

    def _images(self) -> ImageFacts:
        if self.image_facts is None:
            raise LookupError("no image in these facts")  # the engine skips image rules first
        return self.image_facts


__all__ = ["Facts"]
