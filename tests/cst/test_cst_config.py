"""Structure-test configs: strict loading (as container-structure-test 1.19) and the pure parts
(permission strings, symlink resolution, $VAR in paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

from finalstage.cst import (
    FileStat,
    ImageMetadata,
    go_filemode,
    load_cst,
    needed_files,
    resolve,
    run_cst,
    substitute_env,
)
from finalstage.errors import UsageError


class DictFS:
    """A tiny in-memory filesystem for the pure functions (real images: test_cst_compare)."""

    def __init__(self, entries: dict[str, FileStat], data: dict[str, bytes] | None = None):
        self.entries = entries
        self.data = data or {}

    def lstat(self, path: str) -> FileStat | None:
        return self.entries.get("/" + path.strip("/"))

    def listdir(self, path: str) -> list[str] | None:
        prefix = "/" + path.strip("/") + "/"
        return sorted({p[len(prefix):].split("/")[0] for p in self.entries
                       if p.startswith(prefix)})

    def read(self, path: str) -> bytes | None:
        return self.data.get("/" + path.strip("/"))


FS = DictFS({
    "/bin": FileStat("dir", 0o755, 0, 0),
    "/bin/busybox": FileStat("file", 0o755, 0, 0),
    "/bin/sh": FileStat("symlink", 0o777, 0, 0, link="/bin/busybox"),
    "/usr": FileStat("dir", 0o755, 0, 0),
    "/usr/bin": FileStat("symlink", 0o777, 0, 0, link="../bin"),
    "/loop": FileStat("symlink", 0o777, 0, 0, link="/loop"),
    "/etc": FileStat("dir", 0o755, 0, 0),
    "/etc/hard": FileStat("hardlink", 0o644, 0, 0, link="etc/real"),
    "/etc/real": FileStat("file", 0o644, 0, 0),
}, {"/etc/real": b"real content\n", "/bin/busybox": b"\x7fELF"})


@pytest.mark.parametrize(("stat", "text"), [
    (FileStat("file", 0o644, 0, 0), "-rw-r--r--"),
    (FileStat("file", 0o4755, 0, 0), "urwxr-xr-x"),
    (FileStat("file", 0o2755, 0, 0), "grwxr-xr-x"),
    (FileStat("file", 0o6755, 0, 0), "ugrwxr-xr-x"),
    (FileStat("dir", 0o1777, 0, 0), "dtrwxrwxrwx"),
    (FileStat("dir", 0o750, 0, 0), "drwxr-x---"),
    (FileStat("symlink", 0o777, 0, 0), "Lrwxrwxrwx"),
    (FileStat("char", 0o666, 0, 0), "Dcrw-rw-rw-"),
    (FileStat("block", 0o660, 0, 0), "Drw-rw----"),
    (FileStat("fifo", 0o644, 0, 0), "prw-r--r--"),
    (FileStat("hardlink", 0o600, 0, 0), "-rw-------"),
])
def test_go_filemode(stat: FileStat, text: str) -> None:
    # Expected strings: Go's os.FileMode.String() for the same bits (go doc os.FileMode).
    assert go_filemode(stat) == text


def test_resolve_follows_links_inside_the_image() -> None:
    assert resolve(FS, "/bin/sh")[0] == "/bin/busybox"  # type: ignore[index]
    assert resolve(FS, "/usr/bin/busybox")[0] == "/bin/busybox"  # type: ignore[index]
    assert resolve(FS, "/bin/sh", follow_last=False)[1].kind == "symlink"  # type: ignore[index]
    assert resolve(FS, "/loop") is None           # a cycle ends, it does not hang
    assert resolve(FS, "/nope/x") is None
    assert resolve(FS, "/../../bin/busybox")[0] == "/bin/busybox"  # type: ignore[index]
    assert resolve(FS, "/")[1].kind == "dir"  # type: ignore[index]


def test_substitute_env() -> None:
    env = {"HOME": "/root", "A": "x"}
    assert substitute_env("$HOME/.cache/${A}", env) == "/root/.cache/x"
    assert substitute_env("/$MISSING/y", env) == "//y"


def test_content_through_hardlink_and_symlink(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "schemaVersion: 2.0.0\nfileContentTests:\n"
        "  - {name: hard, path: /etc/hard, expectedContents: ['^real']}\n"
        "  - {name: elf, path: /usr/bin/../bin/sh, expectedContents: ['ELF']}\n"
        "licenseTests:\n  - {files: [/etc/real]}\n")
    loaded = load_cst(config)
    assert needed_files([loaded], FS, {}) == {"/etc/real", "/bin/busybox"}
    results = run_cst(loaded, FS, ImageMetadata())
    assert [(r.name, r.status) for r in results] == [
        ("File Content Test: hard", "pass"), ("File Content Test: elf", "pass"),
        ("License Test", "pass")]


def test_command_tests_skip_without_runner(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("schemaVersion: 2.0.0\ncommandTests:\n"
                      "  - {name: hi, command: echo, args: [hi]}\n")
    (result,) = run_cst(load_cst(config), FS, ImageMetadata())
    assert result.status == "skip" and "podman" in result.errors[0]


def test_command_tests_with_a_runner(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "schemaVersion: 2.0.0\nglobalEnvVars: [{key: G, value: '1'}]\ncommandTests:\n"
        "  - {name: ok, command: echo, args: [hi], expectedOutput: ['^hi'], "
        "envVars: [{key: X, value: '2'}]}\n"
        "  - {name: code, command: 'false', exitCode: 0}\n"
        "  - {name: setup, command: echo, setup: [[touch, /x]]}\n")
    seen = []

    def runner(argv, env, entrypoint):  # a real runner needs podman: test_cst_compare
        seen.append((list(argv), list(env)))
        return ("hi\n", "", 0) if argv[0] == "echo" else ("", "", 1)

    results = run_cst(load_cst(config), FS, ImageMetadata(), runner=runner)
    assert [r.status for r in results] == ["pass", "fail", "skip"]
    assert seen[0] == (["echo", "hi"], [("G", "1"), ("X", "2")])
    assert "exit code 1, expected 0" in results[1].errors[0]


def test_metadata_messages_never_print_values(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("schemaVersion: 2.0.0\nmetadataTest:\n"
                      "  envVars: [{key: API_TOKEN, value: expected-token}]\n")
    meta = ImageMetadata(env=(("API_TOKEN", "s3cr3t-value"),))
    (result,) = run_cst(load_cst(config), FS, meta)
    assert result.status == "fail"
    assert "s3cr3t" not in " ".join(result.errors)
    assert "expected-token" not in " ".join(result.errors)


@pytest.mark.parametrize(("text", "fragment"), [
    ("schemaVersion: 1.0.0\n", "unsupported schemaVersion '1.0.0'"),
    ("fileExistenceTests: []\n", "unsupported schemaVersion ''"),
    ("schemaVersion: 2.0.0\nfileTests: []\n", "unknown field 'fileTests'"),
    ("schemaVersion: 2.0.0\nfileExistenceTests:\n  - {name: a, path: /a, mode: x}\n",
     "fileExistenceTests[0]: unknown field 'mode'"),
    ("schemaVersion: 2.0.0\nfileExistenceTests:\n  - {path: /a}\n", "every test needs a name"),
    ("schemaVersion: 2.0.0\nfileExistenceTests:\n  - {name: a}\n", "path is required"),
    ("schemaVersion: 2.0.0\nfileExistenceTests:\n  - {name: a, path: /a, uid: root}\n",
     "uid: expected int, got str"),
    ("schemaVersion: 2.0.0\nfileExistenceTests:\n  - {name: a, path: /a, shouldExist: 1}\n",
     "shouldExist: expected bool, got int"),
    ("schemaVersion: 2.0.0\nfileContentTests:\n  - {name: a, path: /a, expectedContents: ['(']}\n",
     "bad regex '('"),
    ("schemaVersion: 2.0.0\nfileContentTests: {name: a}\n", "fileContentTests must be a list"),
    ("schemaVersion: 2.0.0\nmetadataTest:\n  envVars: [{value: x}]\n", "every entry needs a key"),
    ("schemaVersion: 2.0.0\nmetadataTest:\n  env: []\n", "unknown field 'env'"),
    ("schemaVersion: 2.0.0\ncommandTests:\n  - {name: a}\n", "command is required"),
    ("- just\n- a list\n", "expected a mapping at the top level"),
    ("schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: [unclosed\n", "invalid yaml at line"),
])
def test_bad_configs(tmp_path: Path, text: str, fragment: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(UsageError) as err:
        load_cst(config)
    message = str(err.value)
    assert fragment in message and str(config) in message and "\n" not in message


def test_unreadable_config(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_cst(tmp_path / "none.yaml")
    with pytest.raises(UsageError, match="is a directory"):
        load_cst(tmp_path)
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(UsageError, match="not utf-8"):
        load_cst(binary)


def test_numbers_where_strings_are_expected(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("schemaVersion: 2.0.0\nmetadataTest:\n  user: 1000\n  workdir: /app\n")
    (result,) = run_cst(load_cst(config), FS, ImageMetadata(user="1000", workdir="/app"))
    assert result.status == "pass"


def test_podman_image_ref(tmp_path: Path) -> None:
    import tarfile

    from finalstage.cst import podman_image_ref

    assert podman_image_ref("containers-storage:localhost/app:1") == "localhost/app:1"
    assert podman_image_ref("docker-archive:/x.tar:app") == "docker-archive:/x.tar:app"
    assert podman_image_ref(str(tmp_path)) == f"oci:{tmp_path}"
    layout = tmp_path / "oci.tar"
    (tmp_path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    with tarfile.open(layout, "w") as tar:
        tar.add(tmp_path / "oci-layout", arcname="oci-layout")
    assert podman_image_ref(str(layout)) == f"oci-archive:{layout}"
    plain = tmp_path / "saved.tar"
    with tarfile.open(plain, "w") as tar:
        tar.add(tmp_path / "oci-layout", arcname="manifest.json")
    assert podman_image_ref(str(plain)) == f"docker-archive:{plain}"


def test_deeply_nested_yaml(tmp_path: Path) -> None:
    config = tmp_path / "deep.yaml"
    config.write_text("schemaVersion: 2.0.0\nfileExistenceTests: " + "[" * 20_000 + "]" * 20_000)
    with pytest.raises(UsageError, match="invalid yaml"):
        load_cst(config)
