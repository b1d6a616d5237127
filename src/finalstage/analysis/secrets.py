"""Secrets: which paths look like credentials, and content checks that confirm them.

Only the *kind* of secret and its path ever leave this module — never a value, never a line of
the file. Path tables are data; content checks run only on the few bytes the reader captured for
candidate files (see ``capture.wants``), never on every file.
"""

from __future__ import annotations

import json
import re

# Base names that are a secret by themselves.
SECRET_NAMES: dict[str, str] = {
    "id_rsa": "ssh-private-key", "id_dsa": "ssh-private-key", "id_ecdsa": "ssh-private-key",
    "id_ed25519": "ssh-private-key", "id_ecdsa_sk": "ssh-private-key",
    "id_ed25519_sk": "ssh-private-key", ".git-credentials": "git-credentials",
    ".netrc": "netrc-credentials", "_netrc": "netrc-credentials", ".pgpass": "database-password",
    ".htpasswd": "password-file", ".env": "env-file", ".dockercfg": "registry-credentials",
    "terraform.tfstate": "terraform-state", "credentials.db": "cloud-credentials",
    "access_tokens.db": "cloud-credentials", "accessTokens.json": "cloud-credentials",
    "application_default_credentials.json": "cloud-credentials",
}

# (parent directory name, base name) pairs.
SECRET_PARENT_NAMES: dict[tuple[str, str], str] = {
    (".aws", "credentials"): "cloud-credentials",
    (".docker", "config.json"): "registry-credentials",
    (".kube", "config"): "kubeconfig",
    (".ssh", "identity"): "ssh-private-key",
    ("containers", "auth.json"): "registry-credentials",
}

# Names that are only a secret when their content says so.
CONTENT_CHECKED_NAMES: dict[str, str] = {
    ".npmrc": "npm-token", ".yarnrc.yml": "npm-token", ".pypirc": "pypi-credentials",
    "settings.xml": "maven-credentials", ".env": "env-file", "config.json": "registry-credentials",
    "auth.json": "registry-credentials", "credentials.json": "cloud-credentials",
}

# Suffixes: binary key stores are secrets by name; text keys need a PEM private-key header.
SECRET_SUFFIXES: dict[str, str] = {
    ".p12": "keystore", ".pfx": "keystore", ".jks": "keystore", ".keystore": "keystore",
    ".ppk": "ssh-private-key",
}
CONTENT_CHECKED_SUFFIXES: dict[str, str] = {".pem": "private-key", ".key": "private-key"}

# .env.example and friends are templates, not secrets.
_ENV_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl")

# Trees where key-looking files are public material shipped by packages (CA bundles).
_PUBLIC_TREES = ("etc/ssl/certs/", "usr/share/ca-certificates/", "etc/pki/ca-trust/",
                 "usr/share/pki/", "etc/ca-certificates/", "usr/lib/ssl/certs/")

# Trees installed by package managers: key-looking files there are test fixtures and examples
# (Go's crypto/tls testdata, CPython's test suite), so content-checked candidates are skipped.
_PACKAGE_TREES = ("usr/share/", "usr/lib/", "usr/lib64/", "usr/libexec/", "usr/include/",
                  "usr/src/", "usr/local/go/", "usr/local/lib/", "lib/", "opt/java/")
_PACKAGE_MARKERS = ("node_modules/", "site-packages/", "dist-packages/", "/gems/")

# Token shapes with a distinctive prefix: few false positives, cheap to scan.
TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("private-key", re.compile(rb"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("aws-access-key", re.compile(rb"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")),
    ("github-token", re.compile(rb"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("gitlab-token", re.compile(rb"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("slack-token", re.compile(rb"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("google-api-key", re.compile(rb"\bAIza[0-9A-Za-z_\-]{35}")),
    ("stripe-key", re.compile(rb"\b[sr]k_live_[0-9a-zA-Z]{20,}")),
    ("npm-token", re.compile(rb"\bnpm_[A-Za-z0-9]{36}\b")),
    ("cloud-credentials", re.compile(rb'"type"\s*:\s*"service_account"')),
)

_SECRET_VAR = re.compile(
    rb"^\s*(?:export\s+)?[A-Za-z0-9_]*(?:TOKEN|SECRET|PASSW|PASSWD|PASSWORD|API_?KEY|PRIVATE|"
    rb"CREDENTIAL|AUTH|ACCESS_KEY|DSN|DATABASE_URL)[A-Za-z0-9_]*\s*=\s*(?P<v>\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_NPMRC_AUTH = re.compile(rb"^\s*(?:\S*:)?_(?:authToken|auth|password)\s*=\s*(?P<v>\S.*)$",
                         re.MULTILINE)
_PYPIRC_PASSWORD = re.compile(rb"^\s*password\s*[=:]\s*(?P<v>\S.*)$", re.MULTILINE)
_MAVEN_PASSWORD = re.compile(rb"<password>\s*(?P<v>[^<\s][^<]*)</password>")
_YARNRC_TOKEN = re.compile(rb"^\s*npmAuth(?:Token|Ident)\s*:\s*(?P<v>\S.*)$", re.MULTILINE)


TRIGGER_NAMES = frozenset({*SECRET_NAMES, *CONTENT_CHECKED_NAMES,
                            *(name for _, name in SECRET_PARENT_NAMES)})
TRIGGER_PREFIXES = (".env.", "id_")
TRIGGER_SUFFIXES = frozenset({*SECRET_SUFFIXES, *CONTENT_CHECKED_SUFFIXES})


def maybe_secret_name(name: str) -> bool:
    """Cheap pre-check on a base name: False means ``path_secret`` would return None."""
    return (name in TRIGGER_NAMES or name.startswith(TRIGGER_PREFIXES)
            or name[name.rfind("."):].lower() in TRIGGER_SUFFIXES)


def path_secret(path: str) -> tuple[str, bool] | None:
    """``(kind, needs_content)`` when ``path`` (normalised, no leading ``/``) may be a secret.

    ``needs_content`` is True when only the file's content can tell (``.npmrc`` without a token is
    just configuration; a ``.pem`` may be a public certificate).
    """
    slash = path.rfind("/")
    name = path[slash + 1:]
    kind = SECRET_NAMES.get(name)
    if kind is not None:
        return kind, name == ".env"
    if slash > 0:
        parent = path[path.rfind("/", 0, slash) + 1:slash]
        kind = SECRET_PARENT_NAMES.get((parent, name))
        if kind is not None:
            return kind, kind == "registry-credentials"
        if parent == ".ssh" and name.startswith("id_") and not name.endswith(".pub"):
            return "ssh-private-key", True
    if name.startswith(".env.") and not name.endswith(_ENV_TEMPLATE_SUFFIXES):
        return ("env-file", True) if not _in_package_tree(path) else None
    kind = CONTENT_CHECKED_NAMES.get(name)
    if kind is not None and not _in_package_tree(path):
        if name in ("config.json", "auth.json", "credentials.json") and not _maybe_cred_dir(path):
            return None
        return kind, True
    dot = name.rfind(".")
    if dot > 0:
        ext = name[dot:].lower()
        kind = SECRET_SUFFIXES.get(ext)
        if kind is not None:
            return kind, False
        kind = CONTENT_CHECKED_SUFFIXES.get(ext)
        if kind is not None and not path.startswith(_PUBLIC_TREES) and not _in_package_tree(path):
            return kind, True
    return None


def _in_package_tree(path: str) -> bool:
    return path.startswith(_PACKAGE_TREES) or any(m in path for m in _PACKAGE_MARKERS)


def _maybe_cred_dir(path: str) -> bool:
    """Generic names (config.json) are only candidates in credential-ish places."""
    return any(marker in path for marker in (".docker/", "containers/", "gcloud/", "secrets/",
                                             "credentials/", ".config/"))


def confirm_secret(path: str, kind: str, data: bytes) -> str | None:
    """The secret kind if ``data`` (the file's first bytes) confirms the candidate, else None."""
    name = path[path.rfind("/") + 1:]
    if kind == "env-file":
        return kind if _has_value(_SECRET_VAR, data) else None
    if kind == "npm-token":
        pattern = _YARNRC_TOKEN if name == ".yarnrc.yml" else _NPMRC_AUTH
        return kind if _has_value(pattern, data) else None
    if kind == "pypi-credentials":
        return kind if _has_value(_PYPIRC_PASSWORD, data) else None
    if kind == "maven-credentials":
        return kind if _has_value(_MAVEN_PASSWORD, data) else None
    if kind == "registry-credentials":
        return kind if _docker_config_has_auth(data) else None
    if kind in ("private-key", "ssh-private-key"):
        return kind if (b"PRIVATE KEY-----" in data or b"PuTTY-User-Key" in data) else None
    if kind == "cloud-credentials":
        return kind if (b"private_key" in data or b"refresh_token" in data
                        or b"aws_secret_access_key" in data.lower()) else None
    return kind


# A literal every match of each token pattern contains: ``in`` on bytes is a fast C search, so
# a pattern's regex only runs on files that hold one (most config files hold none).
_TOKEN_LITERALS: dict[str, tuple[bytes, ...]] = {
    "private-key": (b"-----BEGIN ",), "aws-access-key": (b"AKIA", b"ASIA"),
    "github-token": (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"),
    "gitlab-token": (b"glpat-",), "slack-token": (b"xox",), "google-api-key": (b"AIza",),
    "stripe-key": (b"k_live_",), "npm-token": (b"npm_",), "cloud-credentials": (b"service_account",),
}
assert set(_TOKEN_LITERALS) == {kind for kind, _ in TOKEN_PATTERNS}


def scan_tokens(data: bytes) -> tuple[str, ...]:
    """Kinds of well-known token shapes found in ``data`` (a config file), sorted, unique."""
    found = {kind for kind, pattern in TOKEN_PATTERNS
             if any(literal in data for literal in _TOKEN_LITERALS[kind]) and pattern.search(data)}
    return tuple(sorted(found))


def _has_value(pattern: re.Pattern[bytes], data: bytes) -> bool:
    """True when some match has a literal value (not empty, not a ``${VAR}`` reference)."""
    for match in pattern.finditer(data):
        value = match.group("v").strip().strip(b"\"'")
        if value and not value.startswith((b"${", b"$(")) and value not in (b'""', b"''"):
            return True
    return False


def _docker_config_has_auth(data: bytes) -> bool:
    """A docker/containers auth file with at least one non-empty auth or identity token."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    if not isinstance(doc, dict):
        return False
    auths = doc.get("auths", doc)  # .dockercfg has the registries at the top level
    if not isinstance(auths, dict):
        return False
    for value in auths.values():
        if isinstance(value, dict) and any(
            isinstance(value.get(key), str) and value.get(key)
            for key in ("auth", "identitytoken", "password", "registrytoken")
        ):
            return True
    return False
