"""Every resource limit finalstage enforces, in one frozen ``Limits``, and ``--limit NAME=VALUE``.

A hostile image, archive or registry must not make finalstage use unbounded memory, disk, time
or network. Each bound lives here as one field with its default; the field name with dashes is
its ``--limit`` key, and every error raised when a bound trips ends with ``limit_hint(field)``
(``raise with --limit max-entries=N``), one lower-case line. Sources receive the ``Limits`` of
the run from ``open_image(..., limits=...)``; nothing reads a limit from a module constant.

The fields fall into groups (``LIMIT_GROUPS``): a layer's tar stream (checked while a layer is
scanned, so they decide whether a cached scan may be reused: see ``is_lowered``), the image as a
whole, JSON documents (manifests, configs, indexes, wherever they come from), and the network
(registry redirects, response sizes and timeouts, the Docker daemon and skopeo).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from finalstage.errors import UsageError

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Guards against hostile input; exceeding one raises a ``FinalstageError`` naming its key."""

    # --- one layer's tar stream (and the outer docker-archive / oci-archive tar) ---------------
    max_entries: int = 2_000_000
    max_header_bytes: int = 1 * MiB  # one PAX record set / GNU long name
    max_decompressed: int = 64 * GiB  # bytes of tar stream per layer
    max_ratio: int = 250  # decompressed / compressed, checked once past ratio_after bytes
    ratio_after: int = 256 * MiB
    max_path_length: int = 4096  # bytes of one member name, after cleaning (Linux PATH_MAX)
    max_path_depth: int = 256  # components of one member name
    # --- one image, over all its layers -----------------------------------------------------
    max_image_entries: int = 5_000_000
    max_image_decompressed: int = 256 * GiB
    # --- JSON documents, from every source --------------------------------------------------
    max_manifest_bytes: int = 4 * MiB  # an image manifest
    max_config_bytes: int = 4 * MiB  # image config; legacy <id>/json
    max_index_bytes: int = 16 * MiB  # index.json, manifest lists; docker-archive manifest.json
    max_index_depth: int = 8  # indexes followed to reach a manifest (not counting index.json)
    # --- network ----------------------------------------------------------------------------
    max_redirects: int = 5  # per registry request
    max_response_bytes: int = 1 * MiB  # registry token responses; error bodies are cut here
    timeout: float = 30.0  # seconds per registry connect / read / write
    body_deadline_reads: int = 4  # a manifest/config/token body must arrive in N × timeout
    download_deadline: float = 21600.0  # seconds for all of one image's registry downloads
    daemon_timeout: float = 300.0  # seconds per Docker Engine API operation
    storage_timeout: float = 1800.0  # seconds for `skopeo copy` out of containers-storage


DEFAULT_LIMITS = Limits()

# `--limit NAME=VALUE` keys: the field names with dashes.
LIMIT_KEYS: dict[str, str] = {f.name.replace("_", "-"): f.name for f in fields(Limits)}

# Which fields take sizes (KB…TiB suffixes) and which take seconds (fractions, an `s` suffix).
BYTE_LIMITS = frozenset({
    "max_header_bytes", "max_decompressed", "ratio_after", "max_path_length",
    "max_image_decompressed", "max_manifest_bytes", "max_config_bytes", "max_index_bytes",
    "max_response_bytes",
})
SECONDS_LIMITS = frozenset({"timeout", "download_deadline", "daemon_timeout", "storage_timeout"})

# The bounds a layer scan is checked against while it is read: a cached scan passed these
# limits as they were then, so lowering one of them must re-read the layer (``is_lowered``).
LAYER_SCAN_LIMITS = (
    "max_entries", "max_header_bytes", "max_decompressed", "max_ratio", "ratio_after",
    "max_path_length", "max_path_depth",
)

LIMIT_GROUPS: dict[str, tuple[str, ...]] = {
    "layer": LAYER_SCAN_LIMITS,
    "image": ("max_image_entries", "max_image_decompressed"),
    "json": ("max_manifest_bytes", "max_config_bytes", "max_index_bytes", "max_index_depth"),
    "network": ("max_redirects", "max_response_bytes", "timeout", "body_deadline_reads",
                "download_deadline", "daemon_timeout", "storage_timeout"),
}

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def limit_hint(*field_names: str) -> str:
    """How to raise the limit(s) ``field_names`` from the command line, for error messages:
    ``raise with --limit max-entries=N`` (several: joined with ``or``)."""
    return "raise with " + " or ".join(
        f"--limit {name.replace('_', '-')}=N" for name in field_names
    )


def is_lowered(limits: Limits) -> bool:
    """Whether a layer-scan limit (``LAYER_SCAN_LIMITS``) is below its default: the layer cache
    is then not used, because a cached scan was only checked against the limits in force when
    the layer was read.

    The other limits do not count. The per-image totals are summed over cached scans too (so a
    lowered image limit still trips with the cache on), and the JSON, registry and timeout
    bounds apply to what is fetched before any layer is scanned, on every run, cached or not.
    """
    return any(getattr(limits, f) < getattr(DEFAULT_LIMITS, f) for f in LAYER_SCAN_LIMITS)


def format_default(field_name: str) -> str:
    """The default of ``field_name`` as a user would type it: ``64GiB``, ``2000000``, ``30s``."""
    value = getattr(DEFAULT_LIMITS, field_name)
    if field_name in SECONDS_LIMITS:
        return f"{value:g}s"
    if field_name in BYTE_LIMITS:
        for unit, scale in (("GiB", GiB), ("MiB", MiB)):
            if value >= scale and value % scale == 0:
                return f"{value // scale}{unit}"
    return str(value)


def describe_keys(sep: str = ", ") -> str:
    """Every ``--limit`` key with its default, for ``--help``: ``max-entries=2000000, …``."""
    return sep.join(f"{key}={format_default(field)}" for key, field in LIMIT_KEYS.items())


def _parse_value(key: str, field_name: str, value: str) -> int | float:
    text = value.strip().replace("_", "")
    if field_name in SECONDS_LIMITS:
        number_text = text[:-1] if text.lower().endswith("s") else text
        try:
            seconds = float(number_text)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds):
            raise UsageError(
                f"invalid --limit {key} value {value!r}: expected seconds like 90 or 1.5"
            )
        if seconds <= 0:
            raise UsageError(f"invalid --limit {key} value {value!r}: must be above 0")
        return seconds
    digits = text.rstrip(_LETTERS)
    unit = text[len(digits):].strip().lower()
    scale = _UNITS.get(unit) if (field_name in BYTE_LIMITS or not unit) else None
    if scale is None or not digits.strip().isdigit():
        kind = "a size like 512MiB or 10GB" if field_name in BYTE_LIMITS else "a whole number"
        raise UsageError(f"invalid --limit {key} value {value!r}: expected {kind}")
    number = int(digits.strip()) * scale
    if number <= 0:
        raise UsageError(f"invalid --limit {key} value {value!r}: must be above 0")
    return number


def parse_limits(specs: list[str] | tuple[str, ...], base: Limits = DEFAULT_LIMITS) -> Limits:
    """``base`` with ``NAME=VALUE`` overrides (``max-entries=10000000``, ``max-decompressed=512GiB``,
    ``timeout=1.5``).

    Sizes take KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (powers of 1024); timeouts take
    seconds, fractions allowed, with an optional ``s``. A bad name or value is a ``UsageError``
    (one line; a bad name lists the valid names).
    """
    changes: dict[str, Any] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        key = name.strip().lower()
        field_name = LIMIT_KEYS.get(key)
        if not sep or field_name is None:
            shown = spec if len(spec) <= 80 else spec[:77] + "..."
            raise UsageError(
                f"invalid --limit {shown!r}: expected NAME=VALUE with NAME one of "
                + ", ".join(LIMIT_KEYS)
            )
        changes[field_name] = _parse_value(key, field_name, value)
    return replace(base, **changes) if changes else base


__all__ = [
    "BYTE_LIMITS",
    "DEFAULT_LIMITS",
    "LAYER_SCAN_LIMITS",
    "LIMIT_GROUPS",
    "LIMIT_KEYS",
    "SECONDS_LIMITS",
    "Limits",
    "describe_keys",
    "format_default",
    "is_lowered",
    "limit_hint",
    "parse_limits",
]
