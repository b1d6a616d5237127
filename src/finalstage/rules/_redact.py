"""Redact credentials from any text a rule puts in a finding (message, source line).

FS111 redacts the values it reports; this is the safety net for every other rule, whose source
line may be a RUN that carries a token (`curl -H "Authorization: Bearer …"`) or a URL with a
password. Never print secrets (DESIGN).
"""

from __future__ import annotations

import re

REDACTED = "****"

# Credential formats that are recognisable on their own.
SECRET_VALUE = re.compile(
    r"(AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|"
    r"glpat-[A-Za-z0-9_-]{20}|xox[abprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{20,}|"
    r"AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|-----BEGIN [A-Z ]*PRIVATE KEY-----|"
    r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*")
# `scheme://user:password@host`: keep the user, hide the password.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]+:)(?P<secret>[^@\s/]+)(?=@)",
                           re.IGNORECASE)
# `Authorization: Bearer xyz`, `--password xyz`, `PASSWORD=xyz` inside commands.
_BEARER = re.compile(r"(?P<head>\b(?:bearer|token|basic)\s+)(?P<secret>[A-Za-z0-9._~+/=-]{8,})",
                     re.IGNORECASE)
_ASSIGNED = re.compile(
    r"(?P<head>\b[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY)"
    r"[A-Z0-9_]*\s*[=:]\s*[\"']?)(?P<secret>[^\s\"'$][^\s\"']*)", re.IGNORECASE)
_FLAG = re.compile(r"(?P<head>--(?:password|token|secret|api-key)[= ]\s*[\"']?)"
                   r"(?P<secret>[^\s\"'$][^\s\"']*)", re.IGNORECASE)


def redact_secrets(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``****``."""
    text = SECRET_VALUE.sub(REDACTED, text)
    for pattern in (_URL_PASSWORD, _BEARER, _ASSIGNED, _FLAG):
        text = pattern.sub(lambda m: m.group("head") + REDACTED, text)
    return text


__all__ = ["REDACTED", "SECRET_VALUE", "redact_secrets"]
