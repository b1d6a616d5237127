"""Digests (``sha256:<hex>``): parsing, short display form, and a hasher factory."""

from __future__ import annotations

import hashlib
import re

from finalstage.errors import CorruptImageError

_DIGEST = re.compile(r"^(sha256|sha512):([0-9a-f]+)$")
_LENGTH = {"sha256": 64, "sha512": 128}


def parse(digest: str, context: str) -> tuple[str, str]:
    """Split and validate ``algo:hex``; a malformed digest is a corrupt image, never a crash."""
    m = _DIGEST.match(digest) if isinstance(digest, str) else None
    if not m or len(m.group(2)) != _LENGTH[m.group(1)]:
        raise CorruptImageError(f"{context}: invalid digest {str(digest)[:80]!r}")
    return m.group(1), m.group(2)


def hasher(digest: str, context: str) -> hashlib._Hash:
    """A fresh hash object of the algorithm ``digest`` uses."""
    algo, _ = parse(digest, context)
    return hashlib.new(algo)


def of_bytes(data: bytes, algo: str = "sha256") -> str:
    return f"{algo}:{hashlib.new(algo, data).hexdigest()}"


def short(digest: str | None, n: int = 12) -> str:
    """``sha256:ab12…`` for messages: enough to recognise, short enough for one line."""
    if not digest:
        return "<unknown>"
    algo, _, hexpart = digest.partition(":")
    return f"{algo}:{hexpart[:n]}" if hexpart else digest[:n]
