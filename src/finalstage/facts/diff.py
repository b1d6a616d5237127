"""What changed between two images, computed from their facts: the payload of ``finalstage
diff A B``.

Sizes compare the merged filesystems: a file's delta is its size in B minus its size in A (0
when absent), so the deltas of all paths add up, to the byte, to the change of the
filesystem's total (``files_size``). Each file is counted under exactly one kind
(``facts.content``: its content category, else runtime or app) on each side, so the deltas per
kind add up to the same total. The layer tars' sizes (compressed and uncompressed) are shown
A → B beside it; they also count tar headers and padding, which belong to no path.

Layers B shares with A (same ``diff_id``) are never read for B (``facts.shared``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from finalstage.errors import UsageError
from finalstage.escape import one_line
from finalstage.facts.content import kind_of
from finalstage.findings import Finding
from finalstage.image.tarheader import REG
from finalstage.units import parse_size

if TYPE_CHECKING:  # types only: the text and JSON writers import this without the readers
    from finalstage.analysis.packages.model import Package
    from finalstage.facts import Facts
    from finalstage.fs.merge import MergedTree


@dataclass(frozen=True)
class Side:
    """One image's totals."""

    reference: str
    digest: str | None
    compressed_size: int     # bytes stored (the layer blobs)
    uncompressed_size: int   # bytes of the layer tars
    files_size: int          # bytes of the regular files of the merged tree
    files: int
    layers: int


@dataclass(frozen=True)
class PathDelta:
    """One path whose size changed; ``kind_before``/``kind_after`` are None where absent."""

    path: str                # "/usr/lib/x"
    before: int
    after: int
    kind_before: str | None
    kind_after: str | None

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def status(self) -> str:
        """``added``, ``removed``, ``grown`` or ``shrunk``."""
        if self.kind_before is None:
            return "added"
        if self.kind_after is None:
            return "removed"
        return "grown" if self.after > self.before else "shrunk"


@dataclass(frozen=True)
class KindDelta:
    """Bytes of one kind of content (``compiler``, ``runtime``…) in A and in B."""

    kind: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class PackageChange:
    """One package added, removed, or changed (version or bytes) from A to B."""

    ecosystem: str
    name: str
    status: str              # "added" | "removed" | "changed"
    version_before: str | None
    version_after: str | None
    bytes_before: int
    bytes_after: int

    @property
    def delta(self) -> int:
        return self.bytes_after - self.bytes_before


@dataclass(frozen=True)
class LayerReuse:
    """How much of B was read: its layers, those it shares with A (never read for B)."""

    layers_a: int
    layers_b: int
    shared: int              # layers of B whose diff_id is one of A's
    skipped: int             # of those, how many B was served without reading
    read_b: int              # layers of B actually read (or taken from the layer cache)


@dataclass(frozen=True)
class Growth:
    """The ``--fail-on-growth`` verdict on the uncompressed size."""

    limit: str               # as given: "10%" or "50MB"
    allowed: int             # bytes B may grow by
    delta: int
    is_exceeded: bool


@dataclass(frozen=True)
class DiffResult:
    """Everything ``diff`` reports. ``paths`` holds every file whose size changed, largest
    change first; ``kinds`` every kind present on either side."""

    a: Side
    b: Side
    paths: tuple[PathDelta, ...]
    kinds: tuple[KindDelta, ...]
    packages: tuple[PackageChange, ...]
    reuse: LayerReuse
    new_findings: tuple[Finding, ...] = ()
    resolved_findings: tuple[Finding, ...] = ()
    growth: Growth | None = None

    @property
    def size_delta(self) -> int:
        """Change of the filesystem's bytes: what the path and kind deltas add up to."""
        return self.b.files_size - self.a.files_size


def side(facts: Facts) -> Side:
    """The totals of one image of a diff."""
    image = facts.image
    assert image is not None
    scans, tree = facts.scans, facts.tree
    return Side(image.reference, image.digest, sum(s.compressed_size for s in scans),
                sum(s.uncompressed_size for s in scans), tree.total_size, tree.file_count,
                len(scans))


def path_deltas(tree_a: MergedTree, tree_b: MergedTree, kind_a: Callable[[str], str],
                kind_b: Callable[[str], str]) -> list[PathDelta]:
    """Every regular file whose size differs between the trees (absent = 0 bytes), largest
    change first."""
    ea, eb = tree_a.entries, tree_b.entries
    out: list[PathDelta] = []
    for path, e in ea.items():
        if e.kind != REG:
            continue
        f = eb.get(path)
        after = f.size if f is not None and f.kind == REG else None
        if after == e.size:
            continue
        out.append(PathDelta("/" + path, e.size, after or 0, kind_a(path),
                             None if after is None else kind_b(path)))
    for path, f in eb.items():
        if f.kind != REG or not f.size:
            continue
        old = ea.get(path)
        if old is None or old.kind != REG:
            out.append(PathDelta("/" + path, 0, f.size, None, kind_b(path)))
    out = [p for p in out if p.delta]
    out.sort(key=lambda p: (-abs(p.delta), p.path))
    return out


def kind_totals(tree: MergedTree, kind: Callable[[str], str]) -> Counter[str]:
    """Bytes of the tree's regular files per kind (they add up to ``tree.total_size``)."""
    totals: Counter[str] = Counter()
    for path, e in tree.entries.items():
        if e.kind == REG:
            totals[kind(path)] += e.size
    return totals


def kind_deltas(before: Counter[str], after: Counter[str]) -> tuple[KindDelta, ...]:
    """One row per kind on either side, largest change first."""
    rows = [KindDelta(k, before.get(k, 0), after.get(k, 0)) for k in set(before) | set(after)]
    rows.sort(key=lambda r: (-abs(r.delta), r.kind))
    return tuple(rows)


def package_changes(a: Iterable[Package], b: Iterable[Package]) -> tuple[PackageChange, ...]:
    """Packages added, removed or changed, matched by ecosystem and name (the same version on
    both sides first, then the remaining versions in order)."""
    group_a, group_b = _by_name(a), _by_name(b)
    out: list[PackageChange] = []
    for key in sorted(set(group_a) | set(group_b)):
        left, right = list(group_a.get(key, ())), list(group_b.get(key, ()))
        for p in list(left):
            twin = next((q for q in right if q.version == p.version), None)
            if twin is not None:
                left.remove(p)
                right.remove(twin)
                if (p.bytes or 0) != (twin.bytes or 0):
                    out.append(_change(key, "changed", p, twin))
        for p, q in zip(left, right):
            out.append(_change(key, "changed", p, q))
        out += [_change(key, "removed", p, None) for p in left[len(right):]]
        out += [_change(key, "added", None, q) for q in right[len(left):]]
    out.sort(key=lambda c: (-abs(c.delta), c.ecosystem, c.name))
    return tuple(out)


def _by_name(packages: Iterable[Package]) -> dict[tuple[str, str], list[Package]]:
    out: dict[tuple[str, str], list[Package]] = defaultdict(list)
    for p in sorted(packages, key=lambda p: (p.ecosystem, p.name.lower(), p.version, p.location)):
        out[(str(p.ecosystem), p.name.lower())].append(p)
    return out


def _change(key: tuple[str, str], status: str, p: Package | None,
            q: Package | None) -> PackageChange:
    name = (q or p).name if (q or p) is not None else key[1]  # type: ignore[union-attr]
    return PackageChange(key[0], name, status, p.version if p else None,
                         q.version if q else None, (p.bytes or 0) if p else 0,
                         (q.bytes or 0) if q else 0)


def _finding_key(f: Finding) -> tuple[object, ...]:
    return (f.rule, f.subjects, f.paths[:1])


def compare_findings(a: Sequence[Finding], b: Sequence[Finding]
                     ) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """(new, resolved): findings of B that A did not have, and of A that B no longer has,
    matched by rule, subjects and first path (a finding's sizes and layer may move)."""
    left = Counter(_finding_key(f) for f in a)
    right = Counter(_finding_key(f) for f in b)
    new_keys, gone_keys = right - left, left - right
    return _take(b, new_keys), _take(a, gone_keys)


def _take(findings: Sequence[Finding], wanted: Counter[tuple[object, ...]]) -> tuple[Finding, ...]:
    left = Counter(wanted)
    out = []
    for f in findings:
        key = _finding_key(f)
        if left[key] > 0:
            left[key] -= 1
            out.append(f)
    return tuple(out)


def growth_check(limit: str, before: int, after: int) -> Growth:
    """The verdict of ``--fail-on-growth LIMIT`` (``10%`` of A's size, or a size such as
    ``50MB``) on the uncompressed sizes ``before`` → ``after``. UsageError for a bad LIMIT."""
    text = limit.strip()
    try:
        if text.endswith("%"):
            pct = float(text[:-1])
            if not pct >= 0:
                raise ValueError(f"a percentage cannot be negative, got {text}")
            allowed = int(before * pct / 100)
        else:
            allowed = parse_size(text)
    except ValueError as err:
        raise UsageError(f"invalid --fail-on-growth {one_line(limit)!r}: {err} (use a size "
                         "such as 50MB or a percentage such as 10%)") from None
    delta = after - before
    return Growth(text, allowed, delta, delta > allowed)


def rollup(paths: Iterable[PathDelta], depth: int = 2) -> list[tuple[str, int]]:
    """The path deltas summed per directory ``depth`` levels down (``/usr/lib``; a shallower
    file stands for itself): a partition, so the rows add up to the total. Largest first."""
    sums: dict[str, int] = defaultdict(int)
    for p in paths:
        parts = p.path.split("/", depth + 1)
        sums["/".join(parts[:depth + 1]) if len(parts) > depth + 1 else p.path] += p.delta
    rows = [(k, v) for k, v in sums.items() if v]
    rows.sort(key=lambda r: (-abs(r[1]), r[0]))
    return rows


def compare(facts_a: Facts, facts_b: Facts, *, reuse: LayerReuse,
            findings: tuple[Sequence[Finding], Sequence[Finding]] = ((), ()),
            growth: Growth | None = None) -> DiffResult:
    """The diff of two images from their facts (both read, verified and analysed)."""
    analysis_a = facts_a.analysis if facts_a.classify else None
    analysis_b = facts_b.analysis if facts_b.classify else None
    kind_a, kind_b = kind_of(analysis_a), kind_of(analysis_b)
    new, resolved = compare_findings(*findings)
    return DiffResult(
        a=side(facts_a), b=side(facts_b),
        paths=tuple(path_deltas(facts_a.tree, facts_b.tree, kind_a, kind_b)),
        kinds=kind_deltas(kind_totals(facts_a.tree, kind_a), kind_totals(facts_b.tree, kind_b)),
        packages=package_changes(analysis_a.packages if analysis_a else (),
                                 analysis_b.packages if analysis_b else ()),
        reuse=reuse, new_findings=new, resolved_findings=resolved, growth=growth)


__all__ = ["DiffResult", "Growth", "KindDelta", "LayerReuse", "PackageChange", "PathDelta",
           "Side", "compare", "compare_findings", "growth_check", "kind_deltas", "kind_totals",
           "package_changes", "path_deltas", "rollup", "side"]
