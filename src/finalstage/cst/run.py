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
        errors.append(f"exit code {code}, expected {spec.get('exitCode', 0)}")
    for key, text, should in (("expectedOutput", stdout, True), ("excludedOutput", stdout, False),
                              ("expectedError", stderr, True), ("excludedError", stderr, False)):
        for pattern in spec.get(key, ()):
            if bool(regex(pattern).search(text)) != should:
                errors.append(f"{key}: {pattern!r} {'not found' if should else 'found'}")
    return CstResult(test, "fail" if errors else "pass", tuple(errors))


__all__ = ["run_cst"]
