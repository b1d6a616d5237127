"""The values slim hands out: the plan (what is kept and why), the written image, the proof.

Frozen data only; ``finalstage.report`` renders them as text and JSON. Paths are absolute
(``/usr/bin/python3``); sizes are int bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KeptPath:
    """One kept path and why: ``chain[0]`` is its own reason, each next one the reason of the
    path it was reached from, ending at a root (``CMD``, ``ENTRYPOINT``, ``USER``…)."""

    path: str
    kind: str          # "file" | "dir" | "symlink" | "hardlink" | other tar kinds
    size: int
    chain: tuple[str, ...]


@dataclass(frozen=True)
class CategoryBytes:
    """Bytes and files removed from one content category (``other`` = no category)."""

    category: str
    bytes: int
    files: int


@dataclass(frozen=True)
class DynamicSite:
    """A place that loads code by a computed name: static analysis cannot follow it."""

    path: str
    line: int
    text: str
    language: str      # "python" | "node"


@dataclass(frozen=True)
class Explanation:
    """``--explain PATH``: kept (with the chain) or dropped (with the reason)."""

    path: str
    is_kept: bool
    chain: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class SlimPlan:
    """What slim keeps of an image and what it removes."""

    source: str
    source_digest: str
    argv: tuple[str, ...]
    kept: tuple[KeptPath, ...]
    kept_bytes: int
    source_bytes: int
    source_files: int
    removed: tuple[CategoryBytes, ...]
    warnings: tuple[str, ...] = ()
    dynamic_sites: tuple[DynamicSite, ...] = ()
    explanations: tuple[Explanation, ...] = ()

    @property
    def removed_bytes(self) -> int:
        return sum(c.bytes for c in self.removed)


@dataclass(frozen=True)
class WrittenImage:
    """The image slim wrote: where, its digests and sizes."""

    reference: str
    manifest_digest: str
    config_digest: str
    layer_digest: str
    size: int              # uncompressed layer bytes
    compressed_size: int   # stored layer bytes


@dataclass(frozen=True)
class ProbeRun:
    """One run of the probe against one image."""

    image: str
    exit_code: int | None
    stdout: str
    stderr: str = ""
    error: str | None = None   # could not run, timed out, port never opened


@dataclass(frozen=True)
class MissingPath:
    """A path the fat image's probe run opened that the slim image lacks."""

    path: str
    process: str


@dataclass(frozen=True)
class Verification:
    """The proof: both images run with the same probe, the fat one traced, the result checked.

    ``status`` is "pass", "fail" or "skipped" (with ``reason``)."""

    status: str
    reason: str = ""
    probe: str = ""
    trace_method: str = ""
    fat: ProbeRun | None = None
    slim: ProbeRun | None = None
    diff: str = ""
    opened: int = 0
    missing: tuple[MissingPath, ...] = ()
    learned: tuple[str, ...] = ()
    check_status: str = ""            # "pass" | "fail" | "" (not run)
    check_findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlimResult:
    """The payload of a slim ``Report``."""

    plan: SlimPlan
    is_dry_run: bool
    output: WrittenImage | None = None
    verification: Verification | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def is_failed(self) -> bool:
        """The probe differed, the slim image lacks what the source read, or the strict
        check failed."""
        v = self.verification
        return v is not None and (v.status == "fail" or v.check_status == "fail")


__all__ = ["CategoryBytes", "DynamicSite", "Explanation", "KeptPath", "MissingPath",
           "ProbeRun", "SlimPlan", "SlimResult", "Verification", "WrittenImage"]
