"""Parse registry references: ``host[:port]/repo[:tag][@sha256:…]`` (distribution/reference).

The first path component is a registry host when it contains a ``.`` or ``:`` or is
``localhost``; otherwise the reference is on Docker Hub and normalised as Docker does
(``alpine`` → ``docker.io/library/alpine:latest``). Docker Hub is unreachable from CI here, but
the normalisation keeps references meaning what users expect.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from finalstage.errors import InvalidReferenceError

DOCKER_HUB = "docker.io"
# The API endpoint of Docker Hub is not the name users write.
DOCKER_HUB_API = "registry-1.docker.io"

# Grammar from distribution/reference (regexp.go), simplified only in not being exported.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$")
_HOST_RE = re.compile(r"^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$")
_MAX_NAME = 255


@dataclass(frozen=True)
class Reference:
    """A parsed registry reference. ``tag`` is None only when a digest is given."""

    host: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def api_host(self) -> str:
        """The host:port the API lives on (Docker Hub's differs from its name)."""
        return DOCKER_HUB_API if self.host == DOCKER_HUB else self.host

    @property
    def identifier(self) -> str:
        """What goes after ``/manifests/``: the digest when pinned, else the tag."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_reference(text: str) -> Reference:
    """Parse ``text``; raise InvalidReferenceError naming what is wrong."""
    raw = text
    text = text.removeprefix("docker://")
    if not text or len(text) > 4096 or any(c.isspace() or ord(c) < 0x20 for c in text):
        raise InvalidReferenceError(f"invalid image reference {raw!r}: empty or contains spaces")
    name, at, digest = text.partition("@")
    if at and not _DIGEST_RE.match(digest):
        raise InvalidReferenceError(f"invalid image reference {raw!r}: bad digest {digest!r}")
    tag: str | None = None
    # A ':' after the last '/' is a tag; one before it belongs to host:port.
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG_RE.match(tag):
            raise InvalidReferenceError(f"invalid image reference {raw!r}: bad tag {tag!r}")
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        host, repo = first, rest
        if not _HOST_RE.match(host):
            raise InvalidReferenceError(f"invalid image reference {raw!r}: bad host {host!r}")
    else:
        host, repo = DOCKER_HUB, name
    if host in (DOCKER_HUB, "index.docker.io"):
        host = DOCKER_HUB
        if "/" not in repo:
            repo = f"library/{repo}"
    if not _REPO_RE.match(repo) or len(repo) > _MAX_NAME:
        raise InvalidReferenceError(
            f"invalid image reference {raw!r}: bad repository name {repo!r}"
            " (lower-case letters, digits and separators only)"
        )
    if tag is None and not at:
        tag = "latest"
    return Reference(host=host, repository=repo, tag=tag, digest=digest if at else None)


def is_loopback(host: str) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1`` (with or without a port)."""
    name = host
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
