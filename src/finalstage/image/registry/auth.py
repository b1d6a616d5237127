"""Registry credentials from auth files, and ``WWW-Authenticate`` challenge parsing.

Credentials are looked up the way containers-image (skopeo, podman) does, first hit wins:

1. the ``auth_file`` argument (``--authfile``), alone when given;
2. ``$REGISTRY_AUTH_FILE``;
3. ``$XDG_RUNTIME_DIR/containers/auth.json``, then ``~/.config/containers/auth.json``;
4. ``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``.

Within a file, ``auths`` keys match the most specific first (``host/namespace/repo`` … ``host``,
as containers auth.json allows), with any ``https://`` prefix and ``/v1/`` suffix ignored
(``https://index.docker.io/v1/`` is Docker Hub). An entry gives either a base64 ``auth``
(``user:password``) or ``username``/``password``.

Docker credential helpers are run as Docker runs them (``docker-credential-NAME get``, the
server on stdin, ``{"Username", "Secret"}`` JSON on stdout): a ``credHelpers`` entry for the
host first, then inline ``auths`` credentials, then the global ``credsStore``. A helper that
knows no credentials for the host means anonymous; a ``credsStore`` helper that is not
installed is skipped (configs copied from Docker Desktop name one), a ``credHelpers`` helper
that is not installed is an error. OAuth2 identity tokens (``identitytoken``, helper username
``<token>``) are not supported: the registry is then tried anonymously.

Credentials are only ever attached to requests for the host they were found for (see
``transport``); their ``repr`` never shows the password.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finalstage.errors import UsageError
from finalstage.escape import one_line

_MAX_AUTH_FILE = 1 << 20
_HELPER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_HELPER_TIMEOUT = 30.0


@dataclass(frozen=True)
class Credentials:
    """A username and password for one registry host (repr redacts the password)."""

    username: str
    password: str = field(repr=False)
    source: str = ""

    def basic_header(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"


def default_auth_files() -> list[Path]:
    """The auth files consulted when none is given explicitly, in priority order."""
    files: list[Path] = []
    if env := os.environ.get("REGISTRY_AUTH_FILE"):
        files.append(Path(env))
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        files.append(Path(runtime) / "containers" / "auth.json")
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    files.append(Path(config_home) / "containers" / "auth.json")
    docker_dir = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    files.append(Path(docker_dir) / "config.json")
    return files


def _normalise_key(key: str) -> str:
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
            # Only old Docker-style URL keys carry a path such as /v1/; strip it.
            key = key.split("/", 1)[0]
    key = key.rstrip("/")
    if key in ("index.docker.io", "registry-1.docker.io"):
        return "docker.io"
    return key


def _read_config(path: Path, *, is_explicit: bool) -> Mapping[str, Any] | None:
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_AUTH_FILE + 1)
    except FileNotFoundError:
        if is_explicit:
            raise UsageError(f"reading auth file {path}: no such file") from None
        return None
    except OSError as err:
        raise UsageError(f"reading auth file {path}: {err.strerror or err}") from err
    if len(data) > _MAX_AUTH_FILE:
        raise UsageError(f"reading auth file {path}: larger than 1 MiB")
    try:
        doc = json.loads(data) if data.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise UsageError(f"reading auth file {path}: invalid json") from err
    if not isinstance(doc, dict):
        raise UsageError(f"reading auth file {path}: not a json object")
    for key in ("auths", "credHelpers"):
        if not isinstance(doc.get(key, {}), dict):
            raise UsageError(f"reading auth file {path}: {key!r} is not an object")
    if not isinstance(doc.get("credsStore", ""), str):
        raise UsageError(f"reading auth file {path}: 'credsStore' is not a string")
    return doc


def _helper_server(host: str) -> str:
    # Docker stores Docker Hub credentials under its historical v1 URL.
    return "https://index.docker.io/v1/" if host == "docker.io" else host


def _run_helper(name: str, host: str, path: Path, *, is_required: bool) -> Credentials | None:
    """Ask ``docker-credential-NAME`` for ``host``'s credentials (None: it has none)."""
    where = f"reading auth file {path}: credential helper {name!r}"
    if not _HELPER_NAME.match(name):
        raise UsageError(f"{where}: invalid helper name")
    program = shutil.which(f"docker-credential-{name}")
    if program is None:
        if is_required:
            raise UsageError(f"{where}: docker-credential-{name} is not installed")
        return None
    try:
        res = subprocess.run(
            [program, "get"],
            input=_helper_server(host),
            capture_output=True,
            text=True,
            timeout=_HELPER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise UsageError(f"{where}: timed out after {_HELPER_TIMEOUT:g}s") from err
    except OSError as err:
        raise UsageError(f"{where}: {err.strerror or err}") from err
    if res.returncode != 0:
        out = (res.stdout.strip() or res.stderr.strip()).splitlines()
        message = out[0] if out else f"exit status {res.returncode}"
        if "credentials not found" in message.lower():
            return None
        raise UsageError(f"{where}: {one_line(message)[:200]}")
    try:
        doc = json.loads(res.stdout)
        user, secret = doc.get("Username"), doc.get("Secret")
    except (ValueError, AttributeError) as err:
        raise UsageError(f"{where}: output is not credentials json") from err
    if not isinstance(user, str) or not isinstance(secret, str) or not user:
        return None
    if user == "<token>":  # an OAuth2 identity token: not supported, go anonymous
        return None
    return Credentials(user, secret, f"{path} (docker-credential-{name})")


def _decode_entry(entry: object, path: Path, key: str) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    where = f"reading auth file {path}: entry {key!r}"
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as err:
            raise UsageError(f"{where}: 'auth' is not base64 of user:password") from err
        if not sep:
            raise UsageError(f"{where}: 'auth' is not base64 of user:password")
        return Credentials(user, password, str(path))
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(secret, str) and name:
        return Credentials(name, secret, str(path))
    return None


def find_credentials(
    host: str, repository: str, *, auth_file: str | None = None
) -> Credentials | None:
    """Credentials for ``host`` (and ``repository``), or None for anonymous access."""
    files = [Path(auth_file)] if auth_file else default_auth_files()
    parts = repository.split("/")
    wanted = [f"{host}/{'/'.join(parts[:i])}" for i in range(len(parts), 0, -1)] + [host]
    for path in files:
        doc = _read_config(path, is_explicit=bool(auth_file))
        if not doc:
            continue
        helpers = {_normalise_key(k): v for k, v in doc.get("credHelpers", {}).items()}
        helper = helpers.get(host)
        if isinstance(helper, str) and helper:
            creds = _run_helper(helper, host, path, is_required=True)
            if creds:
                return creds
        auths = doc.get("auths", {})
        by_key = {_normalise_key(k): v for k, v in auths.items() if isinstance(k, str)}
        for key in wanted:
            if key in by_key and (creds := _decode_entry(by_key[key], path, key)):
                return creds
        store = doc.get("credsStore")
        if store and (creds := _run_helper(store, host, path, is_required=False)):
            return creds
    return None


@dataclass(frozen=True)
class Challenge:
    """One parsed ``WWW-Authenticate`` challenge: scheme (lower-case) and its parameters."""

    scheme: str
    params: Mapping[str, str]


def parse_challenge(header: str) -> Challenge | None:
    """Parse the first challenge of a ``WWW-Authenticate`` header (RFC 7235 auth-params)."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " ,":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        name = rest[i:eq].strip().lower()
        i = eq + 1
        if i < n and rest[i] == '"':
            i += 1
            value = []
            while i < n and rest[i] != '"':
                if rest[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(rest[i])
                i += 1
            i += 1  # closing quote
            params[name] = "".join(value)
        else:
            end = rest.find(",", i)
            end = n if end < 0 else end
            params[name] = rest[i:end].strip()
            i = end
    return Challenge(scheme.lower(), params)
