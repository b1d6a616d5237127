"""slim on a hand-made image (no container engine needed): the closure and its reasons, the
writer (sorted, reproducible, hard links, symlinks, xattrs, whiteouts, mtimes), every output
format read back by finalstage and by real tools, and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from _images import BUSYBOX, make_image, tree_hash

import finalstage
from finalstage.cli import main
from finalstage.errors import UsageError
from finalstage.fs.merge import merged_tree

pytestmark = pytest.mark.skipif(BUSYBOX is None, reason="needs the host's static busybox")


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_image(tmp_path_factory.mktemp("image") / "app.oci")


def _dry(image: Path, **kw: object) -> finalstage.Report:
    return finalstage.slim(f"oci:{image}", dry_run=True, **kw)  # type: ignore[arg-type]


def test_closure_keeps_the_program_and_says_why(image: Path) -> None:
    plan = _dry(image).detail.plan
    kept = {k.path: k for k in plan.kept}
    for path in ("/app/run.sh", "/bin/busybox", "/bin/sh", "/bin/cat", "/etc/passwd",
                 "/etc/group", "/app/data.txt", "/app/same.txt", "/tmp"):
        assert path in kept, path
    for path in ("/usr/lib/unused.so", "/app/tests/test_run.sh", "/app/.env",
                 "/app/README.md", "/app/old.txt", "/bin/ls"):
        assert path not in kept, path
    assert kept["/app/run.sh"].chain == ("ENTRYPOINT",)
    assert kept["/bin/busybox"].chain[0] == "#! interpreter of /app/run.sh"
    assert kept["/bin/cat"].chain[0].startswith("symlink on the way to /bin/cat")
    assert plan.argv == ("/app/run.sh",)
    assert plan.kept_bytes < plan.source_bytes
    removed = {c.category: c for c in plan.removed}
    assert removed["tests"].files == 1 and removed["docs"].files == 1


def test_busybox_applet_is_no_shell(tmp_path: Path) -> None:
    # /bin/cat is busybox: invoked as cat it is an applet, so its argument is no shell script
    as_cat = make_image(tmp_path / "cat.oci", entrypoint=["/bin/cat", "/app/README.md"])
    kept = {k.path for k in _dry(as_cat).detail.plan.kept}
    assert "/bin/cat" in kept and "/bin/busybox" in kept
    assert "/app/README.md" not in kept
    # invoked as busybox sh, it is one, and the script it runs is kept
    as_sh = make_image(tmp_path / "sh.oci", entrypoint=["/bin/busybox", "sh", "/app/run.sh"])
    kept_sh = {k.path: k for k in _dry(as_sh).detail.plan.kept}
    assert kept_sh["/app/run.sh"].chain[0] == "script run by /bin/busybox"


def test_explain_kept_and_dropped(image: Path) -> None:
    plan = _dry(image, explain=["/bin/busybox", "/app/.env", "/usr/lib/unused.so", "/nope"]
                ).detail.plan
    by_path = {e.path: e for e in plan.explanations}
    assert by_path["/bin/busybox"].is_kept and by_path["/bin/busybox"].chain
    assert by_path["/app/.env"].reason == "possible secret (by its name)"
    assert by_path["/usr/lib/unused.so"].reason.startswith("not reached")
    assert by_path["/nope"].reason == "not in the image"


def test_include_and_exclude(image: Path) -> None:
    plan = _dry(image, include=["/usr/lib/*.so"], exclude=["/app/data.txt"]).detail.plan
    kept = {k.path for k in plan.kept}
    assert "/usr/lib/unused.so" in kept
    assert "/app/data.txt" not in kept


def _write(image: Path, dest: str, env: dict[str, str] | None = None) -> dict:
    argv = [sys.executable, "-m", "finalstage", "slim", f"oci:{image}", "-o", dest,
            "--no-verify", "--format", "json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_written_image_is_reproducible_and_faithful(image: Path, tmp_path: Path) -> None:
    before = tree_hash(image)
    one = _write(image, f"oci:{tmp_path}/one:slim")
    two = _write(image, f"oci:{tmp_path}/two:slim")
    assert one["output"]["manifest_digest"] == two["output"]["manifest_digest"]
    assert tree_hash(image) == before, "the source must never be modified"
    slim = finalstage.open_image(f"oci:{tmp_path}/one:slim")
    tree = merged_tree(slim)
    assert {"/" + p for p in tree.entries if p} == {k["path"] for k in one["kept"]}
    assert tree.get("tmp").mode == 0o1777
    assert tree.get("app/same.txt").kind == "h"
    assert tree.get("bin/sh").link == "busybox"
    cfg = slim.config
    assert cfg.entrypoint == ("/app/run.sh",) and cfg.workdir == "/app"
    assert cfg.user == "1000:1000" and cfg.exposed_ports == ("8080/tcp",)
    labels = dict(cfg.labels)
    assert labels["org.example"] == "yes"
    assert labels["org.opencontainers.image.base.digest"] == one["source_digest"]
    history = cfg.raw["history"]
    assert len(history) == 1 and one["source_digest"] in history[0]["comment"]


def test_layer_tar_keeps_xattrs_links_and_order(image: Path, tmp_path: Path) -> None:
    doc = _write(image, f"docker-archive:{tmp_path}/slim.tar:slim:1")
    with tarfile.open(tmp_path / "slim.tar") as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        assert manifest[0]["RepoTags"] == ["slim:1"]
        layer = outer.extractfile(manifest[0]["Layers"][0])
        assert layer is not None
        (tmp_path / "layer.tar").write_bytes(layer.read())
    listing = subprocess.run(["tar", "--xattrs", "--xattrs-include=*", "-tvvf",
                              str(tmp_path / "layer.tar")], capture_output=True, text=True,
                             check=True).stdout
    assert "x: 4 user.note" in listing
    assert "security.capability" in listing
    assert "app/same.txt link to app/data.txt" in listing
    names = [n for n in (line.split(" -> ")[0].split(" link to ")[0].split()[-1]
                         for line in listing.splitlines() if not line.startswith("  "))]
    assert names == sorted(names, key=lambda n: n.split("/")), names
    assert doc["size_after"] < doc["size_before"]


def test_source_date_epoch_clamps_mtimes(image: Path, tmp_path: Path) -> None:
    _write(image, f"oci:{tmp_path}/epoch:slim", env={"SOURCE_DATE_EPOCH": "1000"})
    tree = merged_tree(finalstage.open_image(f"oci:{tmp_path}/epoch:slim"))
    assert {e.mtime for e in tree.entries.values() if e.path} == {1000}


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="needs skopeo")
def test_oci_archive_reads_back_with_skopeo(image: Path, tmp_path: Path) -> None:
    doc = _write(image, f"oci-archive:{tmp_path}/slim.oci.tar:v1")
    out = subprocess.run(["skopeo", "inspect", "--raw", f"oci-archive:{tmp_path}/slim.oci.tar:v1"],
                         capture_output=True, text=True, check=True).stdout
    manifest = json.loads(out)
    assert manifest["layers"][0]["digest"] == doc["output"]["layer_digest"]
    assert finalstage.open_image(f"oci-archive:{tmp_path}/slim.oci.tar:v1").config.entrypoint


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def test_image_without_entrypoint_is_a_usage_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bare = make_image(tmp_path / "bare.oci", entrypoint=[], cmd=None)
    code, _, err = _cli(["slim", f"oci:{bare}", "--dry-run"], capsys)
    assert code == 2
    assert "no ENTRYPOINT or CMD" in err and err.count("\n") == 1


@pytest.mark.parametrize("dest, message", [
    ("oci:/nonexistent-dir/sub/out", "does not exist"),
    ("docker-archive:/", "is a directory"),
    ("oci:/etc/passwd", "is a file"),
    ("docker://registry.example.invalid/x:1", "slim writes"),
])
def test_unwritable_destination(image: Path, dest: str, message: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(["slim", f"oci:{image}", "-o", dest], capsys)
    assert code == 2, err
    assert message in err and err.count("\n") == 1


def test_output_is_required_without_dry_run(image: Path) -> None:
    with pytest.raises(UsageError, match="-o DEST"):
        finalstage.slim(f"oci:{image}")


def test_verify_without_podman_is_a_usage_error(image: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "finalstage", "slim", f"oci:{image}", "-o",
                           f"oci:{tmp_path}/out", "--verify"], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr == "finalstage: --verify needs podman, which is not installed\n"
    assert not (tmp_path / "out").exists()


def test_text_report(image: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["slim", f"oci:{image}", "--dry-run", "--explain", "/app/.env"], capsys)
    assert code == 0
    assert "(dry run: nothing written)" in out
    assert "dropped  /app/.env: possible secret (by its name)" in out
    assert "/bin/busybox ← #! interpreter of /app/run.sh ←" in out
