"""Write a one-layer image as an OCI layout, an OCI archive, a docker archive or into
containers-storage (through ``skopeo copy`` from an OCI layout, as the storage reader does).

Everything written is deterministic: JSON with sorted keys and no spaces, archives with sorted
members, owner 0 and time stamp 0. The new config keeps the source's runtime config
(``Entrypoint``, ``Cmd``, ``Env``, ``WorkingDir``, ``User``, ``ExposedPorts``, ``Labels``,
``Healthcheck``…), says in its history which image it was made from, and names that image's
digest in the ``org.opencontainers.image.base.digest`` label and manifest annotation.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from typing import Any

from finalstage.errors import ImageError, UsageError
from finalstage.escape import one_line
from finalstage.image.layerwrite import LayerBlob
from finalstage.image.refs import ImageRef, parse_reference

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
BASE_DIGEST = "org.opencontainers.image.base.digest"
REF_NAME = "org.opencontainers.image.ref.name"
_KEEP_TOP = ("architecture", "os", "os.version", "os.features", "variant", "author", "created")
OUTPUTS = ("oci", "oci-archive", "docker-archive", "containers-storage")


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def new_config(source: Mapping[str, Any], layer: LayerBlob, *, base_digest: str,
               comment: str, created: str | None) -> bytes:
    """The config of the new image: the source's runtime config, one layer, one history
    entry, the base digest label."""
    out: dict[str, Any] = {k: source[k] for k in _KEEP_TOP if k in source}
    if created is not None:
        out["created"] = created
    config = dict(source.get("config") or {})
    labels = dict(config.get("Labels") or {})
    labels[BASE_DIGEST] = base_digest
    config["Labels"] = labels
    out["config"] = config
    out["rootfs"] = {"type": "layers", "diff_ids": [layer.diff_id]}
    entry: dict[str, Any] = {"created_by": "finalstage slim", "comment": comment}
    if out.get("created"):
        entry["created"] = out["created"]
    out["history"] = [entry]
    return _dumps(out)


def new_manifest(config: bytes, layer: LayerBlob, base_digest: str) -> bytes:
    return _dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest_of(config), "size": len(config)},
        "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": layer.digest,
                    "size": layer.compressed_size}],
        "annotations": {BASE_DIGEST: base_digest},
    })


def check_destination(dest: str) -> ImageRef:
    """Parse ``dest`` and make sure it can be written, before any work is done."""
    ref = parse_reference(dest) if ":" in dest.split("/")[0] else ImageRef("oci", dest)
    if ref.transport in ("docker-archive", "oci-archive") and ".tar:" in dest:
        path, _, tag = dest.partition(":")[2].partition(".tar:")  # FILE.tar:TAG (tags have ':')
        ref = ImageRef(ref.transport, path + ".tar", tag or None)
    if ref.transport == "archive":
        ref = ImageRef("docker-archive" if not dest.endswith(".oci.tar") else "oci-archive",
                       ref.path)
    if ref.transport not in OUTPUTS:
        raise UsageError(f"cannot write {dest!r}: slim writes {', '.join(OUTPUTS)}")
    if ref.transport == "containers-storage":
        if shutil.which("skopeo") is None:
            raise UsageError(f"cannot write {dest!r}: containers-storage needs skopeo")
        return ref
    target = os.path.abspath(ref.path)
    parent = target if ref.transport == "oci" and os.path.isdir(target) else \
        os.path.dirname(target)
    if not os.path.isdir(parent):
        raise UsageError(f"cannot write {dest!r}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {dest!r}: directory {parent} is not writable")
    if ref.transport != "oci" and os.path.isdir(target):
        raise UsageError(f"cannot write {dest!r}: {target} is a directory")
    if ref.transport == "oci" and os.path.isfile(target):
        raise UsageError(f"cannot write {dest!r}: {target} is a file, not a layout directory")
    return ref


def write_layout(directory: str, layer: LayerBlob, config: bytes, manifest: bytes,
                 ref_name: str) -> None:
    """Put the image into the OCI layout ``directory`` (created, or updated: an existing
    entry of the same ref name is replaced)."""
    blobs = os.path.join(directory, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    for data in (config, manifest):
        _put(os.path.join(blobs, digest_of(data).split(":")[1]), data)
    target = os.path.join(blobs, layer.digest.split(":")[1])
    if not os.path.exists(target):
        shutil.copyfile(layer.blob_path, target)
    _put(os.path.join(directory, "oci-layout"), _dumps({"imageLayoutVersion": "1.0.0"}))
    index_path = os.path.join(directory, "index.json")
    manifests: list[dict[str, Any]] = []
    try:
        with open(index_path, "rb") as fh:
            old = json.load(fh)
        manifests = [m for m in old.get("manifests", []) if isinstance(m, dict)
                     and (m.get("annotations") or {}).get(REF_NAME) != ref_name]
    except (OSError, ValueError, AttributeError):
        manifests = []
    manifests.append({"mediaType": OCI_MANIFEST, "digest": digest_of(manifest),
                      "size": len(manifest), "annotations": {REF_NAME: ref_name}})
    _put(index_path, _dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                             "manifests": manifests}))


def _put(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def write_oci_archive(path: str, layer: LayerBlob, config: bytes, manifest: bytes,
                      ref_name: str) -> None:
    """An OCI layout as one tar (members sorted, owner 0, time 0)."""
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(path))) as tmp:
        write_layout(tmp, layer, config, manifest, ref_name)
        members = ["oci-layout", "index.json", "blobs", "blobs/sha256",
                   *sorted(f"blobs/sha256/{n}" for n in os.listdir(f"{tmp}/blobs/sha256"))]
        _archive(path, tmp, members)


def write_docker_archive(path: str, layer: LayerBlob, config: bytes, tag: str | None) -> None:
    """``docker save`` layout: manifest.json, the config, the uncompressed layer."""
    config_name = digest_of(config).split(":")[1] + ".json"
    layer_name = layer.diff_id.split(":")[1] + ".tar"
    doc = [{"Config": config_name, "RepoTags": [tag] if tag else [], "Layers": [layer_name]}]
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(path))) as tmp:
        _put(os.path.join(tmp, "manifest.json"), _dumps(doc))
        _put(os.path.join(tmp, config_name), config)
        os.link(layer.tar_path, os.path.join(tmp, layer_name)) \
            if _same_fs(layer.tar_path, tmp) else shutil.copyfile(layer.tar_path,
                                                                  os.path.join(tmp, layer_name))
        _archive(path, tmp, [config_name, layer_name, "manifest.json"])


def _same_fs(a: str, b: str) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def _archive(path: str, root: str, members: list[str]) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in members:
            info = tar.gettarinfo(os.path.join(root, name), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            info.mode = 0o755 if info.isdir() else 0o644
            if info.isreg():
                with open(os.path.join(root, name), "rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    os.replace(tmp, path)


def copy_to_storage(layout: str, ref_name: str, name: str, timeout: float = 600) -> None:
    """``skopeo copy oci:LAYOUT:REF containers-storage:NAME``."""
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise ImageError(f"writing containers-storage:{name}: needs skopeo, not installed")
    cmd = [skopeo, "copy", "--quiet", f"oci:{layout}:{ref_name}", f"containers-storage:{name}"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ImageError(f"writing containers-storage:{name}: {err}") from err
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()] or ["skopeo failed"]
        raise ImageError(f"writing containers-storage:{name}: {one_line(lines[-1])}")


__all__ = ["BASE_DIGEST", "OUTPUTS", "check_destination", "copy_to_storage", "digest_of",
           "new_config", "new_manifest", "write_docker_archive", "write_layout",
           "write_oci_archive"]
