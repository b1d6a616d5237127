"""Parse image references into ``ImageRef(transport, path, ref)`` (skopeo conventions).

``docker-archive:PATH[:TAG]``, ``oci:DIR[:REF]``, ``oci-archive:PATH[:REF]``,
``docker://HOST/REPO[:TAG][@DIGEST]``, ``docker-daemon:NAME``, ``containers-storage:NAME``; a bare
path is sniffed: a directory with ``index.json`` is an OCI layout, a ``.tar``/``.tar.gz``/
``.tar.xz``/``.tgz`` file is an archive (``oci-archive`` when it holds ``oci-layout`` and
``index.json`` but no ``manifest.json``, else ``docker-archive``; the sniff happens in
``open_image`` because it needs the archive index). Anything else that is a valid image name
(``app:1``, ``localhost/app``, ``quay.io/org/app:1``, ``host:5000/app``) is a bare ``name``,
resolved as podman does (``finalstage.image.resolve``: local storage, then a registry); a prefix
close to a transport (``oci-archiv:x.tar``) is a typo, refused with a "did you mean".

The optional ``:REF`` suffix is split at the LAST colon only when what follows contains no
``/``, so ``oci:/tmp/dir`` and ``docker-archive:/tmp/a:b/c.tar`` keep their paths.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass

from finalstage.errors import InvalidReferenceError

TRANSPORTS = (
    "docker-archive",
    "oci",
    "oci-archive",
    "docker",
    "docker-daemon",
    "containers-storage",
)
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.zst", ".tar.zstd")
_REMOTE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


@dataclass(frozen=True)
class ImageRef:
    """A parsed reference. ``path`` is a file/dir path or a name; ``ref`` the tag/ref suffix.

    ``transport`` is one of TRANSPORTS, ``archive`` (a bare archive path to sniff) or
    ``name`` (a bare image name to resolve).
    """

    transport: str
    path: str
    ref: str | None = None

    def __str__(self) -> str:
        if self.transport == "docker":
            return f"docker://{self.path}"
        if self.transport in ("archive", "name"):
            return self.path
        suffix = f":{self.ref}" if self.ref else ""
        return f"{self.transport}:{self.path}{suffix}"


def _split_ref(rest: str) -> tuple[str, str | None]:
    # Prefer the first colon whose left side exists on disk (tags may hold ':' and '/':
    # docker-archive:x.tar:example.com/repo:tag); else split at the last colon.
    i = rest.find(":")
    while i > 0:
        if os.path.exists(rest[:i]):
            return rest[:i], rest[i + 1 :] or None
        i = rest.find(":", i + 1)
    head, sep, tail = rest.rpartition(":")
    if sep and head and tail and "/" not in tail:
        return head, tail
    return rest, None


def parse_reference(text: str) -> ImageRef:
    """Parse ``text``; unknown transports and malformed references raise InvalidReferenceError."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidReferenceError("invalid image reference: empty")
    if any(ord(c) < 32 for c in text):
        raise InvalidReferenceError(f"invalid image reference {text!r}: control characters")
    if text.startswith("docker://"):
        name = text[len("docker://") :]
        if not _REMOTE.match(name):
            raise InvalidReferenceError(f"invalid image reference {text!r}")
        return ImageRef("docker", name)
    transport, sep, rest = text.partition(":")
    if sep and re.fullmatch(r"[a-z][a-z0-9-]*", transport) and not os.path.exists(text):
        if transport not in TRANSPORTS:
            close = difflib.get_close_matches(transport, TRANSPORTS, n=1, cutoff=0.75)
            if _REMOTE.match(text) and not close:
                return ImageRef("name", text)  # app:1, localhost:5000/app
            hint = f"; did you mean {close[0]}:?" if close else ""
            raise InvalidReferenceError(
                f"invalid image reference {text!r}: unknown transport {transport!r}"
                f" (known: {', '.join(t for t in TRANSPORTS if t != 'docker')}, docker://){hint}"
            )
        if transport == "docker":
            raise InvalidReferenceError(f"invalid image reference {text!r}: use docker://NAME")
        if not rest:
            raise InvalidReferenceError(f"invalid image reference {text!r}: missing path or name")
        if transport in ("docker-daemon", "containers-storage"):
            return ImageRef(transport, rest)
        if os.path.exists(rest):  # a path that itself contains a colon
            return ImageRef(transport, rest)
        path, ref = _split_ref(rest)
        return ImageRef(transport, path, ref)
    # A bare path.
    if os.path.isdir(text):
        if os.path.exists(os.path.join(text, "index.json")):
            return ImageRef("oci", text.rstrip("/") or "/")
        raise InvalidReferenceError(
            f"invalid image reference {text!r}: directory without index.json (not an OCI layout)"
        )
    if text.lower().endswith(ARCHIVE_SUFFIXES) or os.path.isfile(text):
        return ImageRef("archive", text)
    if _REMOTE.match(text):
        return ImageRef("name", text)
    raise InvalidReferenceError(
        f"invalid image reference {text!r}: not a file, directory or transport:reference"
        " (try docker-archive:PATH, oci:DIR, docker://HOST/REPO:TAG)"
    )
