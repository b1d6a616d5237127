"""What a registry holds: its repositories (``/v2/_catalog``) and each repository's tags
(``/v2/REPO/tags/list``), page by page (the distribution spec's ``n``/``last`` and ``Link``
header), with the same auth, retries and limits as image reads (``transport``).

The catalog needs the ``registry:catalog:*`` token scope; tag lists the repository's ``pull``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from finalstage.errors import CorruptImageError, RegistryError
from finalstage.image.registry.auth import find_credentials
from finalstage.image.registry.reference import DOCKER_HUB, DOCKER_HUB_API
from finalstage.image.registry.transport import RegistryTransport, RetryPolicy
from finalstage.limits import DEFAULT_LIMITS, Limits

PAGE = 100
MAX_PAGES = 10_000  # a registry that keeps sending "next" forever stops here
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header (a path with its query), or None."""
    if not header:
        return None
    match = _NEXT.search(header)
    return match.group(1) if match else None


def _transport(host: str, repository: str, *, tls_verify: bool | None, auth_file: str | None,
               limits: Limits, scope: str | None = None) -> RegistryTransport:
    api_host = DOCKER_HUB_API if host == DOCKER_HUB else host
    creds = find_credentials(host, repository or "catalog", auth_file=auth_file)
    return RegistryTransport(host=api_host, repository=repository, credentials=creds,
                             tls_verify=tls_verify, timeout=limits.timeout,
                             retry=RetryPolicy(), limits=limits, scope=scope)


def _pages(transport: RegistryTransport, path: str, field: str, what: str) -> Iterator[str]:
    """Every string of ``field`` across the pages that start at ``path``."""
    for _ in range(MAX_PAGES):
        with transport.request("GET", path, what=what, not_found=f"{what}: not found") as resp:
            body = transport.read_body(resp, what, "max_index_bytes")
            link = next_link(resp.headers.get("Link"))
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            raise CorruptImageError(f"{what}: invalid json") from err
        values = doc.get(field) if isinstance(doc, dict) else None
        if values is None:  # an empty repository answers "tags": null
            values = []
        if not isinstance(values, list):
            raise CorruptImageError(f"{what}: {field!r} is not a list")
        yield from (v for v in values if isinstance(v, str))
        if link is None:
            return
        path = link
    raise RegistryError(f"{what}: more than {MAX_PAGES} pages")


def list_repositories(host: str, *, tls_verify: bool | None = None,
                      auth_file: str | None = None, limits: Limits | None = None,
                      page: int = PAGE) -> list[str]:
    """Every repository of the registry at ``host`` (``HOST[:PORT]``), in catalog order."""
    transport = _transport(host, "", tls_verify=tls_verify, auth_file=auth_file,
                           limits=limits or DEFAULT_LIMITS, scope="registry:catalog:*")
    try:
        return list(_pages(transport, f"/v2/_catalog?n={page}", "repositories",
                           f"listing the catalog of {host}"))
    finally:
        transport.close()


def list_tags(host: str, repository: str, *, tls_verify: bool | None = None,
              auth_file: str | None = None, limits: Limits | None = None,
              page: int = PAGE) -> list[str]:
    """Every tag of ``repository`` on ``host``."""
    transport = _transport(host, repository, tls_verify=tls_verify, auth_file=auth_file,
                           limits=limits or DEFAULT_LIMITS)
    try:
        return list(_pages(transport, f"/v2/{repository}/tags/list?n={page}", "tags",
                           f"listing the tags of {host}/{repository}"))
    finally:
        transport.close()


__all__ = ["list_repositories", "list_tags", "next_link"]
