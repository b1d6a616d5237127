"""Image config parsing and the redaction applied by ``inspect``."""

from __future__ import annotations

import json

import pytest

from finalstage.errors import CorruptImageError
from finalstage.image.config import parse_config
from finalstage.redact import REDACTED, redact_text, redact_value


def test_parse_full_config() -> None:
    cfg = parse_config(
        json.dumps(
            {
                "os": "linux",
                "architecture": "arm64",
                "variant": "v8",
                "created": "2024-01-01T00:00:00Z",
                "config": {
                    "User": "app",
                    "Entrypoint": ["/bin/sh", "-c", "exec app"],
                    "Cmd": ["--serve"],
                    "Env": ["A=1", "B=x=y", "EMPTY="],
                    "WorkingDir": "/srv",
                    "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
                    "Labels": {"b": "2", "a": "1"},
                    "Volumes": {"/data": {}},
                },
                "history": [
                    {"created_by": "ADD x /"},
                    {"created_by": "ENV A=1", "empty_layer": True},
                    {"created_by": "RUN build"},
                ],
                "rootfs": {
                    "type": "layers",
                    "diff_ids": ["sha256:" + "a" * 64, "sha256:" + "b" * 64],
                },
            }
        ).encode()
    )
    assert cfg.user == "app" and cfg.workdir == "/srv"
    assert cfg.is_entrypoint_shell_form and not cfg.is_cmd_shell_form
    assert cfg.env == (("A", "1"), ("B", "x=y"), ("EMPTY", ""))
    assert cfg.exposed_ports == ("53/udp", "8080/tcp")
    assert cfg.labels == (("a", "1"), ("b", "2"))
    assert [h.created_by for h in cfg.layer_history()] == ["ADD x /", "RUN build"]
    assert cfg.diff_ids is not None and len(cfg.diff_ids) == 2


def test_tolerates_nulls_and_legacy_v1_json() -> None:
    cfg = parse_config(b'{"config": {"Env": null, "Cmd": null, "Labels": null}, "history": null}')
    assert cfg.env == () and cfg.cmd is None and cfg.history == () and cfg.diff_ids is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[]",
        b"{bad",
        b'{"config": []}',
        b'{"config": {"Env": [1]}}',
        b'{"config": {"Cmd": {"a": 1}}}',
        b'{"rootfs": {"diff_ids": "x"}}',
        b'{"history": ["x"]}',
        b"\xff\xfe",
    ],
)
def test_bad_configs_are_corrupt(raw: bytes) -> None:
    with pytest.raises(CorruptImageError, match="^reading image config: "):
        parse_config(raw)


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("DB_PASSWORD", "hunter2", REDACTED),
        ("GITHUB_TOKEN", "x", REDACTED),
        ("AWS_SECRET_ACCESS_KEY", "y", REDACTED),
        ("GPG_KEY", "ABCD", REDACTED),
        ("NOTHING", "AKIAABCDEFGHIJKLMNOP", REDACTED),
        ("PATH", "/usr/bin", "/usr/bin"),
        ("AUTHOR", "me", "me"),
        (
            "PIP_INDEX_URL",
            "https://user:pw@pypi.example/simple",
            f"https://user:{REDACTED}@pypi.example/simple",
        ),
        ("EMPTY_TOKEN", "", ""),
    ],
)
def test_redact_value(name: str, value: str, shown: str) -> None:
    assert redact_value(name, value) == shown


def test_redact_text_in_commands() -> None:
    line = (
        "RUN curl -u admin:pw1 https://u:pw2@h/x && export API_KEY=pw3 "
        "&& mysql --password=pw4 && echo ghp_abcdefghijklmnopqrstuvwxyz0123456789 && mkdir -p /a/b"
    )
    out = redact_text(line)
    for secret in ("pw1", "pw2", "pw3", "pw4", "ghp_abc"):
        assert secret not in out
    assert "mkdir -p /a/b" in out and "admin:" in out
