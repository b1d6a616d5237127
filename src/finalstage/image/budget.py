"""The limits that bound a whole image, over all its layers (``--limit max-image-*``).

Each layer is bounded on its own (``max_decompressed``, ``max_entries``); an ``ImageBudget``
adds the sums, so a bomb spread over many small layers stops too.
"""

from __future__ import annotations

import threading

from finalstage.errors import UnsafeArchiveError
from finalstage.escape import one_line
from finalstage.limits import Limits, limit_hint


class ImageBudget:
    """The per-image limits over all layers. Bytes are counted live, as layers decompress
    (several at once, hence the lock; a call per chunk, not per entry), so a bomb spread over
    many layers stops as soon as the sum passes the limit; entries are counted as each layer's
    listing completes (each layer is already bounded by ``max_entries``)."""

    def __init__(self, limits: Limits, reference: str) -> None:
        self.limits = limits
        self.context = one_line(f"reading image {reference}")
        self.entries = 0
        self.size = 0
        self._lock = threading.Lock()

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.size += n
            size = self.size
        limit = self.limits.max_image_decompressed
        if size > limit:
            raise UnsafeArchiveError(
                f"{self.context}: layers decompress past {limit} bytes in all"
                f" ({limit_hint('max_image_decompressed')})"
            )

    def add_entries(self, n: int) -> None:
        self.entries += n  # called from one thread: the one collecting results in order
        limit = self.limits.max_image_entries
        if self.entries > limit:
            raise UnsafeArchiveError(
                f"{self.context}: more than {limit} entries in all layers"
                f" ({limit_hint('max_image_entries')})"
            )
