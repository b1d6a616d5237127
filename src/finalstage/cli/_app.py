"""The one Typer application and the options several commands share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from finalstage import __version__

# Typer 0.21+ vendors click, older versions use click itself: either way the exception base is
# reachable through typer's public BadParameter.
ClickException: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
)


TLS_VERIFY_HELP = (
    "Verify registry TLS certificates (default: yes, except for loopback registries, which may"
    " also be plain HTTP). --no-tls-verify allows an insecure registry."
)
AUTHFILE_HELP = (
    "Registry credentials file (docker config.json / containers auth.json format); default"
    " $REGISTRY_AUTH_FILE, then ~/.docker/config.json."
)


def _limit_help() -> str:
    from finalstage.limits import describe_keys  # small, and typer needs the text at import

    # "\b" keeps click from re-wrapping the key list (it would split names at their dashes).
    return (
        "Raise or lower a resource limit (repeatable). Sizes take KB/MB/GB or KiB/MiB/GiB,"
        " timeouts seconds (1.5 is fine), e.g. --limit max-decompressed=512GiB. Keys, with"
        " their defaults:\n\n\b\n" + describe_keys("\n")
    )


# The --limit option's help, shared by inspect, ls and check (SECURITY.md explains each key).
LIMIT_HELP = _limit_help()


if TYPE_CHECKING:
    from finalstage.image.image import Image


def open_for_command(
    ref: str,
    *,
    platform: str | None,
    limit: list[str],
    tls_verify: bool | None,
    authfile: str | None,
    cache: bool,
    verify: bool = True,
) -> Image:
    """The image a reading command (inspect, ls) works on: ``--limit`` parsed, the source
    opened, and the layer cache attached when it may serve. Only verified scans are cached, so
    ``--no-verify`` never uses it; a lowered limit must re-read, because a cached layer was only
    checked against the limits in force when it was read."""
    from finalstage.image.open import open_image
    from finalstage.limits import is_lowered, parse_limits

    limits = parse_limits(limit)
    image = open_image(ref, platform=platform, limits=limits, tls_verify=tls_verify,
                       auth_file=authfile)
    image.verify = verify
    if cache and verify and not is_lowered(limits):
        from finalstage.fs.cache import LayerCache

        image.cache = LayerCache()
    return image


def _version(value: bool) -> None:
    if value:
        print(f"finalstage {__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    name="finalstage",
    help="Verify, explain and shrink the final runtime stage of container images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Verify, explain and shrink the final runtime stage of container images.

    Exit codes: 0 pass, 1 findings or policy failed, 2 usage or input error.
    """
