"""`finalstage scan`: a fleet — a file of references, a registry, local podman storage — ranked
by the bytes fixes would remove, shared layers counted once.

Exit codes: 0 done (errors on single images are listed in the report), 1 with
``--fail-on-error`` when an image could not be scanned, 2 a usage or input error.
"""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer

from finalstage.api.scan import scan as run_scan
from finalstage.cli._progress import format_eta
from finalstage.cli._app import (
    AuthFile,
    FailOn,
    Limit,
    Formats,
    NoColor,
    Outputs,
    Platform,
    TlsVerify,
    command,
    emit,
    limits_of,
    severity_of,
)
from finalstage.report import plan
from finalstage.scan.run import ProgressFn, ScanProgress
from finalstage.units import format_size


def progress_line(p: ScanProgress, now: float) -> str:
    """One status line: what is done, bytes read, and the time left at the current rate."""
    if p.phase == "manifests":
        return f"manifests {p.images_done}/{p.images_total}"
    if p.phase == "images":
        return f"judging images {p.images_done}/{p.images_total}"
    line = (f"layers {p.layers_done}/{p.layers_total} · {format_size(p.bytes_read)}"
            f" of {format_size(p.bytes_total)} read")
    elapsed = now - p.started
    if p.bytes_read and p.bytes_total > p.bytes_read and elapsed > 1:
        line += f" · ETA {format_eta(elapsed * (p.bytes_total - p.bytes_read) / p.bytes_read)}"
    return line


def progress_for_tty() -> ProgressFn | None:
    """A status line on stderr while the scan runs, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    width = [0]

    def show(p: ScanProgress) -> None:
        line = progress_line(p, time.monotonic())
        sys.stderr.write("\r" + line.ljust(width[0]))
        width[0] = max(width[0], len(line))
        sys.stderr.flush()

    return show


@command()
def scan(
    images: Annotated[str | None, typer.Option(
        "--images", metavar="FILE", help="A file of image references, one per line.")] = None,
    registry: Annotated[str | None, typer.Option(
        "--registry", metavar="HOST[:PORT]", help="Scan a registry's catalog.")] = None,
    repo: Annotated[str | None, typer.Option(
        "--repo", metavar="GLOB", help="Only the repositories matching GLOB (--registry).")
    ] = None,
    tags: Annotated[str, typer.Option(
        "--tags", metavar="latest|all|N-newest", help="Which tags of each repository.")
    ] = "latest",
    containers_storage: Annotated[bool, typer.Option(
        "--containers-storage", help="Scan the named images of local podman storage.")
    ] = False,
    policy: Annotated[str | None, typer.Option(
        "--policy", metavar="FILE", help="Settings or policy file each image is checked "
        "against (default: the nearest finalstage.toml).")] = None,
    fail_on: FailOn = None,
    fail_on_error: Annotated[bool, typer.Option(
        "--fail-on-error", help="Exit 1 when an image could not be scanned.")] = False,
    backend: Annotated[str, typer.Option(
        "--backend", metavar="process|ray", help="Where layers are read: a local process "
        "pool, or a Ray cluster (pip install 'finalstage[ray]').")] = "process",
    workers: Annotated[int | None, typer.Option(
        "--workers", metavar="N", help="Worker processes (default: the CPU count).")] = None,
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", metavar="ADDRESS", help="The Ray cluster (default: a local Ray).")
    ] = None,
    top: Annotated[int, typer.Option("--top", metavar="N", help="Fixes listed.")] = 10,
    cache_dir: Annotated[str | None, typer.Option(
        "--cache-dir", metavar="DIR", help="Where layer summaries persist (default: the "
        "layer cache, $FINALSTAGE_CACHE_DIR).")] = None,
    platform: Platform = None,
    output_format: Formats = [],  # noqa: B006
    output: Outputs = [],  # noqa: B006
    limit: Limit = [],  # noqa: B006 - typer reads the default, never mutates it
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
    no_color: NoColor = False,
) -> None:
    """Scan many images and rank the fixes that remove the most bytes across them. Formats:
    text, json, markdown, html."""
    outputs = plan("scan", output_format, output)
    report = run_scan(
        images, registry=registry, repo=repo, tags=tags,
        containers_storage=containers_storage, policy=policy,
        fail_on=severity_of(fail_on), fail_on_error=fail_on_error, backend=backend,
        workers=workers, ray_address=ray_address, top=top, platform=platform,
        limits=limits_of(limit), tls_verify=tls_verify, auth_file=authfile,
        cache_dir=cache_dir, progress=progress_for_tty())
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    emit(report, outputs, no_color=no_color)
    raise typer.Exit(report.exit_code)
