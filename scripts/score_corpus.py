#!/usr/bin/env python3
"""Score ``finalstage lint --format json`` on the dev corpus against its ``minimal`` labels.

    python scripts/score_corpus.py                     # the finalstage on PATH
    python scripts/score_corpus.py --exe .venv/bin/finalstage -v

Prints how many ``minimal=no`` files get an error, how many ``minimal=yes`` files get any
error (each one listed), whether ``unclear`` files get one, file-level precision and recall of
"has an error" for "not minimal" (unclear files left out), and the warnings (noise) by rule.
``-v`` lists every error.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "dockerfiles" / "dev"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exe", default="finalstage", help="the finalstage command to run")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every error")
    args = parser.parse_args(argv)
    with (args.corpus / "index.tsv").open(encoding="utf-8") as handle:
        labels = {r["file"]: r["minimal"] for r in csv.DictReader(handle, delimiter="\t")}
    files = sorted(str(p) for p in args.corpus.glob("*.Dockerfile"))
    run = subprocess.run([args.exe, "lint", "--format", "json", *files],
                         capture_output=True, text=True, check=False)
    errors: dict[str, list[str]] = {}
    warnings: Counter[str] = Counter()
    for finding in json.loads(run.stdout)["findings"]:
        name = Path(finding.get("file") or "?").name
        if finding["severity"] == "error":
            errors.setdefault(name, []).append(
                f"{finding['rule']}:{finding['line']} {finding['message'][:100]}")
        elif finding["severity"] == "warning":
            warnings[finding["rule"]] += 1
    no = [n for n, label in labels.items() if label == "no"]
    yes = [n for n, label in labels.items() if label == "yes"]
    print(f"minimal=no files with an error: {sum(n in errors for n in no)}/{len(no)}")
    for name in no:
        for line in (errors.get(name, []) if args.verbose else []):
            print(f"  no  {name}: {line}")
        if name not in errors:
            print(f"  MISSED {name}")
    print(f"minimal=yes files with any error: {sum(n in errors for n in yes)}/{len(yes)}")
    for name in yes:
        for line in errors.get(name, []):
            print(f"  yes {name}: {line}")
    for name in (n for n, label in labels.items() if label not in ("yes", "no")):
        print(f"  {labels[name]} {name}: {'error' if name in errors else 'no error'}")
    caught, flagged = sum(n in errors for n in no), sum(n in errors for n in no + yes)
    precision = f"{caught / flagged:.3f}" if flagged else "n/a"
    print(f"precision (files with an error that are minimal=no): {caught}/{flagged} = {precision}; "
          f"recall (minimal=no files with an error): {caught}/{len(no)} = {caught / len(no):.3f}")
    print(f"warnings: {sum(warnings.values())} {dict(sorted(warnings.items()))}")
    print(f"errors: {sum(len(v) for v in errors.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
