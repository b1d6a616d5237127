"""`finalstage check IMAGE`: the CI gate — policy, structure tests and (with --dockerfile) lint.

Exit codes: 0 pass, 1 a policy clause, structure test or finding at ``--fail-on`` failed, 2 a
usage or input error (bad policy file, unreadable image), printed as one line by ``cli.main``.
"""

from __future__ import annotations

import sys

import typer

from finalstage.cli._app import AUTHFILE_HELP, LIMIT_HELP, TLS_VERIFY_HELP, app


@app.command()
def check(
    image: str = typer.Argument(..., metavar="IMAGE",
                                help="Image reference: docker-archive:/oci:/oci-archive:/"
                                     "docker://… or a path."),
    dockerfile: str | None = typer.Option(None, "--dockerfile", metavar="FILE",
                                             help="The Dockerfile the image was built from: "
                                                  "lint it and point findings at its lines."),
    build_arg: list[str] = typer.Option([], "--build-arg", metavar="KEY=VALUE",  # noqa: B008
                                        help="Build argument used for the build (repeatable)."),
    target: str | None = typer.Option(None, "--target", help="The --target of the build."),
    policy: str | None = typer.Option(None, "--policy", metavar="FILE",
                                         help="Policy file (default: finalstage.toml [policy] "
                                              "or pyproject.toml [tool.finalstage.policy])."),
    cst: list[str] = typer.Option([], "--cst", metavar="FILE",  # noqa: B008
                                  help="container-structure-test YAML to run (repeatable)."),
    baseline: str | None = typer.Option(None, "--baseline", metavar="FILE",
                                           help="Ignore the findings recorded in FILE."),
    write_baseline: str | None = typer.Option(None, "--write-baseline", metavar="FILE",
                                                 help="Record the current findings in FILE."),
    fail_on: str | None = typer.Option(None, "--fail-on", metavar="SEVERITY",
                                          help="Exit 1 at or above: error (default), warning, "
                                               "info, style."),
    platform: str | None = typer.Option(None, "--platform", metavar="OS/ARCH",
                                           help="Platform to pick from a multi-arch image."),
    output_format: str = typer.Option("text", "--format",
                                      help="text, json, sarif, junit or github."),
    output: str | None = typer.Option(None, "-o", "--output", metavar="FILE",
                                         help="Write the report to FILE instead of stdout."),
    limit: list[str] = typer.Option([], "--limit", metavar="NAME=VALUE",  # noqa: B008
                                    help=LIMIT_HELP),
    tls_verify: bool | None = typer.Option(None, "--tls-verify/--no-tls-verify",
                                           help=TLS_VERIFY_HELP, show_default=False),
    authfile: str | None = typer.Option(None, "--authfile", metavar="FILE", help=AUTHFILE_HELP),
) -> None:
    """Gate IMAGE on a policy and structure tests; with --dockerfile, lint it and tie every
    image finding to the Dockerfile line that made it."""
    from finalstage.check import check as run_check
    from finalstage.cli.lint import _build_args, _severity, _write_output
    from finalstage.limits import parse_limits
    from finalstage.report import OutputFormat, color_for, render

    fmt = OutputFormat.parse(output_format)
    limits = parse_limits(limit)
    threshold = _severity(fail_on, "--fail-on") if fail_on is not None else None
    result = run_check(
        image,
        dockerfile=dockerfile,
        build_args=_build_args(build_arg),
        target=target,
        policy_file=policy,
        cst_files=cst,
        baseline=baseline,
        write_baseline=write_baseline,
        fail_on=threshold,
        platform=platform,
        limits=limits,
        source_options={"tls_verify": tls_verify, "auth_file": authfile},
    )
    color = output is None and color_for(sys.stdout)
    text = render(result.report, fmt.value, color=color)
    if fmt is OutputFormat.TEXT:
        text = text.rstrip("\n") + "\n" + _summary(result) if text.strip() else _summary(result)
    _write_output(text, output)
    raise typer.Exit(result.exit_code)


def _summary(result: object) -> str:
    """The verdict of each policy clause and structure test, for people."""
    from finalstage.escape import one_line

    lines = []
    clauses = getattr(result, "clauses", ())
    tests = getattr(result, "cst", ())
    for clause in clauses:
        lines.append(f"  {clause.status:4}  {clause.code} {clause.key}: {one_line(clause.detail)}")
    for test in tests:
        why = f": {one_line('; '.join(test.errors))}" if test.errors else ""
        lines.append(f"  {test.status:4}  {one_line(test.name)}{why}")
    policy = getattr(result, "policy", None)
    source = getattr(policy, "source", None) or "no policy file"
    verdict = "FAILED" if getattr(result, "exit_code", 0) else "passed"
    head = f"check {verdict} (policy: {one_line(source)})"
    baselined = getattr(result, "baselined", 0)
    if baselined:
        head += f", {baselined} finding(s) known to the baseline"
    return "\n".join([head, *lines]) + "\n"
