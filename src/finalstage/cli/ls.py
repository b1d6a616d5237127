"""`finalstage ls IMAGE [PATH]`: list the merged filesystem like ``ls -l``, with the source layer."""

from __future__ import annotations

import sys

import typer

from finalstage.cli._app import (
    AUTHFILE_HELP,
    LIMIT_HELP,
    TLS_VERIFY_HELP,
    app,
    open_for_command,
)


@app.command()
def ls(
    image: str = typer.Argument(..., help="Image reference."),
    path: str = typer.Argument("/", help="Path inside the image."),
    is_long: bool = typer.Option(False, "-l", "--long", help="Mode, owner, size, mtime and layer."),
    is_recursive: bool = typer.Option(
        False, "-R", "--recursive", help="List subdirectories recursively."
    ),
    platform: str = typer.Option(
        None, "--platform", help="os/arch[/variant] for multi-arch images."
    ),
    output_format: str = typer.Option("text", "--format", help="text or json."),
    cache: bool = typer.Option(
        True, "--cache/--no-cache", help="Reuse verified layer indexes from the cache."
    ),
    limit: list[str] = typer.Option(  # noqa: B008
        [], "--limit", metavar="NAME=VALUE", help=LIMIT_HELP
    ),
    tls_verify: bool = typer.Option(
        None, "--tls-verify/--no-tls-verify", help=TLS_VERIFY_HELP, show_default=False
    ),
    authfile: str = typer.Option(None, "--authfile", metavar="FILE", help=AUTHFILE_HELP),
) -> None:
    """List PATH (default /) of IMAGE's merged filesystem; -l shows the layer each entry came from."""
    from finalstage.errors import ImageNotFoundError, UsageError

    if output_format not in ("text", "json"):
        raise UsageError(f"invalid --format {output_format!r}: expected text or json")
    from finalstage.cli.inspect import progress_for_tty
    from finalstage.escape import escape_control
    from finalstage.fs.merge import merged_tree
    from finalstage.report.inspect import ls_json, ls_line

    img = open_for_command(image, platform=platform, limit=limit, tls_verify=tls_verify,
                           authfile=authfile, cache=cache)
    tree = merged_tree(img, progress=progress_for_tty())
    key = path.strip("/")
    entry = tree.get(key)
    if entry is None:
        raise ImageNotFoundError(
            f"ls {escape_control(path)}: no such file or directory in the image"
        )
    if is_recursive:
        entries = [e for e in tree.walk(key) if e.path != key or not entry.is_dir]
    elif entry.is_dir:
        entries = tree.listdir(key)
    else:
        entries = [entry]
    if output_format == "json":
        sys.stdout.write(ls_json(entries))
        return
    full = is_recursive or not entry.is_dir
    write = sys.stdout.write
    for e in entries:
        write(ls_line(e, is_long=is_long, full_path=full) + "\n")
