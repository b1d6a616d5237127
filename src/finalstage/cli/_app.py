"""The one Typer application, the options several commands share, and the helpers that turn
option values into library arguments (the CLI holds no other logic).

Help is plain click text: the command classes below undo typer's rich-markup escaping
(``\\[required]``) and give one "did you mean" for a mistyped command, whatever the click
version.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from finalstage._version import __version__
from finalstage.cli._progress import LayerProgress
from finalstage.errors import UsageError
from finalstage.findings import Report, Severity
from finalstage.limits import Limits, describe_keys, parse_limits
from finalstage.report import Output, color_for, plan, render

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
    help="Image reference: docker-archive:/oci:/oci-archive:/docker://…/containers-storage:, "
         "a path, or a bare name (app:1), looked up as podman does: local storage, then a "
         "registry.")]
Platform = Annotated[str | None, typer.Option(
    "--platform", metavar="OS/ARCH", help="Platform to pick from a multi-arch image "
    "(default linux/amd64).")]
Limit = Annotated[list[str], typer.Option(
    "--limit", metavar="NAME=VALUE", help=LIMIT_HELP)]
TlsVerify = Annotated[bool | None, typer.Option(
    "--tls-verify/--no-tls-verify", show_default=False,
    help="Verify registry TLS certificates (default: yes, except for loopback registries, "
         "which may also be plain HTTP). --no-tls-verify (or --tls-verify=false, as skopeo "
         "and podman spell it) allows an insecure registry.")]
AuthFile = Annotated[str | None, typer.Option(
    "--authfile", metavar="FILE",
    help="Registry credentials file (docker config.json / containers auth.json format); "
         "default $REGISTRY_AUTH_FILE, then ~/.docker/config.json.")]
Formats = Annotated[list[str], typer.Option(
    "--format", metavar="FORMAT", show_default=False,
    help="Output format (default text); repeat it with one -o FILE each.")]
Outputs = Annotated[list[str], typer.Option(
    "-o", "--output", metavar="[FORMAT=]FILE", show_default=False,
    help="Write the report to FILE ('-': stdout) instead of stdout; FORMAT=FILE writes that "
         "format too, e.g. -o sarif=a.sarif -o junit=b.xml (repeatable).")]
Quiet = Annotated[bool, typer.Option(
    "-q", "--quiet", help="Print the findings only: no summary, verdicts or progress.")]
NoColor = Annotated[bool, typer.Option(
    "--no-color", help="No colour, even on a terminal (also NO_COLOR=1, TERM=dumb).")]
ExitZero = Annotated[bool, typer.Option(
    "--exit-zero", help="Exit 0 even when findings reach --fail-on (errors still exit 2).")]
Statistics = Annotated[bool, typer.Option(
    "--statistics", help="Print how many findings each rule raised, not the findings "
    "(text or json).")]
Reverify = Annotated[bool, typer.Option(
    "--reverify", help="Hash even layers verified before.")]
FailOn = Annotated[str | None, typer.Option(
    "--fail-on", metavar="SEVERITY",
    help="Exit 1 at or above: error (default), warning, info, style.")]
AsError = Annotated[list[str], typer.Option(
    "--error", metavar="RULE", show_default=False,
    help="Report RULE (code or name) as an error (repeatable, comma-separated).")]
AsWarning = Annotated[list[str], typer.Option(
    "--warning", metavar="RULE", show_default=False, help="Report RULE as a warning.")]
AsInfo = Annotated[list[str], typer.Option(
    "--info", metavar="RULE", show_default=False, help="Report RULE as info.")]
AsStyle = Annotated[list[str], typer.Option(
    "--style", metavar="RULE", show_default=False, help="Report RULE as style.")]
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


# Boolean flags skopeo and podman also accept with a value (--tls-verify=false); click's
# on/off flags take none, so the value is turned into the matching flag before parsing.
_VALUED_FLAGS = {"--tls-verify": ("--tls-verify", "--no-tls-verify")}
_TRUE, _FALSE = frozenset({"true", "1", "yes", "on"}), frozenset({"false", "0", "no", "off"})


def valued_flags(args: list[str]) -> list[str]:
    """``--tls-verify=false`` → ``--no-tls-verify`` (``=true`` → ``--tls-verify``), up to a
    ``--``; any other value is a UsageError."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        flag, eq, value = arg.partition("=")
        if not eq or flag not in _VALUED_FLAGS:
            out.append(arg)
            continue
        on, off = _VALUED_FLAGS[flag]
        word = value.strip().lower()
        if word not in _TRUE | _FALSE:
            raise UsageError(f"invalid value for {flag}: {value!r} (use true or false)")
        out.append(on if word in _TRUE else off)
    return out


def limits_of(values: list[str]) -> Limits | None:
    """``--limit NAME=VALUE`` words → Limits (None: the defaults)."""
    return parse_limits(values) if values else None


def severities_of(**levels: Sequence[str]) -> dict[str, Severity]:
    """``--error FS102 --warning copy-entire-context`` (``error=[...]``, ``warning=[...]``…) →
    rule reference → Severity; a rule named twice keeps its last (most lenient) level."""
    out: dict[str, Severity] = {}
    for level in ("error", "warning", "info", "style"):
        for ref in rule_refs(levels.get(level, ())):
            out[ref] = Severity(level)
    return out


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


def progress_for_tty(quiet: bool = False) -> LayerProgress | None:
    """The progress line on stderr (layers; bytes, rate and time left for downloads), or None
    when stderr is not a terminal (or ``quiet``)."""
    return None if quiet or not sys.stderr.isatty() else LayerProgress(sys.stderr)


def emit(report: Report, outputs: Sequence[Output], *, no_color: bool = False,
         statistics: bool = False, **text_options: bool) -> None:
    """Render ``report`` once per planned output; colour only for a terminal on stdout."""
    for out in outputs:
        color = out.path is None and not no_color and color_for(sys.stdout)
        write(render(report, out.format, color=color, statistics=statistics, **text_options),
              out.path)


def write(text: str, path: str | None) -> None:
    """Write rendered ``text`` to ``path`` (None: stdout), ending in one newline."""
    if text and not text.endswith("\n"):
        text += "\n"
    if path is None:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise UsageError(f"writing {path}: {err.strerror or err}") from err


class Command(TyperCommand):
    """A command whose help is plain text: typer escapes ``[required]`` for rich markup even
    when rich markup is off (typer ≤ 0.20); the escape is taken out again here."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_params(self, ctx, formatter)


class Group(TyperGroup):
    """The root: plain help as for ``Command``, and one "did you mean" for a mistyped command
    (click ≥ 8.4 suggests one itself, and typer ≤ 0.20 would add a second)."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_params(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super(TyperGroup, self).resolve_command(ctx, args)  # click's, not typer's
        except ClickException as err:
            # click ≥ 8.4 raises NoSuchCommand, which suggests through ``possibilities``
            message = getattr(err, "message", "")
            if args and message.startswith("No such command") and \
                    not hasattr(err, "possibilities"):
                close = difflib.get_close_matches(args[0], list(self.commands), n=1)
                if close:
                    err.message = f"{message.rstrip('.')}. Did you mean {close[0]!r}?"  # type: ignore[attr-defined]
            raise


def _format_params(command: Any, ctx: Any, formatter: Any) -> None:
    """The Arguments and Options sections, as typer writes them, without its ``\\[`` escape."""
    sections: dict[str, list[tuple[str, str]]] = {"argument": [], "option": []}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None and param.param_type_name in sections:
            name, text = record
            sections[param.param_type_name].append((name, text.replace("\\[", "[")))
    for title, key in (("Arguments", "argument"), ("Options", "option")):
        if sections[key]:
            with formatter.section(title):
                formatter.write_dl(sections[key])


def command() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@command()`` registers a function as a subcommand with plain help."""
    return app.command(cls=Command)


EXIT_CODES = """Exit codes:

\b
  0    pass: no finding at or above --fail-on (default error)
  1    findings at or above --fail-on: a failed policy key or structure test is one
  2    usage or input error, printed as one line on stderr
  130  interrupted"""

app = typer.Typer(
    name="finalstage",
    cls=Group,
    help="Verify, explain and shrink the final runtime stage of container images.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"finalstage {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Verify, explain and shrink the final runtime stage of container images."""
