"""How long a registry conversation may take: retry backoff and the download deadline.

``RetryPolicy`` paces the retries of one request (429, 5xx, connection errors) and the resumes
of a dropped blob; ``Deadline`` bounds everything one transport fetches for an image
(``--limit download-deadline``), counted from its first request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from finalstage.errors import RegistryError
from finalstage.limits import limit_hint


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: ``attempts`` tries in all, sleeping ``base * 2**n`` (at most ``cap``)."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 10.0

    def delay(self, attempt: int, wanted: float | None = None) -> float:
        """Seconds to wait after try ``attempt``: ``wanted`` (a Retry-After) or the backoff."""
        return min(self.cap, self.base * 2 ** (attempt - 1) if wanted is None else wanted)


class Deadline:
    """``seconds`` from the first ``check``; later checks raise once they have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None

    def check(self, what: str) -> None:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        elif now - self.started > self.seconds:
            raise RegistryError(
                f"{what}: download deadline of {self.seconds:g} s reached"
                f" ({limit_hint('download_deadline')})"
            )
