"""`finalstage inspect IMAGE`: size, layers, merged tree, largest files, waste, config."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from finalstage.cli._app import (
    AUTHFILE_HELP,
    LIMIT_HELP,
    TLS_VERIFY_HELP,
    app,
    open_for_command,
)


def progress_for_tty() -> Any:
    """A per-layer progress callback drawing on stderr, or None when stderr is not a TTY."""
    if not sys.stderr.isatty():
        return None

    def _progress(done: int, total: int, layer: Any) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        line = f"\rreading layers [{bar}] {done}/{total}"
        if done >= total:  # finished: wipe the bar so only the result remains
            line = "\r" + " " * (len(line) - 1) + "\r"
        sys.stderr.write(line)
        sys.stderr.flush()

    return _progress


@app.command()
def inspect(
    image: str = typer.Argument(
        ..., help="Image reference (docker-archive:, oci:, oci-archive:, docker://, a path…)."
    ),
    platform: str = typer.Option(
        None, "--platform", help="os/arch[/variant] for multi-arch images (default linux/amd64)."
    ),
    depth: int = typer.Option(2, "--depth", min=0, max=64, help="Depth of the filesystem tree."),
    top: int = typer.Option(
        10, "--top", min=0, max=100000, help="How many largest/wasted files to show."
    ),
    output_format: str = typer.Option("text", "--format", help="text or json."),
    verify: bool = typer.Option(
        True, "--verify/--no-verify", help="Check layer digests (--no-verify seeks past file data)."
    ),
    classify: bool = typer.Option(
        True,
        "--classify/--no-classify",
        help="Analyse contents (categories, packages, image findings) in the same pass.",
    ),
    elf: bool = typer.Option(
        None,
        "--elf/--no-elf",
        help="With --classify, read ELF binaries' headers and section tables (unstripped"
        " binaries, Go build info). Default: off.",
        show_default=False,
    ),
    packages: bool = typer.Option(False, "--packages", help="List packages in the text output."),
    cache: bool = typer.Option(
        True,
        "--cache/--no-cache",
        help="Reuse verified layer indexes and reports from the cache ($FINALSTAGE_CACHE_DIR,"
        " else the user cache dir); FINALSTAGE_REPORT_CACHE=0 keeps only the layer indexes.",
    ),
    limit: list[str] = typer.Option(  # noqa: B008
        [], "--limit", metavar="NAME=VALUE", help=LIMIT_HELP
    ),
    tls_verify: bool = typer.Option(
        None, "--tls-verify/--no-tls-verify", help=TLS_VERIFY_HELP, show_default=False
    ),
    authfile: str = typer.Option(None, "--authfile", metavar="FILE", help=AUTHFILE_HELP),
) -> None:
    """Show size, layers, the merged filesystem, largest files, waste, config and contents of IMAGE."""
    from finalstage.errors import UsageError

    if output_format not in ("text", "json"):
        raise UsageError(f"invalid --format {output_format!r}: expected text or json")
    from finalstage.inspect import inspect as do_inspect
    from finalstage.report.inspect import render_json, render_text

    img = open_for_command(image, platform=platform, limit=limit, tls_verify=tls_verify,
                           authfile=authfile, cache=cache, verify=verify)
    layer_cache = img.cache
    memo_key = None
    # The whole-report memo can be turned off alone (the benchmark times the layer cache by itself).
    if layer_cache is not None and os.environ.get("FINALSTAGE_REPORT_CACHE", "1") != "0":
        options = (depth, top, output_format, classify, elf, packages, img.limits)
        memo_key = _memo_key(img, image, options)
        if memo_key is not None:
            hit = layer_cache.get_blob(memo_key)
            if hit is not None:
                sys.stdout.write(hit.decode("utf-8", "surrogateescape"))
                return
    result = do_inspect(img, depth=depth, top=top, progress=progress_for_tty(), classify=classify,
                        elf=elf)
    text = (
        render_json(result)
        if output_format == "json"
        else render_text(result, packages=packages)
    )
    if memo_key is not None:
        layer_cache.put_blob(memo_key, text.encode("utf-8", "surrogateescape"))  # type: ignore[union-attr]
    sys.stdout.write(text)


def _memo_key(img: Any, reference: str, options: tuple[object, ...]) -> str | None:
    """Key of the whole report: a pure function of the image's content (config digest and every
    layer digest), the reference as typed, the options and the version. Local layer files also
    add their fingerprint (inode, size, mtime, ctime), so a report is only reused for the very
    files that were read and verified when it was made. None when a layer has no digest."""
    import hashlib

    from finalstage import __version__
    from finalstage.image.layers import fingerprint
    from finalstage.analysis.from_image import analysis_tag

    layers = img.core.layers()
    if any(not h.diff_id for h in layers):
        return None
    parts = [
        "report", __version__, analysis_tag(True), _source_stamp(), reference, repr(options),
        img.config_digest, img.digest or "",
        *(f"{h.diff_id} {h.digest} {fingerprint(h)}" for h in layers),
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _source_stamp() -> str:
    """Newest mtime of the package's modules: a changed reporter or rule gives new report keys
    even before the version moves (one stat per module, about a millisecond)."""
    import os

    import finalstage

    newest = 0
    stack = [os.path.dirname(finalstage.__file__)]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for d in it:
                    if d.name.endswith(".py"):
                        newest = max(newest, d.stat().st_mtime_ns)
                    elif d.is_dir() and d.name != "__pycache__":
                        stack.append(d.path)
        except OSError:
            continue
    return str(newest)
