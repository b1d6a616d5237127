"""``lint --fix --unsafe-fixes`` over the 73 real Dockerfiles of ../shared/corpus/dockerfiles/dev.

For every file, on a copy:
- the fixed file still parses (with BuildKit's parser, as every lint does);
- every finding a fix was applied to is gone when the file is linted again (same rule, same
  message: a line number may move when a fix adds a line);
- linting again shows no error-severity finding that was not there before;
- the change is only insertions and replacements inside the fixed lines: every original
  comment line survives, and the escape directive too.
Across the corpus, fixes must actually happen (a fixer that never fires passes every check).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from finalstage.api.autofix import lint_fix
from finalstage.api.lint import lint
from finalstage.dockerfile import load
from finalstage.findings import Severity

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus" / "dockerfiles" / "dev"
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "index.tsv").is_file(),
                       reason="../shared/corpus is absent (third-party test data, not shipped)"),
]


def _files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.Dockerfile")) if CORPUS.is_dir() else []


def _key(finding: object) -> tuple[str, str]:
    return (finding.rule, finding.message)  # type: ignore[attr-defined]


def test_fix_whole_corpus(tmp_path: Path) -> None:
    files = _files()
    assert len(files) >= 70
    applied: Counter[str] = Counter()
    problems: list[str] = []
    for source in files:
        copy = tmp_path / source.name
        shutil.copyfile(source, copy)
        before = lint(str(copy)).findings
        report = lint_fix(str(copy), unsafe=True)
        (done,) = report.detail  # type: ignore[misc]
        load(copy)  # still parses, or this raises
        after = lint(str(copy)).findings
        fixed = Counter(_key(f) for f in done.fixed)
        left = Counter(_key(f) for f in after)
        was = Counter(_key(f) for f in before)
        for key in fixed:
            if left[key] >= was[key]:
                problems.append(f"{source.name}: {key} still reported after its fix")
        new_errors = {_key(f) for f in after if f.severity is Severity.ERROR} - set(was)
        if new_errors:
            problems.append(f"{source.name}: new errors {sorted(new_errors)}")
        comments = [ln for ln in done.before.splitlines() if ln.lstrip().startswith("#")]
        kept = set(done.after.splitlines())
        problems += [f"{source.name}: comment lost: {c!r}" for c in comments if c not in kept]
        applied.update(f.rule for f in done.fixed)
    assert problems == []
    # Each fixable rule that fires on this corpus gets fixed somewhere (FS402 never fires
    # here: the one shell-form CMD is a shell script, which gets no fix; see tests/test_fix.py).
    assert set(applied) >= {"FS105", "FS107", "FS108", "FS401"}, applied
