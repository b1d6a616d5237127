"""`finalstage inspect IMAGE`: size, layers, merged tree, largest files, waste, config, contents."""

from __future__ import annotations

import functools
from typing import Annotated

import typer

from finalstage.api.inspect import inspect as run_inspect
from finalstage.api.memo import memoized
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
    limits_of,
    progress_for_tty,
    write,
)
from finalstage.findings import Report
from finalstage.report import plan, render

Cache = Annotated[bool, typer.Option(
    "--cache/--no-cache", help="Reuse layer indexes and reports from the cache "
    "($FINALSTAGE_CACHE_DIR; FINALSTAGE_REPORT_CACHE=0: indexes only). --no-cache writes "
    "nothing.")]
Verify = Annotated[bool, typer.Option(
    "--verify/--no-verify", help="Check layer digests (--no-verify seeks past file data).")]


@command()
def inspect(
    image: ImageArg,
    platform: Platform = None,
    depth: Annotated[int, typer.Option(
        "--depth", min=0, max=64, help="Depth of the filesystem tree.")] = 2,
    top: Annotated[int, typer.Option(
        "--top", min=0, max=100000, help="How many largest/wasted files to show.")] = 10,
    output_format: Formats = [],  # noqa: B006 - typer reads the default, never mutates it
    output: Outputs = [],  # noqa: B006
    verify: Verify = True,
    reverify: Reverify = False,
    classify: Annotated[bool, typer.Option(
        "--classify/--no-classify",
        help="Analyse contents (categories, packages, image findings) in the same pass.")] = True,
    elf: Annotated[bool | None, typer.Option(
        "--elf/--no-elf", show_default=False, help="With --classify, read ELF binaries' "
        "headers and section tables (unstripped binaries, Go build info). Default: off.")] = None,
    packages: Annotated[bool, typer.Option(
        "--packages", help="List packages in the text output.")] = False,
    cache: Cache = True,
    limit: Limit = [],  # noqa: B006
    tls_verify: TlsVerify = None,
    authfile: AuthFile = None,
    quiet: Quiet = False,
) -> None:
    """Show size, layers, the merged filesystem, largest files, waste, config and contents of
    IMAGE. Formats: text, json, html (one offline page), cyclonedx and spdx (SBOMs)."""
    outputs = plan("inspect", output_format, output)
    limits = limits_of(limit)
    img = open_image(image, platform=platform, limits=limits, tls_verify=tls_verify,
                     auth_file=authfile, verify=verify, cache=cache,
                     reverify=reverify)

    @functools.cache
    def report() -> Report:  # read once, only when some output is not in the report cache
        return run_inspect(img, depth=depth, top=top, classify=classify, elf=elf,
                           progress=progress_for_tty(quiet))

    for out in outputs:
        options = (depth, top, out.format, classify, elf, packages, img.limits)
        write(memoized(img, image, options, lambda fmt=out.format: render(
            report(), fmt, color=False, packages=packages)), out.path)
