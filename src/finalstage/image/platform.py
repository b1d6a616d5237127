"""Platforms (``linux/amd64``, ``linux/arm64/v8``) and picking one from an image index."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from finalstage.errors import ImageNotFoundError, UsageError
from finalstage.escape import names

DEFAULT_PLATFORM = "linux/amd64"


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise UsageError(f"invalid platform {text!r}: expected os/arch[/variant]")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    @classmethod
    def from_descriptor(cls, platform: Mapping[str, Any]) -> Platform:
        variant = platform.get("variant")
        return cls(
            str(platform.get("os", "")),
            str(platform.get("architecture", "")),
            str(variant) if variant else None,
        )

    def matches(self, other: Platform) -> bool:
        """True when ``other`` (from an index) satisfies this wanted platform."""
        if (self.os, self.architecture) != (other.os, other.architecture):
            return False
        return self.variant is None or _norm_variant(self) == _norm_variant(other)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def _norm_variant(p: Platform) -> str | None:
    # arm64 images are "v8" whether or not they say so.
    if p.architecture == "arm64" and p.variant in (None, "v8"):
        return "v8"
    return p.variant


def select_manifest(
    descriptors: Sequence[Mapping[str, Any]], wanted: str | None, what: str
) -> Mapping[str, Any]:
    """Pick the descriptor of an index that matches ``wanted`` (default linux/amd64).

    Descriptors without a platform are candidates only when they are the sole entry. When nothing
    matches, the error lists the platforms that do exist.
    """
    want = Platform.parse(wanted or DEFAULT_PLATFORM)
    with_platform = [d for d in descriptors if isinstance(d.get("platform"), Mapping)]
    for desc in with_platform:
        if want.matches(Platform.from_descriptor(desc["platform"])):
            return desc
    if not with_platform and len(descriptors) == 1 and wanted is None:
        return descriptors[0]
    have = sorted({str(Platform.from_descriptor(d["platform"])) for d in with_platform})
    listing = names(have) if have else "none declared"
    raise ImageNotFoundError(f"{what}: no image for platform {want}; available: {listing}")


def check_single_platform(raw_config: bytes, wanted: str | None, what: str) -> None:
    """Refuse ``--platform`` that the one image a source holds does not have.

    A `docker save` stream or a containers-storage image holds exactly one platform: analysing it
    when the user asked for another would silently answer the wrong question.
    """
    if wanted is None:
        return
    want = Platform.parse(wanted)
    try:
        cfg = json.loads(raw_config)
        variant = cfg.get("variant")
        have = Platform(
            str(cfg.get("os", "")),
            str(cfg.get("architecture", "")),
            variant if isinstance(variant, str) and variant else None,
        )
    except (ValueError, AttributeError, RecursionError):
        return
    if not want.matches(have):
        raise ImageNotFoundError(
            f"{what}: no image for platform {want}; available: {names([str(have)])}")
