"""The one place secrets are hidden: every output path (text, JSON, SARIF, JUnit, GitHub, HTML)
shows only what went through here.

Three entry points, for the three shapes secrets arrive in:

- ``redact_value(name, value)``: an ``ENV``/label pair; the whole value goes when the *name*
  looks secret (``DB_PASSWORD``) or the value looks like a credential on its own;
- ``redact_text(text)``: free-form text (a ``created_by`` line, a ``RUN`` command, a message):
  credentials inside it go, the rest stays readable;
- ``is_secret_name(name)``: whether a variable name announces a secret.

One mask, ``****``, everywhere, so a reader (or a grep in CI) recognises it in every format.
This module sits at the bottom of the import graph: it imports nothing from finalstage.
"""

from __future__ import annotations

import re

REDACTED = "****"

_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|KEY|CREDENTIAL|PRIVATE|AUTH(?!OR)|COOKIE",
    re.IGNORECASE,
)
# Credential formats that are recognisable on their own, whatever name they are stored under.
SECRET_VALUE = re.compile(
    r"(?:AKIA|ASIA)[0-9A-Z]{16}"                      # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{30,}"                    # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{30,}"
    r"|glpat-[A-Za-z0-9_-]{20,}"                      # GitLab
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"                  # Slack
    r"|sk_live_[A-Za-z0-9]{16,}"                      # Stripe
    r"|AIza[0-9A-Za-z_-]{35}"                         # Google API key
    r"|npm_[A-Za-z0-9]{30,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # JWT
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
# `scheme://user:password@host`: keep the user, hide the password.
_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]+:)(?P<secret>[^@\s/]+)(?=@)", re.IGNORECASE)
# `Authorization: Bearer xyz`, `token xyz`.
_BEARER = re.compile(
    r"(?P<head>\b(?:bearer|token|basic)\s+)(?P<secret>[A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)
# `DB_PASSWORD=xyz`, `api_key: xyz` inside commands and messages.
_ASSIGNED = re.compile(
    r"(?P<head>\b[A-Z0-9_.-]*(?:PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|KEY|CREDENTIAL|PRIVATE"
    r"|AUTH(?!OR)|COOKIE)[A-Z0-9_.-]*\s*[=:]\s*)"
    r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s\"'$;&|][^\s\"';&|]*)",
    re.IGNORECASE)
# `--password xyz`, `--token=xyz`.
_FLAG = re.compile(
    r"(?P<head>--?(?:password|passwd|token|secret|api-key|apikey)[= ]\s*[\"']?)"
    r"(?P<secret>[^\s\"'$][^\s\"']*)", re.IGNORECASE)
# `curl -u user:password`.
_CURL_USER = re.compile(r"(?P<head>(?:-u|--user)[= ]?[^:\s]+:)(?P<secret>\S+)")


def is_secret_name(name: str) -> bool:
    """Whether a variable or label name announces a secret (``API_TOKEN``, ``db.password``)."""
    return bool(_SECRET_NAME.search(name))


def redact_text(text: str) -> str:
    """``text`` with every credential-looking value inside it replaced by ``****``."""
    text = SECRET_VALUE.sub(REDACTED, text)
    for pattern in (_URL_PASSWORD, _BEARER, _ASSIGNED, _FLAG, _CURL_USER):
        text = pattern.sub(_mask, text)
    return text


def _mask(match: re.Match[str]) -> str:
    secret = match.group("secret")
    quote = secret[0] if secret[:1] in ("'", '"') and len(secret) > 1 else ""
    return f"{match.group('head')}{quote}{REDACTED}{quote}"


def redact_value(name: str, value: str) -> str:
    """The value to show for ``name=value``: ``****`` when either looks secret, else the value
    with credentials inside it (a URL password) hidden."""
    if value and (is_secret_name(name) or SECRET_VALUE.search(value)):
        return REDACTED
    return redact_text(value)


__all__ = ["REDACTED", "SECRET_VALUE", "is_secret_name", "redact_text", "redact_value"]
