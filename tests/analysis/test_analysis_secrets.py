"""Secrets: by path, confirmed by content, token shapes in config files; never a value."""

from __future__ import annotations

import json

import pytest

from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import ALL, reduce, wants
from finalstage.analysis.categories import Category
from finalstage.analysis.entry import Entry
from finalstage.analysis.secrets import confirm_secret, path_secret, scan_tokens

# Shapes only: these are not credentials (AWS's documented example key, obviously fake tokens).
FAKE_AWS = "AKIAIOSFODNN7EXAMPLE"
FAKE_GH = "ghp_" + "A1b2C3d4" * 5
PEM_ARMOUR = "-----BEGIN " + "RSA PRIVATE KEY-----"


def _run(files: dict[str, bytes], modes: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    modes = modes or {}
    entries = [Entry(p, size=len(d), mode=modes.get(p, 0o644)) for p, d in files.items()]
    captured = {}
    for path, data in files.items():
        want = wants(path, len(data), modes.get(path, 0o644))
        if want:
            kept = reduce(path, data if want == ALL else data[:want])
            if kept is not None:
                captured[path] = kept
    return analyze(entries, captured)


@pytest.mark.parametrize(("path", "expected"), [
    ("root/.ssh/id_rsa", ("ssh-private-key", False)),
    ("root/.ssh/id_rsa.pub", None),
    ("home/u/.ssh/id_work", ("ssh-private-key", True)),
    ("app/.env", ("env-file", True)),
    ("app/.env.production", ("env-file", True)),
    ("app/.env.example", None),
    ("root/.aws/credentials", ("cloud-credentials", False)),
    ("root/.docker/config.json", ("registry-credentials", True)),
    ("app/config.json", None),
    ("root/.npmrc", ("npm-token", True)),
    ("app/tls/server.key", ("private-key", True)),
    ("etc/ssl/certs/ca.pem", None),
    ("app/keystore.jks", ("keystore", False)),
    ("root/.kube/config", ("kubeconfig", False)),
    # key-looking test fixtures inside package-managed trees are not candidates
    ("usr/share/go-1.19/src/crypto/tls/testdata/example-key.pem", None),
    ("usr/lib/python3.11/test/keycert.pem", None),
    ("app/node_modules/https-proxy/test/fixtures/server.key", None),
    ("app/node_modules/some-lib/.env.production", None),
])
def test_path_secret(path: str, expected: tuple[str, bool] | None) -> None:
    assert path_secret(path) == expected


def test_confirm_by_content() -> None:
    assert confirm_secret("app/.env", "env-file", b"PORT=3000\nDEBUG=1\n") is None
    assert confirm_secret("app/.env", "env-file", b"API_TOKEN=${API_TOKEN}\n") is None
    assert confirm_secret("app/.env", "env-file", b"export DB_PASSWORD='hunter2'\n") == "env-file"
    assert confirm_secret("root/.npmrc", "npm-token", b"registry=https://r.example/\n") is None
    assert confirm_secret("root/.npmrc", "npm-token",
                          b"//r.example/:_authToken=abc123\n") == "npm-token"
    assert confirm_secret("root/.npmrc", "npm-token",
                          b"//r.example/:_authToken=${NPM_TOKEN}\n") is None
    assert confirm_secret("x.pem", "private-key", b"-----BEGIN CERTIFICATE-----\n") is None
    assert confirm_secret("x.pem", "private-key", PEM_ARMOUR.encode() + b"\nMII\n") == "private-key"
    docker = {"auths": {"r.example": {"auth": "dXNlcjpwYXNz"}}}
    assert confirm_secret("root/.docker/config.json", "registry-credentials",
                          json.dumps(docker).encode()) == "registry-credentials"
    assert confirm_secret("root/.docker/config.json", "registry-credentials",
                          b'{"auths": {"r.example": {}}, "credsStore": "pass"}') is None
    assert confirm_secret("root/.docker/config.json", "registry-credentials", b"\xff[") is None


def test_token_shapes() -> None:
    assert scan_tokens(f"aws_access_key_id = {FAKE_AWS}\n".encode()) == ("aws-access-key",)
    assert scan_tokens(f"token: {FAKE_GH}\n".encode()) == ("github-token",)
    assert scan_tokens(b"nothing to see: AKIA-too-short\n") == ()


def test_analysis_reports_paths_and_kinds_never_values() -> None:
    analysis = _run({
        "app/.env": b"SECRET_KEY=s3cr3t-value-123\n",
        "app/.env.example": b"SECRET_KEY=changeme\n",
        "app/config/settings.yaml": f"github:\n  token: {FAKE_GH}\n".encode(),
        "app/config/app.yaml": b"port: 8080\n",
        "app/tls/server.key": PEM_ARMOUR.encode() + b"\nMIIEpAIBAAKCAQEA\n",
        "app/tls/server.crt": b"-----BEGIN CERTIFICATE-----\nMIID\n",
        "root/.npmrc": b"registry=https://r.example/\n",
        "root/.ssh/id_ed25519": b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n",
        "usr/share/doc/x/example.yaml": f"token: {FAKE_GH}\n".encode(),  # not scanned: package tree
    })
    assert {(s.path, s.kind) for s in analysis.secrets} == {
        ("app/.env", "env-file"), ("app/config/settings.yaml", "github-token"),
        ("app/tls/server.key", "private-key"), ("root/.ssh/id_ed25519", "ssh-private-key")}
    assert analysis.category_of["app/.env"] == Category.SECRET
    assert "root/.npmrc" not in analysis.category_of
    text = repr(analysis) + repr(analysis.secrets) + repr(analysis.categories)
    for value in ("s3cr3t-value-123", FAKE_GH, "MIIEpAIBAAKCAQEA", "b3Blbn"):
        assert value not in text


def test_large_secret_candidates_are_judged_by_name_only_when_strong() -> None:
    assert wants("root/.ssh/id_rsa", 10_000_000) > 0  # first bytes only
    analysis = analyze([Entry("root/.ssh/id_rsa", size=10), Entry("app/.env", size=10)], {})
    # nothing captured: the strong name still counts, the content-checked one does not
    assert [(s.path, s.kind) for s in analysis.secrets] == [("root/.ssh/id_rsa", "ssh-private-key")]
