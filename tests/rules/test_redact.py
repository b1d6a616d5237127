"""Credentials never reach a finding's message or source line, whatever rule reports it."""

from __future__ import annotations

import pytest

from finalstage.api.lint import lint_text
from finalstage.redact import redact_text


@pytest.mark.parametrize("text, secret", [
    ('curl -H "Authorization: Bearer abcdefgh12345" https://x', "abcdefgh12345"),
    ("https://user:hunter2@example.com/x", "hunter2"),
    ("TOKEN=abc123 ./x", "abc123"),
    ("mysql --password=s3cretpw", "s3cretpw"),
    ("echo AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("-----BEGIN RSA PRIVATE KEY-----", "BEGIN RSA PRIVATE KEY"),
])
def test_redact_text(text: str, secret: str) -> None:
    assert secret not in redact_text(text)
    assert "****" in redact_text(text)


@pytest.mark.parametrize("text", ["npm ci --omit=dev", "echo $TOKEN", "apt-get install -y gcc"])
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact_text(text) == text


def test_other_rules_redact_their_source_lines() -> None:
    text = ("FROM debian:12-slim\nUSER 1\n"
            "RUN curl -fsSL -H 'Authorization: token ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
            "https://example.com/install.sh | sh\n"
            "ADD https://deploy:hunter2pw@example.com/tool.tgz /opt/\n")
    findings = lint_text(text, select=["FS116", "FS115"])
    assert [f.rule for f in findings] == ["FS116", "FS115"]
    for finding in findings:
        shown = f"{finding.message} {finding.source_line}"
        assert "ghp_aaaa" not in shown and "hunter2pw" not in shown
