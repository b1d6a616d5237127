"""The result of content analysis: frozen data for rules, policy and reporters.

Mappings inside these frozen dataclasses are plain dicts for easy JSON output; treat them as
read-only. Sizes are int bytes. Paths are normalised (no leading ``/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from finalstage.analysis.categories import Category
from finalstage.analysis.elf import ElfInfo
from finalstage.analysis.packages.model import Package

TOP_N = 20


@dataclass(frozen=True)
class CategoryStats:
    """Bytes and files of one category (in the whole image or in one layer)."""

    category: Category
    bytes: int
    files: int
    top: tuple[tuple[str, int], ...] = ()  # the largest paths, (path, bytes), at most TOP_N


@dataclass(frozen=True)
class Secret:
    """A file that holds a secret. Only its path and the kind of secret, never the value."""

    path: str
    kind: str
    layer: int


@dataclass(frozen=True)
class SpecialFile:
    """A setuid, setgid or world-writable entry."""

    path: str
    mode: int
    kind: str  # "setuid" | "setgid" | "world-writable"
    layer: int


@dataclass(frozen=True)
class ElfFile:
    """An ELF file of the image with the facts read from its bytes."""

    path: str
    size: int
    layer: int
    info: ElfInfo


@dataclass(frozen=True)
class Analysis:
    """Everything analysis found in one image (or one set of entries).

    ``categories`` and ``by_layer`` never count a byte twice: an unstripped binary's debug
    sections count as ``debug``, the rest of it in its own category (if any). ``category_of``
    maps every classified path to its category (unclassified paths are absent).
    """

    total_bytes: int
    total_files: int
    categories: dict[Category, CategoryStats]
    by_layer: dict[int, dict[Category, CategoryStats]]
    category_of: dict[str, Category] = field(repr=False)
    packages: tuple[Package, ...] = ()
    secrets: tuple[Secret, ...] = ()
    special_files: tuple[SpecialFile, ...] = ()
    elf_files: tuple[ElfFile, ...] = field(default=(), repr=False)
    shebangs: dict[str, str] = field(default_factory=dict, repr=False)  # script → "#!" command
    owned: frozenset[str] = field(default=frozenset(), repr=False)  # files a package owns
    warnings: tuple[str, ...] = ()

    @property
    def unstripped(self) -> tuple[ElfFile, ...]:
        """ELF files that still carry symbols or debug sections."""
        return tuple(f for f in self.elf_files if not f.info.is_stripped)

    @property
    def dev_packages(self) -> tuple[Package, ...]:
        """Packages marked as development dependencies."""
        return tuple(p for p in self.packages if p.is_dev)

    def bytes_of(self, category: Category) -> int:
        """Bytes of one category in the whole image (0 when absent)."""
        stats = self.categories.get(category)
        return stats.bytes if stats else 0
