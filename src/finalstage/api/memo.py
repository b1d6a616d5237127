"""Whole-report memo: re-inspecting an unchanged image prints the report it printed before.

The key is a pure function of the image's content (config digest and every layer digest), the
reference as typed, the options, the version and the package's own source: local layer files
add their fingerprint (inode, size, mtime, ctime), so a report is only reused for the very files
that were read and verified when it was made; registry layers are keyed by their digests alone
(computing the key downloads nothing: a warm inspect fetches the manifest and config only).
``FINALSTAGE_REPORT_CACHE=0`` turns it off (the benchmark times the layer cache alone).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

from finalstage._version import __version__
from finalstage.analysis.from_image import analysis_tag
from finalstage.image.image import Image
from finalstage.image.layers import fingerprint


def memoized(image: Image, reference: str, options: tuple[object, ...],
             render: Callable[[], str]) -> str:
    """``render()``, or what it returned for this image and these options before."""
    cache = image.cache
    key = memo_key(image, reference, options) \
        if cache is not None and os.environ.get("FINALSTAGE_REPORT_CACHE", "1") != "0" else None
    if key is None or cache is None:
        return render()
    hit = cache.get_blob(key)
    if hit is not None:
        return hit.decode("utf-8", "surrogateescape")
    text = render()
    cache.put_blob(key, text.encode("utf-8", "surrogateescape"))
    return text


def memo_key(image: Image, reference: str, options: tuple[object, ...]) -> str | None:
    """The memo key of a report, or None when a layer has no digest to key it on."""
    layers = image.core.layers()
    if any(not h.diff_id for h in layers):
        return None
    parts = [
        "report", __version__, analysis_tag(True), _source_stamp(), reference,
        repr(options), image.config_digest, image.digest or "",
        *(f"{h.diff_id} {h.digest} {fingerprint(h)}" for h in layers),
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _source_stamp() -> str:
    """Newest mtime of the package's modules: a changed reporter or rule gives new report keys
    even before the version moves (one stat per module, about a millisecond)."""
    newest = 0
    stack = [os.path.dirname(os.path.dirname(__file__))]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for d in it:
                    if d.name.endswith(".py"):
                        newest = max(newest, d.stat().st_mtime_ns)
                    elif d.is_dir() and d.name != "__pycache__":
                        stack.append(d.path)
        except OSError:
            continue
    return str(newest)


__all__ = ["memo_key", "memoized"]
