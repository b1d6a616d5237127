#!/usr/bin/env python3
"""Write docs/rules/<name>.md and docs/rules/README.md from the rule docstrings.

    python scripts/gen_rule_docs.py          # (re)write the pages
    python scripts/gen_rule_docs.py --check  # exit 1 when the committed pages differ (CI)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from finalstage.rules import ALL_RULES
from finalstage.rules.docs import expected_files

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check compare) the generated rule pages; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    expected = expected_files(ALL_RULES)
    stale = sorted(
        name for name, text in expected.items()
        if not (DOCS / name).is_file() or (DOCS / name).read_text(encoding="utf-8") != text
    )
    extra = sorted(p.name for p in DOCS.glob("*.md") if p.name not in expected) \
        if DOCS.is_dir() else []
    if args.check:
        for name in stale:
            print(f"docs/rules/{name}: out of date", file=sys.stderr)
        for name in extra:
            print(f"docs/rules/{name}: no such rule", file=sys.stderr)
        if stale or extra:
            print("run: python scripts/gen_rule_docs.py", file=sys.stderr)
            return 1
        return 0
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (DOCS / name).write_text(expected[name], encoding="utf-8")
    for name in extra:
        (DOCS / name).unlink()
    print(f"docs/rules: {len(stale)} written, {len(extra)} removed, {len(expected)} total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
