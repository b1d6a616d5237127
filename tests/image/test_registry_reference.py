"""Reference parsing (distribution/reference grammar) and auth-file / challenge parsing."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from finalstage.errors import InvalidReferenceError, UsageError
from finalstage.image.registry.auth import Credentials, find_credentials, parse_challenge
from finalstage.image.registry.reference import is_loopback, parse_reference

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "host", "repo", "tag", "digest"),
    [
        ("127.0.0.1:5000/repo:tag", "127.0.0.1:5000", "repo", "tag", None),
        ("docker://127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c", "latest", None),
        (f"localhost/x@{DIGEST}", "localhost", "x", None, DIGEST),
        (f"reg.example:443/x:1@{DIGEST}", "reg.example:443", "x", "1", DIGEST),
        ("alpine", "docker.io", "library/alpine", "latest", None),
        ("alpine:3.20", "docker.io", "library/alpine", "3.20", None),
        ("me/app:v1", "docker.io", "me/app", "v1", None),
        ("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", None),
        ("[::1]:5000/r:t", "[::1]:5000", "r", "t", None),
        ("host.test/a__b/c-d.e:T_1", "host.test", "a__b/c-d.e", "T_1", None),
    ],
)
def test_parse(text: str, host: str, repo: str, tag: str | None, digest: str | None) -> None:
    ref = parse_reference(text)
    assert (ref.host, ref.repository, ref.tag, ref.digest) == (host, repo, tag, digest)


def test_docker_hub_api_host_and_str() -> None:
    ref = parse_reference("alpine")
    assert ref.api_host == "registry-1.docker.io"
    assert str(ref) == "docker.io/library/alpine:latest"
    assert parse_reference(f"h:1/r@{DIGEST}").identifier == DIGEST


@pytest.mark.parametrize(
    "text",
    [
        "",
        "docker://",
        "Repo:1",
        "h:1/r:-bad",
        "h:1/r@md5:abc",
        "h:1/r@sha256:xyz",
        "h:1/-r",
        "h:1//r",
        "a b",
        "h:1/r:t\n",
        "bad_host!:1/r",
        "x/" + "a" * 300,
    ],
)
def test_invalid(text: str) -> None:
    with pytest.raises(InvalidReferenceError) as info:
        parse_reference(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost:5000", True),
        ("127.0.0.1", True),
        ("127.9.9.9:1", True),
        ("[::1]:5000", True),
        ("10.0.0.1:5000", False),
        ("registry.test", False),
        ("localhost.evil.test", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_challenge_parsing() -> None:
    c = parse_challenge(
        'Bearer realm="https://auth.test/token",service="reg.test",'
        'scope="repository:a/b:pull,push",error="invalid_token"'
    )
    assert c is not None and c.scheme == "bearer"
    assert c.params == {
        "realm": "https://auth.test/token",
        "service": "reg.test",
        "scope": "repository:a/b:pull,push",
        "error": "invalid_token",
    }
    basic = parse_challenge('Basic realm="a \\"quoted\\" realm", charset=UTF-8')
    assert basic is not None and basic.scheme == "basic"
    assert basic.params == {"realm": 'a "quoted" realm', "charset": "UTF-8"}
    assert parse_challenge("") is None
    assert parse_challenge("Bearer realm") == parse_challenge("Bearer realm")  # no crash


def _write(path: Path, doc: object) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def test_credentials_forms_and_specificity(tmp_path: Path) -> None:
    b64 = base64.b64encode(b"u1:p:with:colons").decode()
    f = _write(
        tmp_path / "auth.json",
        {
            "auths": {
                "https://reg.test:5000/v1/": {"auth": b64},
                "reg.test:5000/team/app": {"username": "u2", "password": "p2"},
                "https://index.docker.io/v1/": {"username": "hub", "password": "h"},
            }
        },
    )
    assert find_credentials("reg.test:5000", "other", auth_file=f) == Credentials(
        "u1", "p:with:colons", f
    )
    assert find_credentials("reg.test:5000", "team/app", auth_file=f).username == "u2"  # type: ignore[union-attr]
    assert find_credentials("reg.test:5000", "team/app/sub", auth_file=f).username == "u2"  # type: ignore[union-attr]
    assert find_credentials("docker.io", "library/alpine", auth_file=f).username == "hub"  # type: ignore[union-attr]
    assert find_credentials("reg.test", "x", auth_file=f) is None  # port matters


def test_credentials_repr_redacts_password() -> None:
    assert "sekrit" not in repr(Credentials("me", "sekrit"))


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for var in ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    assert find_credentials("h:1", "r") is None  # no files at all: anonymous
    (home / ".docker").mkdir(parents=True)
    _write(
        home / ".docker/config.json",
        {
            "auths": {"h:1": {"username": "docker", "password": "x"}},
        },
    )
    assert find_credentials("h:1", "r").username == "docker"  # type: ignore[union-attr]
    (home / ".config/containers").mkdir(parents=True)
    _write(
        home / ".config/containers/auth.json",
        {"auths": {"h:1": {"username": "podman", "password": "x"}}},
    )
    assert find_credentials("h:1", "r").username == "podman"  # type: ignore[union-attr]
    monkeypatch.setenv(
        "REGISTRY_AUTH_FILE",
        _write(tmp_path / "env.json", {"auths": {"h:1": {"username": "env", "password": "x"}}}),
    )
    assert find_credentials("h:1", "r").username == "env"  # type: ignore[union-attr]
    explicit = _write(tmp_path / "explicit.json", {"auths": {}})
    assert find_credentials("h:1", "r", auth_file=explicit) is None  # explicit file only


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid json"),
        ("[]", "not a json object"),
        ('{"auths": []}', "'auths' is not an object"),
        ('{"auths": {"h:1": {"auth": "!!!"}}}', "not base64"),
        (
            '{"auths": {"h:1": {"auth": "' + base64.b64encode(b"nocolon").decode() + '"}}}',
            "not base64",
        ),
    ],
)
def test_bad_auth_files(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "auth.json"
    f.write_text(content)
    with pytest.raises(UsageError, match=message) as info:
        find_credentials("h:1", "r", auth_file=str(f))
    assert "\n" not in str(info.value)


def test_missing_explicit_auth_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        find_credentials("h:1", "r", auth_file=str(tmp_path / "nope.json"))


# --- docker credential helpers: real executables on PATH --------------------------------------

_HELPER = """#!/bin/sh
read server
case "$server" in
  {host}) printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}' "$server" ;;
  boom) echo "helper exploded"; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"""


def _install_helper(bin_dir: Path, name: str, host: str, user: str, secret: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(_HELPER.format(host=host, user=user, secret=secret))
    script.chmod(0o755)


@pytest.fixture
def helper_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return bin_dir


def test_cred_helpers_and_store(tmp_path: Path, helper_path: Path) -> None:
    _install_helper(helper_path, "pass", "h:1", "from-helper", "s1")
    _install_helper(helper_path, "desktop", "https://index.docker.io/v1/", "hub-user", "s2")
    f = _write(
        tmp_path / "config.json",
        {
            "auths": {"h:1": {"username": "inline", "password": "x"}, "other:2": {"auth": ""}},
            "credHelpers": {"h:1": "pass", "boom": "pass"},
            "credsStore": "desktop",
        },
    )
    creds = find_credentials("h:1", "r", auth_file=f)
    assert creds is not None and (creds.username, creds.password) == ("from-helper", "s1")
    hub = find_credentials("docker.io", "library/alpine", auth_file=f)
    assert hub is not None and hub.username == "hub-user"
    assert find_credentials("other:2", "r", auth_file=f) is None  # store knows nothing


def test_missing_helpers(tmp_path: Path, helper_path: Path) -> None:
    store_only = _write(tmp_path / "a.json", {"credsStore": "desktop"})
    assert find_credentials("h:1", "r", auth_file=store_only) is None  # skipped
    named = _write(tmp_path / "b.json", {"credHelpers": {"h:1": "ecr-login"}})
    with pytest.raises(UsageError, match="docker-credential-ecr-login is not installed"):
        find_credentials("h:1", "r", auth_file=named)
    bad_name = _write(tmp_path / "c.json", {"credHelpers": {"h:1": "../evil"}})
    with pytest.raises(UsageError, match="invalid helper name"):
        find_credentials("h:1", "r", auth_file=bad_name)


def test_failing_helper_and_identity_token(tmp_path: Path, helper_path: Path) -> None:
    _install_helper(helper_path, "pass", "tok:1", "<token>", "refresh-token")
    f = _write(tmp_path / "c.json", {"credHelpers": {"boom": "pass", "tok:1": "pass"}})
    with pytest.raises(UsageError, match="helper exploded") as info:
        find_credentials("boom", "r", auth_file=f)
    assert "\n" not in str(info.value)
    assert find_credentials("tok:1", "r", auth_file=f) is None
