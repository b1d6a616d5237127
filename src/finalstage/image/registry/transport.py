"""HTTP to one registry: scheme choice, auth, retries, redirects, error mapping (ggcr transport).

Scheme (like the Docker daemon's "insecure registry" handling, which containers-image follows
for registries marked insecure): with ``tls_verify=True``, or by default for a non-loopback
host, only verified HTTPS is used. With ``tls_verify=False``, or by default for a loopback host
(``localhost``, ``127.0.0.0/8``, ``::1``, which Docker treats as insecure by default), HTTPS
without certificate checks is tried first and plain HTTP only if the TLS connection fails.

Auth: ``GET /v2/`` once; a 401 challenge of ``Basic`` sends the host's credentials; ``Bearer``
fetches a token from the challenge's realm (``service``, ``scope=repository:REPO:pull``, with
Basic credentials when we have them) and caches it until it expires. Credentials and tokens go
only to their own origin: redirects are followed here, not by httpx, and ``Authorization`` is
dropped on any hop to another scheme/host/port (blob storage behind a redirect).

Failures: 429 and 5xx and connection errors are retried with exponential backoff (honouring
``Retry-After``, bounded), then reported as ``RegistryError`` with the status and the spec error
codes from the JSON body (read at most ``max_response_bytes``). 401/403 → ``RegistryAuthError``;
404 → ``ImageNotFoundError`` (``responses``). Every httpx exception is translated here or in
``responses``, nowhere else.

Bounds come from the run's ``Limits`` (``--limit``): ``timeout`` per connect/read/write,
``body_deadline_reads`` × ``timeout`` for a whole small body, ``max_redirects`` per request,
``max_response_bytes`` for token responses (error bodies are cut there instead), and
``download_deadline`` for everything this transport fetches, counted from its first request
(checked before each request and at every chunk of a blob: ``check_deadline``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from finalstage.errors import (
    ImageError,
    RegistryAuthError,
    RegistryError,
)
from finalstage.image.registry.auth import Challenge, Credentials, parse_challenge
from finalstage.image.registry.pacing import Deadline, RetryPolicy
from finalstage.image.registry.reference import is_loopback
from finalstage.image.registry.responses import (
    describe_transport_error,
    read_bounded,
    retry_after,
    status_error,
)
from finalstage.image.registry.tls import verifying_context
from finalstage.limits import DEFAULT_LIMITS, Limits, limit_hint

USER_AGENT = "finalstage"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


@dataclass
class _Token:
    value: str
    expires: float


@dataclass
class RegistryTransport:
    """Authenticated, retrying HTTP to one registry host for one repository."""

    host: str
    repository: str
    credentials: Credentials | None = None
    tls_verify: bool | None = None
    transport: httpx.BaseTransport | None = None
    timeout: float = DEFAULT_LIMITS.timeout
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limits: Limits = DEFAULT_LIMITS
    # The token scope asked for (default ``repository:REPO:pull``; the catalog needs
    # ``registry:catalog:*``).
    scope: str | None = None
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _insecure_client: httpx.Client | None = field(default=None, init=False, repr=False)
    _base: httpx.URL | None = field(default=None, init=False, repr=False)
    _challenge: Challenge | None = field(default=None, init=False, repr=False)
    _tokens: dict[tuple[str, str, str], _Token] = field(default_factory=dict, init=False)
    _sleep: Any = field(default=time.sleep, init=False, repr=False)
    _deadline: Deadline | None = field(default=None, init=False, repr=False)

    # --- setup -----------------------------------------------------------------------------

    def _make_client(self, verify: bool) -> httpx.Client:
        return httpx.Client(
            transport=self.transport,
            verify=verifying_context() if verify else False,
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,  # we follow them ourselves to control Authorization
            headers={"User-Agent": USER_AGENT},
        )

    def _is_insecure_allowed(self) -> bool:
        if self.tls_verify is not None:
            return not self.tls_verify
        return is_loopback(self.host)

    def close(self) -> None:
        for client in (self._client, self._insecure_client):
            if client is not None:
                client.close()

    def base_url(self) -> httpx.URL:
        """Ping ``/v2/`` once: choose the scheme and remember the auth challenge."""
        if self._base is not None:
            return self._base
        candidates = ["https"]
        if self._is_insecure_allowed():
            candidates.append("http")
        last_err: httpx.HTTPError | None = None
        for scheme in candidates:
            url = httpx.URL(f"{scheme}://{self.host}/v2/")
            client = self._client_for_scheme(scheme)
            # With a plain-HTTP fallback ahead, one failed HTTPS try is enough.
            is_probe = scheme == "https" and len(candidates) > 1
            try:
                response = self._with_retries(
                    lambda c=client, u=url: c.send(c.build_request("GET", u), stream=True),
                    f"connecting to {self.host}",
                    attempts=1 if is_probe else None,
                )
            except _TransportFailure as failure:
                last_err = failure.err
                continue
            try:
                self.read_error_body(response, f"connecting to {self.host}")
            finally:
                response.close()
            if response.status_code == 401:
                self._challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
            elif response.status_code >= 400 and response.status_code != 404:
                # 404 on /v2/ is tolerated like Docker does: some proxies only serve repos.
                raise self.status_error(response, b"", f"connecting to {self.host}")
            self._base = httpx.URL(f"{scheme}://{self.host}")
            return self._base
        assert last_err is not None
        raise RegistryError(
            f"connecting to {self.host}: {describe_transport_error(last_err, self.timeout)}",
            is_temporary=True,
        ) from last_err

    def _client_for_scheme(self, scheme: str) -> httpx.Client:
        return self._shared_client(verify=not (scheme == "https" and self._is_insecure_allowed()))

    def _shared_client(self, *, verify: bool) -> httpx.Client:
        """The one client that checks certificates, or the one that does not (made once)."""
        if not verify:
            if self._insecure_client is None:
                self._insecure_client = self._make_client(verify=False)
            return self._insecure_client
        if self._client is None:
            self._client = self._make_client(verify=True)
        return self._client

    @property
    def client(self) -> httpx.Client:
        return self._client_for_scheme(self.base_url().scheme)

    # --- auth ------------------------------------------------------------------------------

    def _auth_header(self, *, refresh: bool = False) -> str | None:
        challenge = self._challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            return self.credentials.basic_header() if self.credentials else None
        if challenge.scheme == "bearer":
            return f"Bearer {self._bearer_token(challenge, refresh=refresh)}"
        raise RegistryAuthError(
            f"authenticating to {self.host}: unsupported auth scheme {challenge.scheme!r}"
        )

    def _bearer_token(self, challenge: Challenge, *, refresh: bool) -> str:
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        scope = self.scope or f"repository:{self.repository}:pull"
        key = (realm, service, scope)
        cached = self._tokens.get(key)
        if cached and not refresh and cached.expires > time.monotonic():
            return cached.value
        realm_url = httpx.URL(realm) if realm else None
        if realm_url is None or realm_url.scheme not in ("http", "https") or not realm_url.host:
            raise RegistryAuthError(f"authenticating to {self.host}: bad token realm {realm!r}")
        params = {"scope": scope}
        if service:
            params["service"] = service
        headers = {}
        if self.credentials:
            params["account"] = self.credentials.username
            headers["Authorization"] = self.credentials.basic_header()
        what = f"fetching token for {self.host}/{self.repository} from {realm_url.host}"
        client = self._client_for_scheme(realm_url.scheme)
        response = self._with_retries(
            lambda: client.send(
                client.build_request("GET", realm_url, params=params, headers=headers)
            ),
            what,
        )
        try:
            body = self.read_body(response, what, "max_response_bytes")
        finally:
            response.close()
        if response.status_code in (401, 403):
            if self.credentials:
                why = f"wrong username or password for {self.credentials.username!r}"
            else:
                why = f"no credentials for {self.host} in the auth files"
            raise RegistryAuthError(
                f"{what}: {response.status_code} {why}", status=response.status_code
            )
        if response.status_code != 200:
            raise self.status_error(response, body, what)
        try:
            doc = json.loads(body)
            token = doc.get("token") or doc.get("access_token")
            expires_in = float(doc.get("expires_in") or 60)
        except (ValueError, AttributeError, TypeError, RecursionError) as err:
            raise RegistryAuthError(f"{what}: invalid token response") from err
        if not isinstance(token, str) or not token:
            raise RegistryAuthError(f"{what}: token response has no token")
        # Renew a little early so a token does not expire between check and use.
        self._tokens[key] = _Token(token, time.monotonic() + max(0.0, expires_in - 10))
        return token

    # --- requests --------------------------------------------------------------------------

    def backoff(self, attempt: int, delay: float | None = None) -> None:
        """Wait before try ``attempt + 1`` (``delay``: what a Retry-After asked for)."""
        self._sleep(self.retry.delay(attempt, delay))

    def check_deadline(self, what: str) -> None:
        """Raise once ``download_deadline`` seconds have passed since the first request."""
        if self._deadline is None:
            self._deadline = Deadline(self.limits.download_deadline)
        self._deadline.check(what)

    def _with_retries(self, send: Any, what: str, *, attempts: int | None = None) -> httpx.Response:
        """Send with bounded retries on connection errors, 429 and 5xx."""
        max_attempts = attempts or self.retry.attempts
        attempt = 0
        while True:
            attempt += 1
            try:
                response: httpx.Response = send()
            except httpx.HTTPError as err:
                # A TLS handshake against a plain-HTTP port will never succeed: no retry.
                # A refused connection is rarely transient: one more try only.
                limit = (
                    min(max_attempts, 2) if isinstance(err, httpx.ConnectError) else max_attempts
                )
                is_final = attempt >= limit or "ssl" in str(err).lower()
                if is_final:
                    raise _TransportFailure(err) from err
                self.backoff(attempt)
                continue
            is_retryable = response.status_code == 429 or response.status_code >= 500
            if is_retryable and attempt < max_attempts:
                delay = retry_after(response)
                response.close()
                self.backoff(attempt, delay)
                continue
            return response

    @contextmanager
    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
        not_found: str | None = None,
    ) -> Iterator[httpx.Response]:
        """A streamed response with a status in ``ok``, after auth and redirects; closed after.

        Any other status raises the mapped error; connection failures raise RegistryError.
        """
        response = self.send(method, path, what=what, headers=headers)
        try:
            if response.status_code not in ok:
                body = self.read_error_body(response, what)
                raise self.status_error(response, body, what, not_found=not_found)
            yield response
        finally:
            response.close()

    def send(
        self, method: str, path: str, *, what: str, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """Send one request (streamed) with auth, retries and same-origin-only redirects."""
        self.check_deadline(what)
        base = self.base_url()
        client = self.client
        url = base.join(path)
        is_retried_auth = False
        is_refresh_due = False
        hops = 0
        while True:
            req_headers = dict(headers or {})
            is_home = _origin(url) == _origin(base)
            auth = self._auth_header(refresh=is_refresh_due) if is_home else None
            is_refresh_due = False
            if auth:
                req_headers["Authorization"] = auth
            try:
                response = self._with_retries(
                    lambda c=client, u=url, h=req_headers: c.send(
                        c.build_request(method, u, headers=h), stream=True
                    ),
                    what,
                )
            except _TransportFailure as failure:
                raise RegistryError(
                    f"{what}: {describe_transport_error(failure.err, self.timeout)}",
                    is_temporary=True,
                ) from failure.err
            if response.status_code == 401 and is_home and not is_retried_auth:
                # A Bearer token may have expired or lack the scope, or /v2/ was open while the
                # repository is not: take the fresh challenge and try once more.
                challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
                can_retry = challenge is not None and (
                    challenge.scheme == "bearer"
                    or (challenge.scheme == "basic" and auth is None and self.credentials)
                )
                if can_retry:
                    response.close()
                    self._challenge = challenge
                    is_retried_auth = is_refresh_due = True
                    continue
            if response.is_redirect and response.headers.get("Location"):
                hops += 1
                location = response.headers["Location"]
                response.close()
                if hops > self.limits.max_redirects:
                    raise RegistryError(
                        f"{what}: more than {self.limits.max_redirects} redirects"
                        f" ({limit_hint('max_redirects')})"
                    )
                url = url.join(location)
                if url.scheme not in ("http", "https") or not url.host:
                    raise RegistryError(f"{what}: redirect to unsupported url {url.scheme}:")
                client = self._client_for_url(url, base)
                continue
            return response

    def read_body(self, response: httpx.Response, what: str, *limit_fields: str) -> bytes:
        """A small body (manifest, config, token), refused past the largest of the
        ``limit_fields`` limits and past the overall body deadline."""
        limit = max(getattr(self.limits, f) for f in limit_fields)
        return read_bounded(
            response, limit, what, limit_fields=limit_fields,
            deadline_reads=self.limits.body_deadline_reads,
        )

    def read_error_body(self, response: httpx.Response, what: str) -> bytes:
        """An error body, cut at ``max_response_bytes`` (and at the body deadline)."""
        return read_bounded(
            response, self.limits.max_response_bytes, what, is_error_body=True,
            deadline_reads=self.limits.body_deadline_reads,
        )

    def status_error(
        self, response: httpx.Response, body: bytes, what: str, *, not_found: str | None = None
    ) -> ImageError:
        """The error for a response with an unexpected status (``not_found`` words a 404)."""
        return status_error(response, body, what, host=self.host, credentials=self.credentials,
                            not_found=not_found)

    def _client_for_url(self, url: httpx.URL, base: httpx.URL) -> httpx.Client:
        if _origin(url) == _origin(base):
            return self.client
        # Another host (blob storage): verify its certificate unless it is loopback or the user
        # turned verification off.
        is_unchecked = url.scheme == "https" and (
            self.tls_verify is False or is_loopback(url.host)
        )
        return self._shared_client(verify=not is_unchecked)

class _TransportFailure(Exception):
    """Internal: a connection-level failure that outlived its retries."""

    def __init__(self, err: httpx.HTTPError) -> None:
        super().__init__(str(err))
        self.err = err


