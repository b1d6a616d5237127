"""Running a config: every test in order, the command tests through a runner when one is given,
else skipped with the reason."""

from __future__ import annotations

from collections.abc import Sequence

from finalstage.cst.checks import CHECKS
from finalstage.cst.model import (
    CommandRunner,
    CstConfig,
    CstResult,
    CstTest,
    FileSystemView,
    ImageMetadata,
)
from finalstage.cst.patterns import regex

MAX_SHOWN = 400  # characters of a command's output a failure message quotes


def run_cst(
    config: CstConfig,
    fs: FileSystemView,
    metadata: ImageMetadata,
    *,
    runner: CommandRunner | None = None,
    skip_reason: str = "command tests need podman (not found)",
) -> list[CstResult]:
    """Run every test of ``config``; never raises for a failing test."""
    env = dict(metadata.env)
    out: list[CstResult] = []
    for test in config.tests:
        if test.kind == "command":
            if runner is None:
                out.append(CstResult(test, "skip", (skip_reason,)))
            else:
                out.append(_command(test, runner, config.global_env))
            continue
        errors = CHECKS[test.kind](test.spec, fs, metadata, env)
        out.append(CstResult(test, "fail" if errors else "pass", tuple(errors)))
    return out


def _command(test: CstTest, runner: CommandRunner,
             global_env: Sequence[tuple[str, str]]) -> CstResult:
    spec = test.spec
    if spec.get("setup") or spec.get("teardown"):
        return CstResult(test, "skip", ("setup/teardown commands are not supported",))
    env = list(global_env) + [(k, v) for k, v, _ in spec.get("envVars", ())]
    entrypoint = spec.get("entrypoint")
    argv = [spec["command"], *[str(a) for a in spec.get("args", ())]]
    try:
        stdout, stderr, code = runner(argv, env, " ".join(entrypoint) if entrypoint else None)
    except OSError as err:
        return CstResult(test, "fail", (f"cannot run the container: {err}",))
    errors = []
    if code != spec.get("exitCode", 0):
        errors.append(f"exit code {code}, expected {spec.get('exitCode', 0)}"
                      + (f"; error {shown(stderr)}" if stderr.strip() else ""))
    for key, text, stream in (("Output", stdout, "output"), ("Error", stderr, "error")):
        for pattern in spec.get(f"expected{key}", ()):
            if not regex(pattern).search(text):
                errors.append(f"expected '{pattern}' not found in {stream} {shown(text)}")
        for pattern in spec.get(f"excluded{key}", ()):
            if regex(pattern).search(text):
                errors.append(f"excluded '{pattern}' found in {stream} {shown(text)}")
    return CstResult(test, "fail" if errors else "pass", tuple(errors))


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """What a command printed, quoted as it is (the reporters escape it once, for where it
    goes), cut at ``limit`` characters."""
    text = text.rstrip("\n")
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more characters)"
    return f"'{text}'"


__all__ = ["MAX_SHOWN", "run_cst", "shown"]
