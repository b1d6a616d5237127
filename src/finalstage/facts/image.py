"""What an image rule sees (``ImageContext``): the merged tree, the content analysis, the parsed
config and each layer's ``created_by``, plus ``summarize`` for the files a finding is about.

Rules never parse anything: the context carries what the single pass over the layers found. ``summarize`` turns a set of files into what a finding carries: total bytes, the
top paths rolled up to the highest directory that holds nothing else (``/usr/lib/go-1.19``
rather than 12 000 files under it), the layer that added most of those bytes and that layer's
``created_by`` (redacted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from finalstage.redact import redact_text

if TYPE_CHECKING:  # types only: rules that name an ImageContext must not load the readers
    from finalstage.analysis.model import Analysis
    from finalstage.fs.merge import MergedTree
    from finalstage.image.config import ImageConfig
    from finalstage.image.image import Image

_T = TypeVar("_T")

TOP_PATHS = 5
_REG = "f"
_DIR = "d"
_OS_ECOSYSTEMS = frozenset({"deb", "apk", "rpm"})
# Third-party library trees: their own sources and tests are the library author's business,
# not the application's (and flagging every package's test folder would drown the signal).
_LIBRARY_MARKERS = ("node_modules/", "site-packages/", "dist-packages/", "/gems/", "vendor/")


class FileRef(NamedTuple):
    """One file of the merged tree: path (no leading ``/``), bytes and the layer it came from.
    (A NamedTuple, not a dataclass: tens of thousands are made per image.)"""

    path: str
    size: int
    layer: int


@dataclass(frozen=True)
class Summary:
    """What a finding carries about a set of files."""

    bytes: int
    files: int
    paths: tuple[str, ...]          # absolute ("/usr/lib/go-1.19"), largest first, ≤ TOP_PATHS
    layer: int | None
    created_by: str | None


@dataclass(frozen=True)
class ImageContext:
    """An analysed image: tree, analysis, config, and ``created_by`` of each layer."""

    tree: MergedTree
    analysis: Analysis
    config: ImageConfig | None
    created_by: tuple[str | None, ...] = ()
    _memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_image(cls, image: Image, *, tree: MergedTree, analysis: Analysis) -> ImageContext:
        """Build the context of ``image``."""
        return cls(tree, analysis, image.config,
                   tuple(layer.created_by for layer in image.layers))

    def memo(self, key: Any, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per context and ``key`` (facts shared by several rules)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # -- facts -----------------------------------------------------------------------------
    def files_of(self, category: str) -> list[FileRef]:
        """Files (and links) of the merged tree classified as ``category`` (a ``Category``
        or its value: the enum is a StrEnum, and rules name it by value so that importing the
        rules does not import the whole analysis package)."""
        by_category = self.memo("by-category", self._by_category)
        return by_category.get(category, [])

    def _by_category(self) -> dict[str, list[FileRef]]:
        # Paths grouped by category first (one C-level map for the entries), then one FileRef
        # per file: this runs over every classified file of the image.
        by_category: dict[str, list[str]] = {}
        category: str
        for path, category in self.analysis.category_of.items():
            bucket = by_category.get(category)
            if bucket is None:
                bucket = by_category[category] = []
            bucket.append(path)
        get = self.tree.entries.get
        out: dict[str, list[FileRef]] = {}
        for category, paths in by_category.items():
            out[category] = [
                FileRef(e.path, e.size if e.kind == _REG else 0, e.layer)
                for e in map(get, paths) if e is not None and e.kind != _DIR
            ]
        return {c: refs for c, refs in out.items() if refs}

    def file(self, path: str) -> FileRef | None:
        """The merged-tree file at ``path`` (no leading ``/``), if it is one."""
        entry = self.tree.entries.get(path.strip("/"))
        if entry is None or entry.kind == _DIR:
            return None
        return FileRef(entry.path, entry.size if entry.kind == _REG else 0, entry.layer)

    def is_os_owned(self, path: str) -> bool:
        """True when an OS package (dpkg/apk/rpm) lists ``path`` (or, for compiled Python in a
        ``__pycache__``, the directory it caches): the distribution put it there."""
        owned = self.memo("os-owned", self._os_owned)
        if path in owned:
            return True
        head, sep, _ = path.rpartition("/__pycache__/")
        return bool(sep) and head in owned

    def is_package_owned(self, path: str) -> bool:
        """True when any installed package lists ``path``: an OS package, or a Python
        distribution's RECORD (a wheel's own C sources in a ``pip install --target`` tree are
        the library's, not the application's)."""
        if self.is_os_owned(path):
            return True
        listed = self.memo("record-owned", lambda: frozenset(
            f for p in self.analysis.packages if str(p.ecosystem) == "pypi" for f in p.files))
        return path in listed

    def _os_owned(self) -> frozenset[str]:
        files: set[str] = set()
        for package in self.analysis.packages:
            if str(package.ecosystem) in _OS_ECOSYSTEMS:
                files.update(package.files)
        return frozenset(files)

    def layer_created_by(self, layer: int | None) -> str | None:
        """The redacted ``created_by`` of ``layer`` (None when unknown)."""
        if layer is None or not 0 <= layer < len(self.created_by):
            return None
        return self.memo(("created-by", layer), lambda: _redacted(self.created_by[layer]))

    def runtime_argv(self) -> tuple[str, ...]:
        """The command the container runs: ENTRYPOINT + CMD (CMD alone without ENTRYPOINT)."""
        cfg = self.config
        if cfg is None:
            return ()
        return tuple(cfg.entrypoint or ()) + tuple(cfg.cmd or ())

    def per_layer(self, files: Iterable[FileRef]) -> list[list[FileRef]]:
        """``files`` grouped by the layer their visible version came from, oldest layer first:
        one finding per layer, each with that layer's bytes and its own Dockerfile line."""
        groups: dict[int, list[FileRef]] = {}
        for f in files:
            groups.setdefault(f.layer, []).append(f)
        return [groups[layer] for layer in sorted(groups)]

    def summarize(self, files: Iterable[FileRef], *, top: int = TOP_PATHS,
                  roll_up: bool = True) -> Summary:
        """Bytes, top paths (rolled up to directories unless ``roll_up`` is False: a secret or
        a setuid binary is about that one file) and the dominant layer of ``files``."""
        return summarize(self, list(files), top=top, roll_up=roll_up)


def _redacted(text: str | None) -> str | None:
    return redact_text(text) if text else None


def is_library_path(path: str) -> bool:
    """True for paths inside a third-party library tree (node_modules, site-packages…)."""
    probe = "/" + path
    return any("/" + marker in probe for marker in _LIBRARY_MARKERS)


def _parent(path: str) -> str:
    i = path.rfind("/")
    return path[:i] if i > 0 else ""


def rollup(ctx: ImageContext, paths: Sequence[str]) -> dict[str, str]:
    """Each path → its highest ancestor directory that holds nothing but ``paths`` (and at
    least two entries), or the path itself.

    So 12 000 files of the Go toolchain report as ``usr/lib/go-1.19``, the tests of an app as
    ``app/tests``, and a lone ``app/main.go`` beside a binary (or ``usr/bin/make`` among other
    binaries) stays itself. Cost: the selected paths and their ancestors only, never the whole
    tree — a directory is full when each of its children is a selected path or a full
    directory, decided deepest first.
    """
    children = ctx.tree.children
    parents = [path.rpartition("/")[0] for path in paths]
    good: dict[str, int] = Counter(parents)
    full: set[str] = set()
    files = dict(good)  # selected files under each directory, through full subdirectories
    # Deepest first: a directory's count is final once every deeper directory is decided.
    by_depth: dict[int, list[str]] = {}
    for directory in good:
        if directory:
            by_depth.setdefault(directory.count("/"), []).append(directory)
    for depth in range(max(by_depth, default=-1), -1, -1):
        for directory in by_depth.get(depth, ()):
            total = len(children.get(directory, ()))
            if good.get(directory, 0) == total:
                full.add(directory)
                parent = _parent(directory)
                files[parent] = files.get(parent, 0) + files.get(directory, 0)
                if parent and parent not in good:
                    by_depth.setdefault(depth - 1, []).append(parent)
                good[parent] = good.get(parent, 0) + 1
    out: dict[str, str] = {}
    # The highest full directory above each parent, once per parent (siblings share it).
    top_of: dict[str, str | None] = {}
    for path, parent in zip(paths, parents):
        if parent not in top_of:
            root: str | None = None
            walk = parent
            while walk in full:
                root = walk
                walk = _parent(walk)
            top_of[parent] = root
        root = top_of[parent]
        # A lone file stays itself: "/usr/bin/make", not a directory holding only it.
        out[path] = root if root is not None and files.get(root, 0) >= 2 else path
    return out


def summarize(ctx: ImageContext, files: list[FileRef], *, top: int = TOP_PATHS,
              roll_up: bool = True) -> Summary:
    """See ``ImageContext.summarize``."""
    if not files:
        return Summary(0, 0, (), None, None)
    roots = rollup(ctx, [f.path for f in files]) if roll_up else {f.path: f.path for f in files}
    by_root: dict[str, int] = {}
    by_layer: dict[int, int] = {}
    total = 0
    for f in files:
        root = roots[f.path]
        by_root[root] = by_root.get(root, 0) + f.size
        by_layer[f.layer] = by_layer.get(f.layer, 0) + f.size
        total += f.size
    ranked = sorted(by_root.items(), key=lambda item: (-item[1], item[0]))[:top]
    # The layer that added most of the bytes; with no bytes at all, the first file's layer.
    layer = max(by_layer.items(), key=lambda item: (item[1], -item[0]))[0] if total \
        else files[0].layer
    return Summary(total, len(files), tuple("/" + p for p, _ in ranked), layer,
                   ctx.layer_created_by(layer))


__all__ = ["FileRef", "ImageContext", "Summary", "is_library_path", "rollup", "summarize"]
