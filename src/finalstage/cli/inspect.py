"""`finalstage inspect IMAGE`: size, layers, merged tree, largest files, waste, config."""

from __future__ import annotations

import sys
from typing import Any

import typer

from finalstage.cli._app import app


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
) -> None:
    """Show size, layers, the merged filesystem, largest files, waste and config of IMAGE."""
    from finalstage.errors import UsageError

    if output_format not in ("text", "json"):
        raise UsageError(f"invalid --format {output_format!r}: expected text or json")
    from finalstage.image.image import Image
    from finalstage.image.open import open_core
    from finalstage.inspect import inspect as do_inspect
    from finalstage.report.inspect import render_json, render_text

    img = Image(open_core(image, platform=platform), verify=verify)
    result = do_inspect(img, depth=depth, top=top, progress=progress_for_tty())
    sys.stdout.write(render_json(result) if output_format == "json" else render_text(result))
