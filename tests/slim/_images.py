"""A small hand-made image for slim's tests: the host's static busybox plus an application
whose layers hold every case the writer must keep right (a symlink, a hard link, a file
capability and a user xattr in PAX records, a file deleted by a later layer's whiteout, tests,
a secret and docs that must go, a file read only through a shell variable)."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

from make_layers import oci_layout, sha

BUSYBOX = shutil.which("busybox")
MTIME = 1_700_000_000
RUN_SH = b"""#!/bin/sh
set -e
f=/etc/motd
cat "$f"
echo "args: $*"
"""
# A file capability (cap_net_bind_service+ep, VFS_CAP_REVISION_2) and a user xattr.
CAPABILITY = "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"


def add(tar: tarfile.TarFile, name: str, data: bytes | None = None, *, kind: bytes = b"0",
         mode: int = 0o644, link: str = "", pax: dict[str, str] | None = None) -> None:
    info = tarfile.TarInfo(name)
    info.mode, info.mtime, info.type, info.linkname = mode, MTIME, kind, link
    info.pax_headers = pax or {}
    if data is not None:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        tar.addfile(info)


def _layer(build) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    return buf.getvalue()


def layers() -> list[bytes]:
    assert BUSYBOX is not None
    busybox = Path(BUSYBOX).read_bytes()

    def base(tar: tarfile.TarFile) -> None:
        for d in ("bin", "etc", "tmp", "usr", "usr/lib", "root"):
            add(tar, d, kind=tarfile.DIRTYPE, mode=0o1777 if d == "tmp" else 0o755)
        add(tar, "bin/busybox", busybox, mode=0o755)
        for applet in ("sh", "cat", "echo", "ls", "sleep"):
            add(tar, f"bin/{applet}", kind=tarfile.SYMTYPE, link="busybox")
        add(tar, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n")
        add(tar, "etc/group", b"root:x:0:\napp:x:1000:\n")
        add(tar, "etc/motd", b"hello from the motd\n")
        add(tar, "usr/lib/unused.so", b"not needed by anything" * 100)

    def app(tar: tarfile.TarFile) -> None:
        add(tar, "app", kind=tarfile.DIRTYPE, mode=0o755)
        add(tar, "app/run.sh", RUN_SH, mode=0o755)
        add(tar, "app/data.txt", b"data\n", pax={"SCHILY.xattr.user.note": "kept",
                                                  "SCHILY.xattr.security.capability":
                                                      CAPABILITY})
        add(tar, "app/same.txt", kind=tarfile.LNKTYPE, link="app/data.txt")
        add(tar, "app/tests", kind=tarfile.DIRTYPE, mode=0o755)
        add(tar, "app/tests/test_run.sh", b"#!/bin/sh\nexit 0\n", mode=0o755)
        add(tar, "app/.env", b"API_TOKEN=fake\n")
        add(tar, "app/README.md", b"# app\n")
        add(tar, "app/old.txt", b"deleted later\n")

    def later(tar: tarfile.TarFile) -> None:
        add(tar, "app/.wh.old.txt", b"")

    return [_layer(base), _layer(app), _layer(later)]


def config(diff_ids: list[str], *, entrypoint: list[str] | None = None,
           cmd: list[str] | None = None, healthcheck: list[str] | None = None) -> bytes:
    runtime = {"Env": ["PATH=/bin:/usr/bin"], "WorkingDir": "/app", "Entrypoint": entrypoint,
               "Cmd": cmd, "User": "1000:1000", "Labels": {"org.example": "yes"},
               "ExposedPorts": {"8080/tcp": {}}}
    if healthcheck:
        runtime["Healthcheck"] = {"Test": healthcheck, "Interval": 1_000_000_000}
    return json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": runtime,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"layer {i}"} for i in range(len(diff_ids))],
    }).encode()


def make_image(root: Path, *, entrypoint: list[str] | None = None,
               cmd: list[str] | None = None, healthcheck: list[str] | None = None,
               extra: Callable[[tarfile.TarFile], None] | None = None) -> Path:
    """The image as an OCI layout at ``root`` (ref ``latest``); ``extra`` writes one more
    layer on top."""
    parts = layers() + ([_layer(extra)] if extra is not None else [])
    cfg = config([sha(p) for p in parts],
                 entrypoint=["/app/run.sh"] if entrypoint is None else entrypoint, cmd=cmd,
                 healthcheck=healthcheck)
    return Path(oci_layout(str(root), parts, cfg=cfg))


def tree_hash(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its digest (to prove a source was not modified)."""
    return {str(p.relative_to(root)): sha(p.read_bytes()) for p in sorted(root.rglob("*"))
            if p.is_file()}
