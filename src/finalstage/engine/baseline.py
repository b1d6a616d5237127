"""Baselines: adopt ``check`` on an existing image and fail only on what is new.

``--write-baseline FILE`` records a fingerprint per current finding; ``--baseline FILE`` drops
the findings whose fingerprint is recorded. A fingerprint is the rule, where it is (Dockerfile
path and stage, else the image), and the message with its numbers removed — never a line number
or a size, so editing lines above a finding or growing the image by a few bytes does not turn a
known finding into a new one. Fingerprints are counted: a baseline with one ``apk add gcc``
finding still reports the second one that appears later.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from finalstage.errors import UsageError
from finalstage.findings import Finding
from finalstage.userfiles import read_text

SCHEMA_VERSION = 1
# Sizes ("1.2 GB"), counts, layer indexes and hex digests vary between builds of the same image.
_VOLATILE = re.compile(
    r"\b(?:sha256:)?[0-9a-f]{12,}\b|\d+(?:\.\d+)?\s*(?:[kMGTPE]i?B|B)\b|\d+(?:\.\d+)?")


def message_key(message: str) -> str:
    """The message with sizes, counts and digests replaced by ``#``."""
    return " ".join(_VOLATILE.sub("#", message).split())


def fingerprint(finding: Finding, code: str | None = None) -> str:
    """A stable identity of a finding across builds and edits (no line numbers); ``code``
    replaces the rule code (a retired alias the baseline may have recorded)."""
    where = finding.location.file if finding.location is not None else ""
    parts = (code or finding.rule, where.replace("\\", "/"), finding.stage or "",
             message_key(finding.message))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def write_baseline(path: str | Path, findings: Iterable[Finding]) -> int:
    """Write the fingerprints of ``findings`` to ``path``; returns how many were written."""
    items = sorted(
        ({"fingerprint": fingerprint(f), "rule": f.rule, "message": message_key(f.message)}
         for f in findings),
        key=lambda item: (item["rule"], item["fingerprint"]))
    doc = {"schema_version": SCHEMA_VERSION, "tool": "finalstage", "findings": items}
    try:
        Path(path).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8")
    except OSError as err:
        raise UsageError(f"writing baseline {path}: {err.strerror or err}") from err
    return len(items)


def read_baseline(path: str | Path) -> Counter[str]:
    """The fingerprints recorded in a baseline file, with their counts."""
    file = Path(path)
    text = read_text(file, "baseline")
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise UsageError(f"reading baseline {file}: not json: {err}") from err
    except RecursionError as err:  # json recurses once per nesting level
        raise UsageError(f"reading baseline {file}: not json: nested too deeply") from err
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise UsageError(f"reading baseline {file}: not a finalstage baseline "
                         "(expected an object with a \"findings\" list)")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(f"reading baseline {file}: unsupported schema_version "
                         f"{doc.get('schema_version')!r} (expected {SCHEMA_VERSION})")
    counts: Counter[str] = Counter()
    for item in doc["findings"]:
        value = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(value, str):
            raise UsageError(f"reading baseline {file}: a finding without a fingerprint")
        counts[value] += 1
    return counts


def apply_baseline(findings: Iterable[Finding], baseline: Counter[str],
                   aliases: Mapping[str, Sequence[str]] | None = None,
                   ) -> tuple[list[Finding], list[Finding]]:
    """(new findings, findings the baseline knows). Each recorded fingerprint absorbs one
    finding; a finding is also known under its rule's retired codes (``aliases``: code → old
    codes) and under the codes merged into it, so baselines written before a merge still work."""
    remaining = Counter(baseline)
    new: list[Finding] = []
    known: list[Finding] = []
    for finding in findings:
        codes = (finding.rule, *(aliases or {}).get(finding.rule, ()), *finding.also)
        key = next((k for k in (fingerprint(finding, c) for c in codes) if remaining[k] > 0),
                   None)
        if key is None:
            new.append(finding)
        else:
            remaining[key] -= 1
            known.append(finding)
    return new, known


__all__ = ["apply_baseline", "fingerprint", "message_key", "read_baseline", "write_baseline"]
