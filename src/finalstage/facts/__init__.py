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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from finalstage.analysis.from_image import analyze_image
from finalstage.analysis.model import Analysis
from finalstage.attribution import Attribution, attribute
from finalstage.dockerfile.model import Dockerfile
from finalstage.errors import DockerfileError
from finalstage.facts.context import load_context
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.facts.image import ImageContext
from finalstage.facts.structure import run_structure_tests
from finalstage.fs.merge import MergedTree, merged_tree
from finalstage.image.image import Image
from finalstage.cst import CstConfig, CstResult

Progress = Callable[[int, int, Any], None]


@dataclass(frozen=True)
class StructureTests:
    """What the structure-test fact needs: the loaded test files and how to run commands."""

    configs: tuple[CstConfig, ...] = ()   # loaded before the image is read
    run_commands: bool = True
    image_ref: str | None = None    # the reference podman runs command tests against


class Facts:
    """Everything a run knows, computed lazily, each member at most once."""

    def __init__(
        self,
        *,
        dockerfile: Dockerfile | None = None,
        dockerfile_path: str | None = None,
        dockerfile_error: DockerfileError | None = None,
        target: str | None = None,
        image: Image | None = None,
        classify: bool = True,
        elf: bool | None = None,
        progress: Progress | None = None,
        structure_tests: StructureTests | None = None,
    ) -> None:
        self.parsed = dockerfile
        self.dockerfile_path = dockerfile_path or (dockerfile.path if dockerfile else None)
        self.dockerfile_error = dockerfile_error
        self.target = target
        self.image = image
        self.classify = classify
        self.elf = elf
        self.progress = progress
        self.cst = structure_tests or StructureTests()

    # -- what is there ------------------------------------------------------------------------
    @property
    def has_dockerfile(self) -> bool:
        """True when a Dockerfile was given and parsed."""
        return self.parsed is not None

    @property
    def has_image(self) -> bool:
        """True when an image was given."""
        return self.image is not None

    # -- Dockerfile facts ---------------------------------------------------------------------
    @cached_property
    def dockerfile(self) -> DockerfileContext | None:
        """The parsed Dockerfile and its stage graph, or None."""
        if self.parsed is None:
            return None
        path = self.dockerfile_path or self.parsed.path
        return DockerfileContext(self.parsed, path, self.target,
                                 build_context=load_context(self.dockerfile_path, self.parsed))

    # -- image facts (one streaming pass feeds all of them) -----------------------------------
    @cached_property
    def analysis(self) -> Analysis:
        """Contents of the merged tree: categories, packages, secrets, special files."""
        return analyze_image(self._image(), elf=self.elf, progress=self.progress, wait=False)

    @cached_property
    def scans(self) -> Sequence[Any]:
        """Per-layer listings of the single pass (sizes, entries). With classification on, the
        analysis rides on this pass (its hooks capture the few bytes it reads)."""
        if self.classify:
            self.analysis  # noqa: B018 - one pass: analysis captures while layers are listed
        return self._image().scan(progress=self.progress, wait=False)

    @cached_property
    def tree(self) -> MergedTree:
        """The merged filesystem: whiteouts and opaque directories applied."""
        self.scans  # noqa: B018 - the same pass
        return merged_tree(self._image(), wait=False)

    @cached_property
    def view(self) -> ImageContext:
        """What image rules see."""
        return ImageContext.from_image(self._image(), tree=self.tree, analysis=self.analysis)

    @cached_property
    def attribution(self) -> Attribution:
        """Which Dockerfile instruction made each layer (base layers → the root ``FROM``)."""
        image = self._image()
        raw = image.config.raw
        history = [h for h in (raw.get("history") or []) if isinstance(h, dict)] \
            if isinstance(raw, dict) else []
        return attribute(history, len(image.layers), self.parsed)

    @cached_property
    def structure_tests(self) -> tuple[CstResult, ...]:
        """Results of the container-structure-test files given for this run."""
        return run_structure_tests(self.cst.configs, self._image(), self.tree,
                                   image_ref=self.cst.image_ref,
                                   run_commands=self.cst.run_commands)

    def wait_verified(self) -> None:
        """Block until every layer read so far is verified; raise on the first mismatch.
        Nothing derived from the image may be shown before this returns."""
        if self.image is not None:
            self.image.wait_verified()

    def _image(self) -> Image:
        if self.image is None:
            raise LookupError("no image in these facts")  # the engine skips image rules first
        return self.image


__all__ = ["Facts", "StructureTests"]
