"""docker-archive and OCI layout sources on hand-made images: happy paths and broken ones."""

from __future__ import annotations

import gzip
import json
import lzma
import os
import tarfile
from pathlib import Path

import pytest
from make_layers import F, config, docker_archive, layer, oci_layout, sha

from finalstage.errors import (
    CorruptImageError,
    DigestMismatchError,
    ImageNotFoundError,
    InvalidReferenceError,
    UnsafeArchiveError,
    UnsupportedMediaTypeError,
)
from finalstage.fs.merge import merged_tree
from finalstage.image.open import open_image
from finalstage.image.refs import ImageRef, parse_reference

L0 = layer([F("etc/", kind="d"), F("etc/hostname", b"box\n"), F("tmp/cache.bin", b"c" * 4096)])
L1 = layer([F("tmp/.wh.cache.bin"), F("app/run", b"#!/bin/sh\n", mode=0o755)])


def _paths(img) -> set[str]:
    return {p for p in merged_tree(img).entries if p}


def test_docker_archive_round_trip(tmp_path: Path) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0, L1])
    img = open_image(path)
    assert _paths(img) == {"etc", "etc/hostname", "tmp", "app", "app/run"}
    assert merged_tree(img).waste_bytes == 4096
    assert img.reference == f"docker-archive:{path}:test:latest"
    assert img.digest is None and img.id.startswith("sha256:")
    assert img.manifest["layers"][0]["digest"] == sha(L0)


@pytest.mark.parametrize("wrap", ["gzip", "xz"])
def test_wrapped_docker_archive(tmp_path: Path, wrap: str) -> None:
    raw = Path(docker_archive(str(tmp_path / "img.tar"), [L0, L1], gzip_layers=True)).read_bytes()
    out = tmp_path / f"img.tar.{'gz' if wrap == 'gzip' else 'xz'}"
    out.write_bytes(gzip.compress(raw) if wrap == "gzip" else lzma.compress(raw))
    img = open_image(str(out))
    assert _paths(img) == {"etc", "etc/hostname", "tmp", "app", "app/run"}
    assert img.scan()[0].compression == "gzip"


@pytest.mark.parametrize("bad", ["../outside.tar", "/etc/passwd", "a/../../b.tar"])
def test_manifest_paths_outside_the_archive_are_unsafe(tmp_path: Path, bad: str) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0], manifest_layers=[bad])
    with pytest.raises(UnsafeArchiveError, match="points outside the archive"):
        open_image(path)


def test_missing_layer_member(tmp_path: Path) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0], manifest_layers=["nothere/layer.tar"])
    with pytest.raises(CorruptImageError, match="missing layer 'nothere/layer.tar'"):
        open_image(path)


def test_layer_count_differs_from_diff_ids(tmp_path: Path) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0, L1], diff_ids=[sha(L0)])
    with pytest.raises(CorruptImageError, match="2 layers but the config has 1 diff_ids"):
        open_image(path)


def test_wrong_diff_id_is_caught_while_streaming(tmp_path: Path) -> None:
    path = docker_archive(str(tmp_path / "img.tar"), [L0], diff_ids=[sha(L1)])
    img = open_image(path)
    with pytest.raises(DigestMismatchError, match="reading layer 0"):
        merged_tree(img)


def test_flipped_byte_in_layer_of_archive(tmp_path: Path) -> None:
    path = Path(docker_archive(str(tmp_path / "img.tar"), [L0]))
    data = bytearray(path.read_bytes())
    pos = data.find(b"c" * 4096)
    data[pos + 100] = ord("d")
    path.write_bytes(bytes(data))
    with pytest.raises(DigestMismatchError):
        merged_tree(open_image(str(path)))


def test_truncated_archive(tmp_path: Path) -> None:
    path = Path(docker_archive(str(tmp_path / "img.tar"), [L0, L1]))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 7])
    with pytest.raises(CorruptImageError, match="reading archive"):
        open_image(str(path))


def test_truncated_gzip_wrapped_archive(tmp_path: Path) -> None:
    raw = Path(docker_archive(str(tmp_path / "img.tar"), [L0, L1])).read_bytes()
    out = tmp_path / "img.tar.gz"
    out.write_bytes(gzip.compress(raw)[:-30])
    with pytest.raises(CorruptImageError, match="unexpected end of gzip stream"):
        open_image(str(out))


def test_bad_manifest_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.tar"
    with tarfile.open(path, "w") as tf:
        data = b"{not json"
        ti = tarfile.TarInfo("manifest.json")
        ti.size = len(data)
        import io

        tf.addfile(ti, io.BytesIO(data))
    with pytest.raises(CorruptImageError, match="manifest.json: invalid json"):
        open_image(str(path))


def test_empty_and_garbage_files(tmp_path: Path) -> None:
    (tmp_path / "empty.tar").write_bytes(b"")
    (tmp_path / "junk.tar").write_bytes(os.urandom(3000))
    with pytest.raises(CorruptImageError):
        open_image(str(tmp_path / "empty.tar"))
    with pytest.raises(CorruptImageError):
        open_image(str(tmp_path / "junk.tar"))


def test_oci_layout_round_trip_and_ref(tmp_path: Path) -> None:
    root = oci_layout(str(tmp_path / "oci"), [L0, L1], ref="v1")
    img = open_image(f"oci:{root}:v1")
    assert _paths(img) == {"etc", "etc/hostname", "tmp", "app", "app/run"}
    assert img.digest is not None and img.scan()[1].compression == "gzip"
    assert open_image(root).digest == img.digest  # bare directory, single image
    with pytest.raises(ImageNotFoundError, match="no image named 'v2'; available: v1"):
        open_image(f"oci:{root}:v2")


def test_oci_layout_missing_blob(tmp_path: Path) -> None:
    root = oci_layout(str(tmp_path / "oci"), [L0, L1], skip_blobs=[1])
    with pytest.raises(CorruptImageError, match=r"missing blob sha256:[0-9a-f]{64} \(layer 1\)"):
        open_image(root)


def test_oci_layout_unknown_layer_media_type(tmp_path: Path) -> None:
    root = oci_layout(str(tmp_path / "oci"), [L0], layer_media_type="application/x-mystery")
    with pytest.raises(UnsupportedMediaTypeError, match="application/x-mystery"):
        open_image(root)


def test_oci_artifact_is_not_an_image(tmp_path: Path) -> None:
    root = oci_layout(
        str(tmp_path / "oci"), [L0], config_media_type="application/vnd.cncf.helm.config.v1+json"
    )
    with pytest.raises(UnsupportedMediaTypeError, match="is an artifact"):
        open_image(root)


def test_oci_tampered_config_blob(tmp_path: Path) -> None:
    root = Path(oci_layout(str(tmp_path / "oci"), [L0]))
    cfg = config([sha(L0)])
    blob = root / "blobs" / "sha256" / sha(cfg)[7:]
    blob.chmod(0o644)
    blob.write_bytes(cfg.replace(b"amd64", b"arm64"))
    with pytest.raises(DigestMismatchError, match="config: digest mismatch"):
        open_image(str(root))


def test_oci_archive_is_the_same_code_over_a_tar(tmp_path: Path) -> None:
    root = oci_layout(str(tmp_path / "oci"), [L0, L1])
    out = tmp_path / "oci.tar"
    with tarfile.open(out, "w") as tf:
        for name in ("oci-layout", "index.json", "blobs"):
            tf.add(os.path.join(root, name), arcname=name)
    a, b = open_image(root), open_image(str(out))
    assert b.reference.startswith("oci-archive:")
    assert a.digest == b.digest and _paths(a) == _paths(b)
    assert open_image(f"oci-archive:{out}:latest").digest == a.digest


def test_layer_traversal_inside_image(tmp_path: Path) -> None:
    import io

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        ti = tarfile.TarInfo("../../etc/cron.d/evil")
        ti.size = 1
        tf.addfile(ti, io.BytesIO(b"x"))
    root = oci_layout(str(tmp_path / "oci"), [buf.getvalue()])
    with pytest.raises(UnsafeArchiveError, match=r"reading layer 0 \(sha256:.*path traversal"):
        merged_tree(open_image(root))


def test_gzip_bomb_layer_in_image(tmp_path: Path) -> None:
    from make_layers import raw_header

    from finalstage.image.image import Image
    from finalstage.image.open import open_core
    from finalstage.limits import Limits

    size = 96 << 20
    tar = raw_header("zeros", size) + bytes(size) + bytes(1024)
    path = docker_archive(str(tmp_path / "bomb.tar"), [tar], gzip_layers=True)
    del tar
    img = Image(open_core(path), limits=Limits(ratio_after=32 << 20))
    with pytest.raises(UnsafeArchiveError, match="likely a compression bomb"):
        merged_tree(img)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("docker-archive:/x/y.tar", ImageRef("docker-archive", "/x/y.tar")),
        ("docker-archive:/x/y.tar:app:1.0", ImageRef("docker-archive", "/x/y.tar:app", "1.0")),
        ("oci:/x/dir:latest", ImageRef("oci", "/x/dir", "latest")),
        ("oci:/x/dir", ImageRef("oci", "/x/dir")),
        ("oci-archive:/x/o.tar:v1", ImageRef("oci-archive", "/x/o.tar", "v1")),
        (
            "docker://registry.local:5000/app/api:1.2",
            ImageRef("docker", "registry.local:5000/app/api:1.2"),
        ),
        ("docker-daemon:app:latest", ImageRef("docker-daemon", "app:latest")),
        ("containers-storage:localhost/app", ImageRef("containers-storage", "localhost/app")),
        ("some/file.tar.gz", ImageRef("archive", "some/file.tar.gz")),
    ],
)
def test_parse_reference(text: str, expected: ImageRef) -> None:
    assert parse_reference(text) == expected


def test_parse_reference_splits_where_the_path_exists(tmp_path: Path) -> None:
    p = tmp_path / "a.tar"
    p.write_bytes(b"")
    assert parse_reference(f"docker-archive:{p}:example.com/x/y:tag") == ImageRef(
        "docker-archive", str(p), "example.com/x/y:tag"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "docker:app",
        "docker://UPPER/Case",
        "oci:",
        "oci-archiv:x.tar",
        "Upper/Case",
        "a\x1bb.tar",
    ],
)
def test_bad_references(text: str) -> None:
    with pytest.raises(InvalidReferenceError):
        parse_reference(text)


def test_missing_remote_source_module_is_a_clear_error(monkeypatch) -> None:
    import importlib

    real = importlib.import_module

    def fake(name: str, *a):
        if name == "finalstage.image.storage":
            raise ModuleNotFoundError(name=name)
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", fake)
    from finalstage.errors import ImageError

    with pytest.raises(ImageError, match="containers-storage source is not available"):
        open_image("containers-storage:app")


def test_platform_selection_on_index(tmp_path: Path) -> None:
    amd = oci_layout(str(tmp_path / "amd"), [L0], ref=None)
    arm_cfg = config([sha(L1)], extra={"architecture": "arm64"})
    arm = oci_layout(str(tmp_path / "arm"), [L1], ref=None, cfg=arm_cfg)
    # Merge both into one layout with a multi-platform index.
    root = tmp_path / "multi"
    (root / "blobs" / "sha256").mkdir(parents=True)
    descs = []
    for src, plat in ((amd, "amd64"), (arm, "arm64")):
        for blob in (Path(src) / "blobs" / "sha256").iterdir():
            (root / "blobs" / "sha256" / blob.name).write_bytes(blob.read_bytes())
        d = json.loads((Path(src) / "index.json").read_text())["manifests"][0]
        d["platform"] = {"os": "linux", "architecture": plat}
        descs.append(d)
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": descs,
        }
    ).encode()
    (root / "blobs" / "sha256" / sha(index)[7:]).write_bytes(index)
    (root / "index.json").write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "digest": sha(index),
                        "size": len(index),
                        "annotations": {"org.opencontainers.image.ref.name": "multi"},
                    }
                ],
            }
        )
    )
    assert open_image(str(root)).platform == "linux/amd64"
    assert open_image(str(root), platform="linux/arm64").platform == "linux/arm64"
    with pytest.raises(ImageNotFoundError, match="available: linux/amd64, linux/arm64"):
        open_image(str(root), platform="linux/ppc64le")
    from finalstage.errors import UsageError

    with pytest.raises(UsageError):
        open_image(str(root), platform="amd64")


def test_single_pass_with_want_hook_then_tree_reuses_it(tmp_path: Path) -> None:
    from finalstage.image.image import Image
    from finalstage.image.open import open_core

    core = open_core(docker_archive(str(tmp_path / "img.tar"), [L0, L1]))
    opens = []
    handles = core.layers()
    for h in handles:
        real = h.open
        object.__setattr__(h, "open", lambda real=real: opens.append(1) or real())
    img = Image(core)
    scans = img.scan(want=lambda path, size, mode: size if path == "etc/hostname" else 0)
    assert scans[0].captured == {"etc/hostname": b"box\n"}
    merged_tree(img)
    img.scan()
    assert len(opens) == 2  # one open per layer, ever


@pytest.mark.parametrize("special", ["fifo", "devzero"])
def test_special_files_as_blobs_fail_fast(tmp_path: Path, special: str) -> None:
    root = Path(oci_layout(str(tmp_path / "oci"), [L0]))
    index = json.loads((root / "index.json").read_text())
    manifest = json.loads(
        (root / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_text()
    )
    blob = root / "blobs" / "sha256" / manifest["layers"][0]["digest"][7:]
    blob.unlink()
    if special == "fifo":
        os.mkfifo(blob)
    else:
        blob.symlink_to("/dev/zero")
    with pytest.raises(CorruptImageError):
        merged_tree(open_image(str(root)))
    fifo = tmp_path / "archive.tar"
    os.mkfifo(fifo)
    with pytest.raises(ImageNotFoundError, match="not a regular file"):
        open_image(f"docker-archive:{fifo}")


def test_config_with_wrong_types_is_corrupt(tmp_path: Path) -> None:
    cfg = json.dumps({"config": {"Env": 1}, "rootfs": {"diff_ids": [sha(L0)]}}).encode()
    path = docker_archive(str(tmp_path / "img.tar"), [L0], cfg=cfg)
    with pytest.raises(CorruptImageError, match="Env is not a list"):
        open_image(path)
