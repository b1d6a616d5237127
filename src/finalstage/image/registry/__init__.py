"""Registry v2 image source (``docker://HOST/REPO:TAG@DIGEST``), over httpx.

Modules, one job each: ``reference`` (parse names), ``auth`` (auth files, challenges),
``transport`` (scheme, auth flow, retries, redirects, error mapping), ``pacing`` (backoff, the
download deadline), ``blob`` (streaming, resumable blob reads), ``remote`` (the ``ImageCore``:
manifests, indexes, config, layers).
"""

from __future__ import annotations

import httpx

from finalstage.image.registry.auth import find_credentials
from finalstage.image.registry.reference import Reference, parse_reference
from finalstage.image.registry.remote import RegistryCore
from finalstage.image.registry.pacing import RetryPolicy
from finalstage.image.registry.transport import RegistryTransport
from finalstage.limits import DEFAULT_LIMITS, Limits


def open_core(
    ref: str,
    *,
    platform: str | None = None,
    tls_verify: bool | None = None,
    auth_file: str | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float | None = None,
    retry: RetryPolicy | None = None,
    limits: Limits | None = None,
) -> RegistryCore:
    """Open ``ref`` (``127.0.0.1:5000/repo:tag[@sha256:…]``, optional ``docker://``) lazily.

    Nothing is fetched until the config, manifest or layers are asked for. ``transport`` lets
    tests inject an ``httpx.MockTransport``; ``tls_verify`` None means "verify, except on
    loopback" (see ``transport``). ``limits`` bound sizes, redirects and time (``--limit``);
    ``timeout``, when given, overrides ``limits.timeout``.
    """
    limits = limits or DEFAULT_LIMITS
    parsed = parse_reference(ref)
    creds = find_credentials(parsed.host, parsed.repository, auth_file=auth_file)
    http = RegistryTransport(
        host=parsed.api_host,
        repository=parsed.repository,
        credentials=creds,
        tls_verify=tls_verify,
        transport=transport,
        timeout=limits.timeout if timeout is None else timeout,
        retry=retry or RetryPolicy(),
        limits=limits,
    )
    return RegistryCore(parsed, http, platform=platform)


__all__ = ["Reference", "RegistryCore", "RetryPolicy", "open_core", "parse_reference"]
