"""`finalstage inspect` and `finalstage ls` end to end, through the real console entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from make_layers import F, docker_archive, layer

EVIL = "evil\x1b]0;pwned\x07name"
L0 = layer(
    [
        F("etc/", kind="d"),
        F("etc/app.conf", b"x" * 300),
        F("bin/tool", b"t" * 5000, mode=0o755),
        F("bin/alias", kind="l", link="tool"),
        F(EVIL, b"1"),
    ]
)
L1 = layer([F("etc/app.conf", b"y" * 100), F("bin/.wh.alias")])


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("cli")
    from make_layers import config, sha

    cfg = config(
        [sha(L0), sha(L1)],
        history=["ADD rootfs /", "RUN curl -u admin:hunter2 https://bob:s3cret@example.com/x"],
        env=[
            "PATH=/bin",
            "DB_PASSWORD=hunter2",
            "API_TOKEN=abc",
            "HOME=/root",
            "GH=ghp_0123456789abcdefghijklmnopqrstuvwxyz",
        ],
    )
    return docker_archive(str(tmp / "img.tar"), [L0, L1], cfg=cfg)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "finalstage", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_inspect_json(image: str) -> None:
    p = run("inspect", image, "--format", "json", "--top", "3")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["schema_version"] == 1
    assert {
        "reference",
        "digest",
        "platform",
        "size",
        "layers",
        "files",
        "tree",
        "largest",
        "waste",
        "config",
    } <= doc.keys()
    assert doc["size"]["uncompressed"] == len(L0) + len(L1)
    assert [x["files"] for x in doc["layers"]] == [5, 1]
    assert doc["waste"]["bytes"] == 300
    assert doc["waste"]["paths"][0] == {
        "path": "/etc/app.conf",
        "bytes": 300,
        "copies": 1,
        "layers": [0],
    }
    assert doc["largest"][0] == {"path": "/bin/tool", "size": 5000, "layer": 0}
    assert doc["config"]["env"]["PATH"] == "/bin"
    assert doc["config"]["user"] == "1000" and doc["config"]["cmd_shell_form"] is False
    assert p.stderr == ""  # no progress bar when stderr is not a TTY


def test_secrets_never_printed(image: str) -> None:
    for fmt in ("text", "json"):
        p = run("inspect", image, "--format", fmt)
        assert p.returncode == 0
        for secret in ("hunter2", "s3cret", 'abc"', "ghp_0123456789"):
            assert secret not in p.stdout, (fmt, secret)
    doc = json.loads(run("inspect", image, "--format", "json").stdout)
    assert doc["config"]["env"]["DB_PASSWORD"] == "****"
    assert doc["config"]["env"]["API_TOKEN"] == "****"
    assert doc["config"]["env"]["HOME"] == "/root"
    assert "bob:****@example.com" in doc["layers"][1]["created_by"]


def test_inspect_text_escapes_control_characters(image: str) -> None:
    p = run("inspect", image, "--depth", "3")
    assert p.returncode == 0
    assert "\x1b" not in p.stdout and "\x07" not in p.stdout
    assert "evil\\x1b]0;pwned\\x07name" in p.stdout


def test_ls_long_shows_layer_and_escapes(image: str) -> None:
    p = run("ls", image, "-l")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    names = [line.rsplit(" ", 1)[-1] for line in lines]
    assert names == ["bin", "etc", "evil\\x1b]0;pwned\\x07name"]
    p = run("ls", image, "/etc", "-l")
    (line,) = p.stdout.splitlines()
    assert (
        line.startswith("-rw-r--r--")
        and " 100 " in line
        and " L1 " in line
        and line.endswith("app.conf")
    )


def test_ls_recursive_and_file(image: str) -> None:
    p = run("ls", image, "/bin", "-R")
    assert p.stdout.splitlines() == ["/bin/tool"]  # the symlink was whited out
    p = run("ls", image, "/bin/tool", "-l", "--format", "json")
    (entry,) = json.loads(p.stdout)["entries"]
    assert entry == {
        "path": "/bin/tool",
        "type": "file",
        "mode": 0o755,
        "uid": 0,
        "gid": 0,
        "size": 5000,
        "mtime": 1_700_000_000,
        "link": None,
        "layer": 0,
    }


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("inspect", "/no/such.tar"), "no such file"),
        (("inspect", "oci-archiv:thing.tar"), "unknown transport 'oci-archiv'"),
        (("inspect", "oci-archiv:thing.tar"), "did you mean oci-archive:?"),
        (("ls", "IMAGE", "/nope"), "no such file or directory in the image"),
        (("inspect", "IMAGE", "--format", "xml"), "unknown output format 'xml': use text|json"),
        (("inspect", "IMAGE", "--platform", "amd64"), "invalid platform"),
        (("inspect", "IMAGE", "--depth", "-1"), "--depth"),
    ],
)
def test_bad_input_one_line_exit_2(image: str, args: tuple[str, ...], fragment: str) -> None:
    p = run(*[image if a == "IMAGE" else a for a in args])
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("finalstage: ")
    assert fragment in p.stderr
    assert "Traceback" not in p.stderr


def test_corrupt_layer_exit_2(tmp_path: Path) -> None:
    from make_layers import sha

    path = docker_archive(str(tmp_path / "bad.tar"), [L0], diff_ids=[sha(L1)])
    p = run("inspect", path)
    assert p.returncode == 2 and "digest mismatch" in p.stderr and p.stderr.count("\n") == 1


# -- contents (issue 5) and caches (issue 7) -------------------------------------------------

PKG_LOCK = (
    b'{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},'
    b'"node_modules/jest":{"version":"29.0.0","dev":true},'
    b'"node_modules/express":{"version":"4.0.0"}}}'
)
C0 = layer(
    [
        F("app/", kind="d"),
        F("app/package-lock.json", PKG_LOCK),
        F("app/node_modules/jest/package.json", b'{"name":"jest","version":"29.0.0"}'),
        F("app/node_modules/jest/index.js", b"j" * 2000),
        F("app/node_modules/express/package.json", b'{"name":"express","version":"4.0.0"}'),
        F("app/node_modules/express/index.js", b"e" * 1000),
        F("usr/bin/gcc", b"\x7fELF" + b"\0" * 4000, mode=0o755),
    ]
)


@pytest.fixture(scope="module")
def contents_image(tmp_path_factory) -> str:
    return docker_archive(str(tmp_path_factory.mktemp("contents") / "c.tar"), [C0])


def run_env(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "finalstage", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **env},
        timeout=60,
        check=False,
    )


def test_inspect_json_carries_contents_and_findings(contents_image: str, tmp_path: Path) -> None:
    p = run_env("inspect", contents_image, "--format", "json", FINALSTAGE_CACHE_DIR=str(tmp_path))
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    packages = {(x["ecosystem"], x["name"]): x for x in doc["contents"]["packages"]}
    assert packages[("npm", "jest")]["is_dev"] is True
    assert packages[("npm", "express")]["is_dev"] is False
    dev = [f for f in doc["findings"] if "jest" in f["message"]]
    assert dev and set(dev[0]) >= {"rule", "severity", "message", "bytes", "layer", "paths"}
    assert dev[0]["layer"] == 0 and dev[0]["paths"] == ["/app/node_modules/jest"]
    assert not [f for f in doc["findings"] if "express" in f["message"]]
    cats = {c["category"]: c for c in doc["contents"]["categories"]}
    assert cats and all({"bytes", "files", "layer", "top"} <= set(c) for c in cats.values())
    assert sum(c["files"] for c in cats.values()) <= 6


def test_inspect_no_classify_has_no_contents(contents_image: str, tmp_path: Path) -> None:
    p = run_env(
        "inspect", contents_image, "--format", "json", "--no-classify",
        FINALSTAGE_CACHE_DIR=str(tmp_path),
    )
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert "contents" not in doc and doc["findings"] == []
    assert doc["files"] == 6  # regular files: the lockfile, 2 manifests, 2 scripts, gcc


def test_inspect_text_packages_table(contents_image: str, tmp_path: Path) -> None:
    p = run_env("inspect", contents_image, "--packages", FINALSTAGE_CACHE_DIR=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "\ncontents\n" in p.stdout and "packages (" in p.stdout
    assert any(line.split()[:2] == ["npm", "jest"] for line in p.stdout.splitlines())
    plain = run_env("inspect", contents_image, FINALSTAGE_CACHE_DIR=str(tmp_path))
    assert "packages (" not in plain.stdout and "\ncontents\n" in plain.stdout


@pytest.mark.parametrize("report_cache", ["1", "0"])
def test_warm_cache_gives_the_same_report(
    contents_image: str, tmp_path: Path, report_cache: str
) -> None:
    cache = tmp_path / "cache"
    env = {"FINALSTAGE_CACHE_DIR": str(cache), "FINALSTAGE_REPORT_CACHE": report_cache}
    cold = run_env("inspect", contents_image, "--format", "json", "--no-cache", **env)
    first = run_env("inspect", contents_image, "--format", "json", **env)
    assert list(cache.iterdir())  # the run filled the cache
    warm = run_env("inspect", contents_image, "--format", "json", **env)
    assert cold.returncode == first.returncode == warm.returncode == 0
    assert cold.stdout == first.stdout == warm.stdout


def test_no_cache_and_no_verify_write_nothing(contents_image: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for extra in (["--no-cache"], ["--no-verify"]):
        p = run_env("inspect", contents_image, *extra, FINALSTAGE_CACHE_DIR=str(cache))
        assert p.returncode == 0, p.stderr
    assert not cache.exists()


def test_corrupt_cache_entries_are_rebuilt(contents_image: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"FINALSTAGE_CACHE_DIR": str(cache)}
    good = run_env("inspect", contents_image, "--format", "json", **env)
    for entry in cache.iterdir():
        entry.write_bytes(b"garbage" * 10)
    again = run_env("inspect", contents_image, "--format", "json", **env)
    assert again.returncode == 0 and again.stderr == "" and again.stdout == good.stdout


def test_changed_layer_file_is_not_served_from_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = Path(docker_archive(str(tmp_path / "img.tar"), [L1]))
    first = run_env("inspect", str(path), FINALSTAGE_CACHE_DIR=str(cache))
    assert first.returncode == 0, first.stderr
    data = path.read_bytes()
    pos = data.index(b"y" * 100)
    path.write_bytes(data[:pos] + b"z" + data[pos + 1 :])  # same size, same config, other bytes
    p = run_env("inspect", str(path), FINALSTAGE_CACHE_DIR=str(cache))
    assert p.returncode == 2 and "digest mismatch" in p.stderr, p.stderr


def test_ls_warm_cache_same_listing(image: str, tmp_path: Path) -> None:
    env = {"FINALSTAGE_CACHE_DIR": str(tmp_path / "c")}
    cold = run_env("ls", image, "-l", "-R", "--no-cache", **env)
    first = run_env("ls", image, "-l", "-R", **env)
    warm = run_env("ls", image, "-l", "-R", **env)
    assert cold.returncode == first.returncode == warm.returncode == 0, cold.stderr
    assert cold.stdout == first.stdout == warm.stdout and list((tmp_path / "c").iterdir())
