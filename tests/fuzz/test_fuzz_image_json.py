"""Fuzz the manifest, config and index parsers: any document gives an image or a FinalstageError.

Documents are drawn in the shape the parsers expect (descriptors, platforms, diff_ids, history)
with wrong types, missing keys and hostile values mixed in, and also as raw mutated JSON. The
OCI layout is served from memory (a BlobStore over a dict, blobs stored under their real digests
so structure, not only digests, gets explored); docker-archive manifests go through a real
archive file.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz._fuzz import FUZZ, one_line

from finalstage.errors import CorruptImageError, FinalstageError, UnsupportedMediaTypeError
from finalstage.fs.merge import merged_tree
from finalstage.image import archive, layout
from finalstage.image.config import parse_config
from finalstage.image.image import Image
from finalstage.image.platform import select_manifest

pytestmark = pytest.mark.fuzz

LAYER = b"\0" * 1024  # an empty tar (end-of-archive marker only)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=False), st.text(max_size=20))
JSON = st.recursive(SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=20)
MEDIA = st.sampled_from([
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip", "text/html", "",
])
PLATFORM = st.fixed_dictionaries({}, optional={
    "os": st.sampled_from(["linux", "windows", "", "LINUX"]) | JSON,
    "architecture": st.sampled_from(["amd64", "arm64", "arm"]) | JSON,
    "variant": st.sampled_from(["v7", "v8", ""]) | JSON,
})


def descriptor(digests: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"digest": st.sampled_from(digests) | st.text(max_size=80) | JSON},
        optional={"mediaType": MEDIA | JSON, "size": st.integers(-5, 10**12) | JSON,
                  "platform": PLATFORM | JSON,
                  "annotations": st.dictionaries(
                      st.sampled_from(["org.opencontainers.image.ref.name", "x"]), JSON | st.text(),
                      max_size=2)},
    )


CONFIG = st.fixed_dictionaries({}, optional={
    "architecture": JSON, "os": JSON, "variant": JSON, "created": JSON,
    "config": st.fixed_dictionaries({}, optional={
        "User": JSON, "Entrypoint": JSON, "Cmd": JSON, "Env": JSON | st.lists(st.text()),
        "ExposedPorts": JSON, "Labels": JSON, "WorkingDir": JSON, "Volumes": JSON}) | JSON,
    "rootfs": st.fixed_dictionaries({}, optional={
        "type": JSON, "diff_ids": st.lists(st.just(sha(LAYER)) | JSON, max_size=3) | JSON}) | JSON,
    "history": st.lists(st.fixed_dictionaries({}, optional={
        "created_by": JSON, "empty_layer": JSON, "comment": JSON}) | JSON, max_size=4) | JSON,
})


class MemStore:
    """layout.BlobStore over a dict: ``index.json`` and content-addressed blobs."""

    where = "oci:memory"

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read_file(self, name: str) -> bytes | None:
        return self.files.get(name)

    def blob_path(self, digest: str) -> str:
        from finalstage.image import digest as dg

        algo, hexpart = dg.parse(digest, "reading oci:memory")
        return f"blobs/{algo}/{hexpart}"

    def open_blob(self, digest: str) -> BinaryIO:
        data = self.files.get(self.blob_path(digest))
        if data is None:
            raise CorruptImageError(f"reading oci:memory: missing blob {digest}")
        return io.BytesIO(data)

    def blob_size(self, digest: str) -> int | None:
        data = self.files.get(self.blob_path(digest))
        return None if data is None else len(data)


def _ok_or_error(action: Any) -> Any:
    try:
        return action()
    except FinalstageError as err:
        one_line(err)
        return None


@FUZZ
@given(CONFIG | JSON)
def test_config(doc: Any) -> None:
    _ok_or_error(lambda: parse_config(json.dumps(doc).encode()))


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_config_raw_bytes(raw: bytes) -> None:
    _ok_or_error(lambda: parse_config(raw))


@st.composite
def layout_files(draw: st.DrawFn) -> dict[str, bytes]:
    config = json.dumps(draw(CONFIG)).encode()
    blobs = [config, LAYER]
    manifest = {
        "schemaVersion": draw(st.sampled_from([2, 1]) | JSON),
        "mediaType": draw(MEDIA),
        "config": draw(descriptor([sha(config)]) | JSON),
        "layers": draw(st.lists(descriptor([sha(LAYER)]), max_size=3) | JSON),
    }
    raw_manifest = json.dumps(manifest).encode()
    blobs.append(raw_manifest)
    child_index = json.dumps({"manifests": draw(st.lists(descriptor([sha(raw_manifest)]),
                                                         max_size=3))}).encode()
    blobs.append(child_index)
    digests = [sha(b) for b in blobs]
    index = {"schemaVersion": 2, "manifests": draw(st.lists(descriptor(digests), max_size=3) | JSON)}
    files = {f"blobs/sha256/{sha(b)[7:]}": b for b in blobs}
    files["index.json"] = json.dumps(index).encode()
    return files


@FUZZ
@given(layout_files(), st.sampled_from([None, "latest"]),
       st.sampled_from([None, "linux/amd64", "linux/arm64/v8"]))
def test_oci_layout(files: dict[str, bytes], ref: str | None, platform: str | None) -> None:
    def read() -> Any:
        core = layout.open_core(MemStore(files), ref, platform=platform)
        img = Image(core)
        return merged_tree(img), img.layers, img.manifest

    _ok_or_error(read)


@FUZZ
@given(st.lists(descriptor(["sha256:" + "a" * 64]), max_size=5),
       st.sampled_from([None, "linux/amd64", "linux/arm/v7", "windows/amd64"]))
def test_select_manifest(descs: list[dict[str, Any]], platform: str | None) -> None:
    _ok_or_error(lambda: select_manifest(descs, platform, "fuzz"))


def _tar_member(name: str, data: bytes) -> bytes:
    import tarfile

    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info.tobuf(tarfile.PAX_FORMAT) + data + b"\0" * (-len(data) % 512)


@FUZZ
@given(st.lists(st.fixed_dictionaries({}, optional={
    "Config": st.sampled_from(["config.json", "../config.json", "/config.json", "nope"]) | JSON,
    "RepoTags": st.lists(st.sampled_from(["a:1", "b:latest"]) | JSON, max_size=2) | JSON,
    "Layers": st.lists(st.sampled_from(["layer.tar", "./layer.tar", "a/../layer.tar"]) | JSON,
                       max_size=3) | JSON,
    "LayerSources": JSON,
}) | JSON, max_size=3) | JSON, CONFIG, st.sampled_from([None, "a:1", "@0", "@7", "@x"]))
def test_docker_archive_manifest(manifest: Any, config: dict[str, Any], tag: str | None) -> None:
    data = (_tar_member("config.json", json.dumps(config).encode())
            + _tar_member("layer.tar", LAYER)
            + _tar_member("manifest.json", json.dumps(manifest).encode()) + b"\0" * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "image.tar"
        path.write_bytes(data)
        _ok_or_error(lambda: merged_tree(Image(archive.open_core(str(path), tag))))


def test_platform_variant_not_a_string() -> None:
    # Found by test_select_manifest: {"platform": {"variant": 1}} -> TypeError in __str__
    # (fixed in platform.py; kept as a regression test).
    descs = [{"digest": "sha256:" + "a" * 64, "platform": {"os": "linux", "architecture": "arm",
                                                          "variant": 1}}]
    with pytest.raises(FinalstageError):
        select_manifest(descs, None, "fuzz")


@pytest.mark.parametrize("doc", [{"config": {"Env": 1}}, {"history": 5}], ids=["env", "history"])
def test_config_scalar_env_or_history(doc: dict[str, Any]) -> None:
    # Found by test_config: {'config': {'Env': 1}} -> TypeError: 'int' object is not iterable
    # (fixed in config.py; kept as a regression test).
    with pytest.raises(CorruptImageError):
        parse_config(json.dumps(doc).encode())


@pytest.mark.parametrize("where", ["config", "layer"])
def test_media_type_not_a_string(where: str) -> None:
    # Found by test_oci_layout: TypeError: unhashable type: 'list' (fixed in mediatypes.py;
    # kept as a regression test).
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": [sha(LAYER)]}}).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": sha(config), "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": sha(LAYER), "size": len(LAYER)}]}
    target = manifest["config"] if where == "config" else manifest["layers"][0]  # type: ignore[index]
    target["mediaType"] = ["application/vnd.oci.image.layer.v1.tar"]  # type: ignore[index]
    raw = json.dumps(manifest).encode()
    index = {"schemaVersion": 2, "manifests": [{"mediaType": manifest["mediaType"],
                                                "digest": sha(raw), "size": len(raw)}]}
    files = {f"blobs/sha256/{sha(b)[7:]}": b for b in (config, LAYER, raw)}
    files["index.json"] = json.dumps(index).encode()
    with pytest.raises(UnsupportedMediaTypeError):
        layout.open_core(MemStore(files), None)


def test_image_names_with_a_newline_stay_on_one_line() -> None:
    # Found by test_oci_layout on a clean clone: an index entry named "\n" made "no image named
    # 'latest'; available: \n" a two-line error. Names read from an image are escaped in every
    # "available:" list (fixed in layout.py and archive.py; kept as regression tests).
    config = b"{}"
    manifest = json.dumps({"schemaVersion": 2, "config": {"digest": sha(config)},
                           "layers": []}).encode()
    index = {"schemaVersion": 2, "manifests": [
        {"digest": sha(manifest), "size": len(manifest),
         "annotations": {"org.opencontainers.image.ref.name": "evil\nname"}}]}
    files = {"index.json": json.dumps(index).encode(),
             f"blobs/sha256/{sha(config)[7:]}": config,
             f"blobs/sha256/{sha(manifest)[7:]}": manifest}
    with pytest.raises(FinalstageError) as err:
        layout.open_core(MemStore(files), "latest")
    assert "\n" not in str(err.value) and "evil\\x0aname" in str(err.value)
    archive_manifest = [{"Config": "config.json", "RepoTags": ["evil\n:1"],
                         "Layers": ["layer.tar"]}]
    data = (_tar_member("config.json", b'{"rootfs": {"type": "layers", "diff_ids": []}}')
            + _tar_member("layer.tar", LAYER)
            + _tar_member("manifest.json", json.dumps(archive_manifest).encode()) + b"\0" * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "image.tar"
        path.write_bytes(data)
        with pytest.raises(FinalstageError) as err:
            archive.open_core(str(path), "other:1")
    assert "\n" not in str(err.value) and "evil\\x0a:1" in str(err.value)
