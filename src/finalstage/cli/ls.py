"""`finalstage ls IMAGE [PATH]`: list the merged filesystem like ``ls -l``, with the source layer."""

from __future__ import annotations

from typing import Annotated

import typer

from finalstage.api.inspect import ls as run_ls
from finalstage.api.source import open_image
from finalstage.cli._app import (
    AuthFile,
    ImageArg,
    Limit,
    OutputFile,
    Platform,
    Reverify,
    TlsVerify,
    app,
    emit,
    limits_of,
    progress_for_tty,
)


@app.command()
def ls(
    image: ImageArg,
    path: Annotated[str, typer.Argument(help="Path inside the image.")] = "/",
    is_long: Annotated[bool, typer.Option(
        "-l", "--long", help="Mode, owner, size, mtime and layer.")] = False,
    is_recursive: Annotated[bool, typer.Option(
        "-R", "--recursive", help="List subdirectories recursively.")] = False,
    platform: Platform = None,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    output: OutputFile = None,
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Reuse verified layer indexes from the cache.")] = True,
    reverify: Reverify = False,
    limit: Limit = [],  # noqa: B006 - typer reads the default, never mutates it
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
) -> None:
    """List PATH (default /) of IMAGE's merged filesystem; -l shows the layer each entry came
    from."""
    img = open_image(image, platform=platform, limits=limits_of(limit), tls_verify=tls_verify,
                     auth_file=authfile, cache=cache, reverify=reverify)
    report = run_ls(img, path, recursive=is_recursive, progress=progress_for_tty())
    emit(report, output_format, output, is_long=is_long)
