"""`finalstage ls IMAGE [PATH]`: list the merged filesystem like ``ls -l``, with the source layer."""

from __future__ import annotations

from typing import Annotated

import typer

from finalstage.api.inspect import ls as run_ls
from finalstage.api.source import open_image
from finalstage.cli._app import (
    AuthFile,
    Formats,
    ImageArg,
    Limit,
    Outputs,
    Platform,
    Quiet,
    Reverify,
    TlsVerify,
    command,
    emit,
    limits_of,
    progress_for_tty,
)
from finalstage.report import plan


@command()
def ls(
    image: ImageArg,
    path: Annotated[str, typer.Argument(help="Path inside the image.")] = "/",
    is_long: Annotated[bool, typer.Option(
        "-l", "--long", help="Mode, owner, size, mtime and layer.")] = False,
    is_recursive: Annotated[bool, typer.Option(
        "-R", "--recursive", help="List subdirectories recursively.")] = False,
    platform: Platform = None,
    output_format: Formats = [],  # noqa: B006 - typer reads the default, never mutates it
    output: Outputs = [],  # noqa: B006
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Reuse verified layer indexes from the cache.")] = True,
    reverify: Reverify = False,
    limit: Limit = [],  # noqa: B006
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
    quiet: Quiet = False,
) -> None:
    """List PATH (default /) of IMAGE's merged filesystem; -l shows the layer each entry came
    from. Formats: text, json."""
    outputs = plan("ls", output_format, output)
    img = open_image(image, platform=platform, limits=limits_of(limit), tls_verify=tls_verify,
                     auth_file=authfile, cache=cache, reverify=reverify)
    report = run_ls(img, path, recursive=is_recursive, progress=progress_for_tty(quiet))
    emit(report, outputs, is_long=is_long)
