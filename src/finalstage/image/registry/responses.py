"""Reading and judging a registry's HTTP responses: bounded bodies, spec error codes,
``Retry-After``, and the one mapping of a status to the error it means (ggcr transport.Error).

Kept apart from ``transport`` (who sends what, with which auth and retries): everything here
looks at one response and never sends a request.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

import httpx

from finalstage.errors import (
    CorruptImageError,
    ImageError,
    ImageNotFoundError,
    RegistryAuthError,
    RegistryError,
)
from finalstage.image.registry.auth import Credentials
from finalstage.limits import DEFAULT_LIMITS, limit_hint


def describe_transport_error(err: httpx.HTTPError, timeout: float | None = None) -> str:
    if isinstance(err, httpx.TimeoutException):
        if timeout is None:
            return "timed out"
        return f"timed out after {timeout:g} s ({limit_hint('timeout')})"
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text.lower() if text else "connection failed"


def spec_errors(body: bytes) -> tuple[tuple[str, ...], str]:
    """Spec error codes and the first message from an ``{"errors": [...]}`` body."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return (), ""
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list):
        return (), ""
    codes = tuple(str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code"))
    first = next((e for e in errors if isinstance(e, dict)), {})
    message = str(first.get("message") or "")
    return codes, message


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def content_range_start(response: httpx.Response) -> int | None:
    """Where a 206 body starts: the first byte of ``Content-Range: bytes FIRST-LAST/SIZE``
    (None when the header is missing or not a byte range)."""
    unit, _, spec = response.headers.get("Content-Range", "").strip().partition(" ")
    first = spec.partition("-")[0].strip()
    if unit.lower() != "bytes" or not first.isdigit():
        return None
    return int(first)


def status_error(
    response: httpx.Response,
    body: bytes,
    what: str,
    *,
    host: str,
    credentials: Credentials | None,
    not_found: str | None = None,
) -> ImageError:
    """The error for a response with an unexpected status (``not_found`` words a 404)."""
    status = response.status_code
    codes, message = spec_errors(body)
    detail = message.lower() if message else response.reason_phrase.lower()
    code_text = f" ({', '.join(codes)})" if codes else ""
    if status in (401, 403):
        if status == 403:
            why = "access denied"
        elif credentials:
            why = f"unauthorized: wrong username or password for {credentials.username!r}"
        else:
            why = f"unauthorized: no credentials for {host} in the auth files"
        return RegistryAuthError(f"{what}: {status} {why}{code_text}", status=status, codes=codes)
    if status == 404:
        return ImageNotFoundError(not_found or f"{what}: not found{code_text}")
    return RegistryError(
        f"{what}: {status} {detail}{code_text}",
        status=status,
        codes=codes,
        is_temporary=status == 429 or status >= 500,
    )


def read_bounded(
    response: httpx.Response,
    limit: int,
    what: str,
    *,
    is_error_body: bool = False,
    limit_fields: tuple[str, ...] = (),
    deadline_reads: int = DEFAULT_LIMITS.body_deadline_reads,
) -> bytes:
    """Read a streamed body of at most ``limit`` bytes (error bodies are just cut).

    The read timeout bounds each read; a server dripping one byte per read would never trip it,
    so small bodies also get an overall deadline of ``deadline_reads`` read timeouts.
    ``limit_fields`` name the ``--limit`` keys that raise ``limit``, for the error message.
    """
    chunks: list[bytes] = []
    total = 0
    read_timeout = (response.request.extensions.get("timeout") or {}).get("read")
    allowed = deadline_reads * read_timeout if read_timeout else None
    deadline = time.monotonic() + allowed if allowed is not None else None
    try:
        for chunk in response.iter_bytes():
            if deadline is not None and time.monotonic() > deadline:
                if is_error_body:
                    break
                raise RegistryError(
                    f"{what}: body not received within {allowed:g} s"
                    f" ({limit_hint('timeout', 'body_deadline_reads')})",
                    is_temporary=True,
                )
            total += len(chunk)
            if total > limit:
                if is_error_body:
                    chunks.append(chunk[: limit - (total - len(chunk))])
                    break
                hint = f" ({limit_hint(*limit_fields)})" if limit_fields else ""
                raise CorruptImageError(f"{what}: response larger than {limit} bytes{hint}")
            chunks.append(chunk)
    except httpx.HTTPError as err:
        if is_error_body:
            return b"".join(chunks)
        raise RegistryError(
            f"{what}: {describe_transport_error(err, read_timeout)}", is_temporary=True
        ) from err
    return b"".join(chunks)
