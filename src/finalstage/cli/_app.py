"""The one Typer application, the options several commands share, and the helpers that turn
option values into library arguments (the CLI holds no other logic)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Annotated

import typer

from finalstage._version import __version__
from finalstage.cli._progress import LayerProgress
from finalstage.errors import UsageError
from finalstage.findings import Report, Severity
from finalstage.limits import Limits, describe_keys, parse_limits
from finalstage.report import color_for, render

# Typer 0.21+ vendors click, older versions use click itself: either way the exception base is
# reachable through typer's public BadParameter.
ClickException: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
)

# "\b" keeps click from re-wrapping the key list (it would split names at their dashes).
LIMIT_HELP = (
    "Raise or lower a resource limit (repeatable). Sizes take KB/MB/GB or KiB/MiB/GiB,"
    " timeouts seconds (1.5 is fine), e.g. --limit max-decompressed=512GiB;"
    " download-deadline bounds a whole registry download. Keys, with their defaults:"
    "\n\n\b\n" + describe_keys("\n")
)

ImageArg = Annotated[str, typer.Argument(
    metavar="IMAGE",
    help="Image reference: docker-archive:/oci:/oci-archive:/docker://… or a path.")]
Platform = Annotated[str | None, typer.Option(
    "--platform", metavar="OS/ARCH", help="Platform to pick from a multi-arch image "
    "(default linux/amd64).")]
Limit = Annotated[list[str], typer.Option(
    "--limit", metavar="NAME=VALUE", help=LIMIT_HELP)]
TlsVerify = Annotated[bool | None, typer.Option(
    "--tls-verify/--no-tls-verify", show_default=False,
    help="Verify registry TLS certificates (default: yes, except for loopback registries, "
         "which may also be plain HTTP). --no-tls-verify allows an insecure registry.")]
AuthFile = Annotated[str | None, typer.Option(
    "--authfile", metavar="FILE",
    help="Registry credentials file (docker config.json / containers auth.json format); "
         "default $REGISTRY_AUTH_FILE, then ~/.docker/config.json.")]
Reverify = Annotated[bool, typer.Option(
    "--reverify", help="Hash every layer, even a local layer file verified before unchanged "
    "(by default such a file is not hashed twice).")]
OutputFile = Annotated[str | None, typer.Option(
    "-o", "--output", metavar="FILE", help="Write the report to FILE instead of stdout.")]
FailOn = Annotated[str | None, typer.Option(
    "--fail-on", metavar="SEVERITY",
    help="Exit 1 at or above: error (default), warning, info, style.")]
BuildArg = Annotated[list[str], typer.Option(
    "--build-arg", metavar="KEY=VALUE", help="Build argument, as for docker build (repeatable).")]
Target = Annotated[str | None, typer.Option(
    "--target", metavar="STAGE", help="The stage built as the final one (--target of the build).")]
Select = Annotated[list[str], typer.Option(
    "--select", metavar="RULES", help="Rules to run: codes, prefixes (FS1), names, groups.")]
Ignore = Annotated[list[str], typer.Option(
    "--ignore", metavar="RULES", help="Rules to skip: codes, prefixes, names, groups.")]
Verbose = Annotated[bool, typer.Option(
    "-v", "--verbose", help="Also list the rules that were skipped, and why.")]


def limits_of(values: list[str]) -> Limits | None:
    """``--limit NAME=VALUE`` words → Limits (None: the defaults)."""
    return parse_limits(values) if values else None


def severity_of(value: str | None, option: str = "--fail-on") -> Severity | None:
    """A severity name, or UsageError listing the choices."""
    if value is None:
        return None
    try:
        return Severity(value.strip().lower())
    except ValueError:
        choices = "|".join(s.value for s in Severity)
        raise UsageError(f"invalid {option} {value!r}: use {choices}") from None


def build_args_of(values: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` words → dict; a bare ``KEY`` takes its value from the environment."""
    out: dict[str, str] = {}
    for value in values:
        key, eq, val = value.partition("=")
        if not key or not key.replace("_", "a").isalnum():
            # Name only: the value may be a secret.
            raise UsageError(f"invalid --build-arg name {key!r}: expected KEY=VALUE")
        if eq:
            out[key] = val
        elif key in os.environ:  # docker build takes a bare KEY from the environment
            out[key] = os.environ[key]
    return out


def rule_refs(values: Iterable[str]) -> list[str]:
    """Repeatable, comma-separated rule references → one flat list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def progress_for_tty() -> LayerProgress | None:
    """The progress line on stderr (layers; bytes, rate and time left for downloads), or None
    when stderr is not a terminal."""
    return LayerProgress(sys.stderr) if sys.stderr.isatty() else None


def emit(report: Report | str, fmt: str, output: str | None, **text_options: bool) -> None:
    """Render ``report`` (or write already rendered text) to ``output`` or stdout."""
    if isinstance(report, Report):
        text = render(report, fmt, color=output is None and color_for(sys.stdout),
                      **text_options)
    else:
        text = report
    if text and not text.endswith("\n"):
        text += "\n"
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise UsageError(f"writing {output}: {err.strerror or err}") from err


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
