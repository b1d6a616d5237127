"""The TLS context that checks registry certificates, made once per process.

Loading the CA bundle takes 0.1-0.3 s. Every ``RegistryTransport`` (one per repository, so one
per image of a fleet scan and one per tag list of a catalog) would otherwise load it again. The
context is the one httpx makes for ``verify=True`` (certifi, or ``SSL_CERT_FILE`` /
``SSL_CERT_DIR``), kept per value of those variables. An ``SSLContext`` may be shared by
threads and clients; it holds no connection.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx


def verifying_context() -> ssl.SSLContext:
    """The certificate-checking context for the current ``SSL_CERT_FILE``/``SSL_CERT_DIR``."""
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _context(_cert_file: str | None, _cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=True)


__all__ = ["verifying_context"]
