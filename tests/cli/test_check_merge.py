"""De-duplication in `check`: a lint finding and an image finding about the same thing on the
same Dockerfile line become one (lint rule, message and location; image bytes and paths)."""

from __future__ import annotations

from finalstage.check import merge_duplicates
from finalstage.findings import Finding, Location, Severity

LINT = Finding(rule="FS104", name="build-tools-installed", severity=Severity.WARNING,
               message="apt-get installs build tools in the final stage: gcc",
               location=Location("Dockerfile", 6, 1, 6))
IMAGE = Finding(rule="FS201", name="compiler-in-final-image", severity=Severity.ERROR,
                message="12 compiler files (31 MB)", location=Location("Dockerfile", 6, 1, 6),
                bytes=31_000_000, layer=3, created_by="RUN /bin/sh -c apt-get install gcc",
                paths=("/usr/lib/gcc/x86_64-linux-gnu/12/cc1",))


def test_same_line_same_topic_merges() -> None:
    (merged,) = merge_duplicates([LINT], [IMAGE])
    assert merged.rule == "FS104" and merged.message == LINT.message
    assert merged.location == LINT.location
    assert merged.bytes == 31_000_000 and merged.layer == 3
    assert merged.paths == IMAGE.paths and merged.created_by == IMAGE.created_by
    assert merged.severity == Severity.ERROR  # the more severe of the two


def test_other_line_or_topic_stays_separate() -> None:
    moved = Finding(**{**IMAGE.__dict__, "location": Location("Dockerfile", 9)})
    assert len(merge_duplicates([LINT], [moved])) == 2
    cache = Finding(**{**IMAGE.__dict__, "rule": "FS301", "name": "package-cache-in-image"})
    assert len(merge_duplicates([LINT], [cache])) == 2
    unlocated = Finding(**{**IMAGE.__dict__, "location": None})
    assert len(merge_duplicates([LINT], [unlocated])) == 2


def test_copy_context_and_source_in_image_are_one_problem() -> None:
    lint = Finding(rule="FS103", name="copy-entire-context", severity=Severity.ERROR,
                   message="COPY copies the whole build context", location=Location("D", 7))
    image = Finding(rule="FS205", name="source-code-in-image", severity=Severity.WARNING,
                    message="source files", location=Location("D", 7), bytes=2320)
    (merged,) = merge_duplicates([lint], [image])
    assert merged.rule == "FS103" and merged.bytes == 2320


def test_two_image_findings_on_one_lint_finding() -> None:
    other = Finding(**{**IMAGE.__dict__, "rule": "FS202", "name": "headers-in-image",
                       "bytes": 5, "paths": ("/usr/include/x.h",)})
    (merged,) = merge_duplicates([LINT], [IMAGE, other])
    assert merged.bytes == 31_000_000  # the first one's facts; both fold into the lint finding
