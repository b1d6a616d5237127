"""``lint --fix``: apply the rules' own fixes to Dockerfiles, then lint what is left.

::

    >>> from finalstage.api.autofix import fix_text
    >>> text, fixed = fix_text("FROM debian:12\\nRUN pip install flask\\nCMD python app.py\\n")
    >>> print(text, end="")
    FROM debian:12
    RUN pip install --no-cache-dir flask
    CMD ["python", "app.py"]
    >>> sorted(f.rule for f in fixed)
    ['FS107', 'FS402']

Safe fixes only unless ``unsafe`` is given (ruff's ``--unsafe-fixes``). Each pass parses the
text, lints it, applies the fixes that do not overlap, and starts again, until no fix is left;
a fix that would make the file unparsable is dropped (never written).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from finalstage.api.lint import SettingsArg, combine, resolve_settings
from finalstage.dockerfile import parse_text
from finalstage.dockerfile.parse import decode, read_source
from finalstage.engine import evaluate
from finalstage.engine.fixes import apply_fixes, fixes_of
from finalstage.errors import DockerfileError, UsageError
from finalstage.facts import Facts
from finalstage.findings import Applicability, Finding, Report, Severity
from finalstage.settings import Settings

MAX_PASSES = 10
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class FileFix:
    """What ``--fix`` did to one file: its text before and after, and the findings fixed."""

    path: str
    before: str
    after: str
    fixed: tuple[Finding, ...]

    @property
    def is_changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        """A unified diff of the change (empty when nothing changed)."""
        return "".join(difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile=f"a/{self.path.lstrip('/')}", tofile=f"b/{self.path.lstrip('/')}"))


def fix_text(text: str, *, path: str = "Dockerfile", settings: Settings | None = None,
             build_args: Mapping[str, str] | None = None, target: str | None = None,
             unsafe: bool = False) -> tuple[str, tuple[Finding, ...]]:
    """``text`` with the fixes applied, and the findings they fixed."""
    chosen = settings or Settings()
    fixed: list[Finding] = []
    for _ in range(MAX_PASSES):
        findings = _lint(text, path, chosen, build_args, target)
        fixes = fixes_of(findings, unsafe=unsafe)
        if not fixes:
            break
        new_text, applied = apply_fixes(text, fixes)
        try:
            parse_text(new_text, path=path, build_args=build_args, target=target)
        except DockerfileError:
            break  # a fix that breaks the file is a bug in the fix: keep the file as it was
        fixed.extend(f for f in findings if f.fix in applied)
        text = new_text
    return text, tuple(fixed)


def _lint(text: str, path: str, settings: Settings, build_args: Mapping[str, str] | None,
          target: str | None) -> tuple[Finding, ...]:
    df = parse_text(text, path=path, build_args=build_args, target=target)
    return evaluate(Facts(dockerfile=df, dockerfile_path=path, target=target), settings,
                    command="lint", targets=(path,)).findings


def lint_fix(
    dockerfiles: str | Path | Sequence[str | Path],
    *,
    write: bool = True,
    unsafe: bool = False,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    settings: SettingsArg = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    fail_on: Severity | None = None,
) -> Report:
    """Fix each Dockerfile (in place when ``write``), then lint the result into one Report.

    ``detail`` is the tuple of ``FileFix``; the findings are those left after fixing.
    """
    paths = [dockerfiles] if isinstance(dockerfiles, (str, Path)) else list(dockerfiles)
    if not paths or any(str(p) == "-" for p in paths):
        raise UsageError("lint --fix: give Dockerfile paths (standard input cannot be fixed)")
    done: list[FileFix] = []
    reports: list[Report] = []
    for raw in paths:
        path = str(raw)
        chosen = resolve_settings(settings, Path(path).parent, select=select, ignore=ignore,
                                  fail_on=fail_on)
        data = read_source(path)
        before = decode(data, path)
        after, fixed = fix_text(before, path=path, settings=chosen, build_args=build_args,
                                target=target, unsafe=unsafe)
        done.append(FileFix(path, before, after, fixed))
        if write and after != before:
            write_text(path, after, data)
        df = parse_text(after, path=path, build_args=build_args, target=target)
        reports.append(evaluate(Facts(dockerfile=df, dockerfile_path=path, target=target),
                                chosen, command="lint", targets=(path,)))
    merged = combine(reports, "lint")
    return Report(command="lint", findings=merged.findings, targets=merged.targets,
                  rules=merged.rules, fail_on=merged.fail_on, suppressed=merged.suppressed,
                  detail=tuple(done), notes=_notes(done, merged.findings, unsafe, write))


def _notes(done: Sequence[FileFix], left: Sequence[Finding], unsafe: bool,
           write: bool) -> tuple[str, ...]:
    count = sum(len(f.fixed) for f in done)
    files = sum(1 for f in done if f.is_changed)
    verb = "fixed" if write else "would fix"
    notes = [f"{verb} {count} finding{'s' * (count != 1)} in {files} file{'s' * (files != 1)}"]
    hidden = sum(1 for f in left if f.fix is not None
                 and f.fix.applicability is Applicability.UNSAFE)
    if hidden and not unsafe:
        notes.append(f"{hidden} more fix{'es' * (hidden != 1)} available with --unsafe-fixes")
    return tuple(notes)


def write_text(path: str, text: str, original: bytes) -> None:
    """Write ``text`` back in the file's own conventions (BOM, CRLF line ends)."""
    if b"\r\n" in original:
        text = text.replace("\n", "\r\n")
    data = (_BOM if original.startswith(_BOM) else b"") + text.encode("utf-8")
    tmp = f"{path}.finalstage-fix.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as err:
        raise UsageError(f"writing {path}: {err.strerror or err}") from err


__all__ = ["FileFix", "fix_text", "lint_fix", "write_text"]
