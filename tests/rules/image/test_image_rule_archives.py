"""Image rules on small hand-made image archives (tests/data/make_layers.py): the cases the
example images do not cover — setuid beyond the base set, thresholds, config forms, options,
bad content — read through the real archive reader, tree merge and analysis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from make_layers import F, config, docker_archive, layer, sha

from finalstage.errors import UsageError
from finalstage.findings import Finding, Severity
from finalstage.image.open import open_image
from tests.harness.examine import Examination, examine
from finalstage.rules._helpers import command_words
from finalstage.rules.image.package_manager_in_final_image import (
    family_of,
    needed_families,
)
from finalstage.rules.runtime.root_user import is_root

ELF_STUB = b"\x7fELF" + b"\x00" * 60
KEY = (b"-----BEGIN OPENSSH PRIVATE KEY-----\n" + b"b3BlbnNzaC1rZXktdjEAAAAA" * 4
       + b"\n-----END OPENSSH PRIVATE KEY-----\n")


def build(tmp_path: Path, layers: list[list[F]], *, user: str = "1000",
          entrypoint: list[str] | None = None, cmd: list[str] | None = None,
          history: list[str] | None = None) -> str:
    tars = [layer(members) for members in layers]
    cfg = config([sha(t) for t in tars], history=history)
    doc = json.loads(cfg)
    doc["config"] = {"User": user, "Entrypoint": entrypoint, "Cmd": cmd}
    path = docker_archive(str(tmp_path / "img.tar"), tars, cfg=json.dumps(doc).encode())
    return f"docker-archive:{path}"


def run(ref: str, **kwargs: object) -> Examination:
    return examine(open_image(ref), **kwargs)  # type: ignore[arg-type]


def rules(ex: Examination, code: str) -> list[Finding]:
    return [f for f in ex.findings if f.rule == code]


@pytest.fixture()
def bad_image(tmp_path: Path) -> str:
    """A root, shell-form image with a sudo binary, a key, npm, dpkg, make and waste."""
    return build(tmp_path, [
        [F("bin/", kind="d", mode=0o755), F("bin/sh", ELF_STUB, mode=0o755),
         F("usr/", kind="d"), F("usr/bin/", kind="d"),
         F("usr/bin/sudo", ELF_STUB * 10, mode=0o4755),
         F("usr/bin/passwd", ELF_STUB, mode=0o4755),
         F("usr/bin/dpkg", ELF_STUB * 3, mode=0o755),
         F("usr/bin/make", ELF_STUB * 5, mode=0o755),
         F("usr/local/lib/node_modules/npm/index.js", b"module.exports = 1\n" * 20)],
        [F("tmp/", kind="d", mode=0o1777), F("tmp/blob.bin", b"x" * 200_000),
         F("root/", kind="d", mode=0o700), F("root/.ssh/id_ed25519", KEY, mode=0o600)],
        [F("tmp/.wh.blob.bin")],
    ], user="0", entrypoint=["/bin/sh", "-c", "npm start"],
        history=["base", "RUN curl -o /tmp/blob.bin https://example.invalid/x", "RUN rm"])


@pytest.fixture()
def clean_image(tmp_path: Path) -> str:
    return build(tmp_path, [
        [F("app/", kind="d"), F("app/server", ELF_STUB * 100, mode=0o755),
         F("etc/", kind="d"), F("etc/passwd", b"app:x:1000:1000::/:/sbin/nologin\n")],
    ], user="app", entrypoint=["/app/server"], cmd=["--port", "8080"])


def test_fs209_fires_on_sudo_but_not_on_passwd(bad_image: str) -> None:
    [found] = rules(run(bad_image), "FS209")
    assert found.paths == ("/usr/bin/sudo",) and "4755" in found.message
    assert found.layer == 0 and found.created_by == "base"


def test_fs209_passes_with_the_allowed_option(bad_image: str) -> None:
    ex = run(bad_image, options={"setuid-file": {"allowed": ["sudo"]}})
    assert rules(ex, "FS209") == []


def test_fs208_fires_on_a_private_key_without_its_value(bad_image: str) -> None:
    [found] = rules(run(bad_image), "FS208")
    assert found.paths == ("/root/.ssh/id_ed25519",) and found.severity is Severity.ERROR
    assert "b3BlbnNz" not in found.message and "BEGIN" not in found.message


def test_fs208_passes_on_a_clean_image(clean_image: str) -> None:
    assert rules(run(clean_image), "FS208") == []


def test_fs301_fires_over_the_percent_threshold(bad_image: str) -> None:
    [found] = rules(run(bad_image), "FS301")
    assert found.bytes == 200_000 and found.paths == ("/tmp/blob.bin",)
    assert found.layer == 1 and "curl" in (found.created_by or "")


def test_fs301_passes_under_configured_thresholds(bad_image: str) -> None:
    opts = {"waste-over-threshold": {"max-bytes": 1_000_000, "max-percent": 100.0}}
    assert rules(run(bad_image, options=opts), "FS301") == []


def test_fs202_fires_on_make_as_an_error(bad_image: str) -> None:
    [found] = rules(run(bad_image), "FS202")
    assert found.severity is Severity.ERROR and found.paths == ("/usr/bin/make",)


def test_fs202_passes_on_a_clean_image(clean_image: str) -> None:
    assert rules(run(clean_image), "FS202") == []


def test_fs203_fires_for_dpkg_but_passes_for_npm_run_by_the_entrypoint(bad_image: str) -> None:
    found = rules(run(bad_image), "FS203")
    assert [f.paths for f in found] == [("/usr/bin/dpkg",)]


def test_fs203_passes_when_configured_as_needed(bad_image: str) -> None:
    ex = run(bad_image, options={"package-manager-in-final-image": {"needed": ["os"]}})
    assert rules(ex, "FS203") == []


def test_fs401_fires_on_uid_0(bad_image: str) -> None:
    [root] = rules(run(bad_image), "FS401")
    assert "0" in root.message and root.layer is None and root.bytes is None


def test_fs402_fires_on_a_sh_c_entrypoint(bad_image: str) -> None:
    [shell] = rules(run(bad_image), "FS402")
    assert "ENTRYPOINT runs through a shell" in shell.message and shell.severity is Severity.WARNING


def test_fs401_passes_on_a_named_user(clean_image: str) -> None:
    assert rules(run(clean_image), "FS401") == []


def test_fs402_passes_on_exec_form(clean_image: str) -> None:
    ex = run(clean_image)
    assert rules(ex, "FS402") == []
    assert ex.findings == ()  # the clean image has nothing to report at all


def test_select_and_ignore(bad_image: str) -> None:
    ex = run(bad_image, select=["FS4"], ignore=["FS402"])
    assert {f.rule for f in ex.findings} == {"FS401"}
    with pytest.raises(UsageError):
        run(bad_image, select=["no-such-rule"])


def test_bad_package_databases_become_warnings(tmp_path: Path) -> None:
    ref = build(tmp_path, [[
        F("app/package-lock.json", b"\x00\xff garbage {"),
        F("app/node_modules/x/package.json", bytes(range(256)) * 4),
        F("var/lib/dpkg/status", b"Package: \n\n\x00\x01Status: ???\n"),
        F("lib/apk/db/installed", b"P:\nV\n\x00"),
    ]])
    ex = run(ref)
    assert ex.analysis.warnings  # malformed content is reported, never raised
    assert all(f.rule.startswith(("FS2", "FS3", "FS4")) for f in ex.findings)


@pytest.mark.parametrize("user, root", [(None, True), ("", True), ("root", True), ("0", True),
                                        ("0:0", True), ("root:app", True), ("app", False),
                                        ("10001:10001", False), ("nonroot:nonroot", False)])
def test_is_root(user: str | None, root: bool) -> None:
    assert is_root(user) is root


@pytest.mark.parametrize("argv, families", [
    (["/bin/sh", "-c", "npm start"], {"npm"}),
    (["/bin/sh", "-c", "cd /app && yarn run serve"], {"yarn"}),
    (["python", "-m", "pip", "list"], {"pip"}),
    (["node", "src/server.js"], set()),
    (["/bin/sh", "-c", "echo 'unbalanced"], set()),
    (["/usr/local/bin/npx", "serve"], {"npm"}),
])
def test_needed_families(argv: list[str], families: set[str]) -> None:
    assert needed_families(argv) == families


def test_family_of_paths() -> None:
    assert family_of("usr/local/lib/node_modules/npm/lib/cli.js") == "npm"
    assert family_of("opt/venv/lib/python3.11/site-packages/pip/__init__.py") == "pip"
    assert family_of("usr/bin/apt-get") == "os"


def test_command_words_split_shell_operators() -> None:
    assert command_words(["/bin/sh", "-c", "a && b;c|d"]) == ["/bin/sh", "-c", "a", "b", "c",
                                                               "d"]


@pytest.mark.parametrize("options", [
    {"waste-over-threshold": {"max-bytes": "10M"}},
    {"waste-over-threshold": {"max-percent": -1}},
    {"docs-over-threshold": {"min-bytes": None}},
    {"setuid-file": {"allowed": [1, 2]}},
])
def test_bad_rule_options_are_usage_errors(clean_image: str, options: dict) -> None:
    with pytest.raises(UsageError, match="rules\\."):
        run(clean_image, options=options)


def test_a_lone_string_option_is_one_name(bad_image: str) -> None:
    ex = run(bad_image, options={"setuid-file": {"allowed": "sudo"}})
    assert rules(ex, "FS209") == []


def test_unknown_rule_option_is_a_usage_error(clean_image: str) -> None:
    with pytest.raises(UsageError, match="unknown option 'max-byte'"):
        run(clean_image, options={"waste-over-threshold": {"max-byte": 1}})
