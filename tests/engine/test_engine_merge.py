"""One fact, one finding: findings merge on a shared subject at a shared place, never on
message text (hand-made findings; the end-to-end cases are in test_engine_policy.py)."""

from __future__ import annotations

import dataclasses

from finalstage.engine.merge import merge
from finalstage.findings import Finding, Location, Severity

LINT = Finding(rule="FS104", name="build-tools-installed", severity=Severity.WARNING,
               message="apt-get installs build tools in the final stage: gcc",
               location=Location("Dockerfile", 6, 1, 6),
               subjects=("category:compiler", "category:build-tool"))
IMAGE = Finding(rule="FS201", name="compiler-in-final-image", severity=Severity.ERROR,
                message="12 compiler files (31 MB)", location=Location("Dockerfile", 6, 1, 6),
                bytes=31_000_000, layer=3, created_by="RUN /bin/sh -c apt-get install gcc",
                paths=("/usr/lib/gcc/x86_64-linux-gnu/12/cc1",), subjects=("category:compiler",))


def test_same_place_same_subject_merges() -> None:
    (merged,) = merge([LINT, IMAGE], None)
    assert merged.rule == "FS104" and merged.message == LINT.message
    assert merged.location == LINT.location and merged.also == ("FS201",)
    assert merged.bytes == 31_000_000 and merged.layer == 3
    assert merged.paths == IMAGE.paths and merged.created_by == IMAGE.created_by
    assert merged.severity == Severity.ERROR  # the more severe of the two


def test_other_place_or_subject_stays_separate() -> None:
    moved = dataclasses.replace(IMAGE, location=Location("Dockerfile", 9))
    assert len(merge([LINT, moved], None)) == 2
    cache = dataclasses.replace(IMAGE, rule="FS207", subjects=("category:cache",))
    assert len(merge([LINT, cache], None)) == 2
    unlocated = dataclasses.replace(IMAGE, location=None)
    assert len(merge([LINT, unlocated], None)) == 2
    # the same words in two messages mean nothing: no subject, no merge
    twin = dataclasses.replace(IMAGE, message=LINT.message, subjects=())
    assert len(merge([LINT, twin], None)) == 2


def test_findings_of_one_layer_merge_without_a_dockerfile() -> None:
    a = dataclasses.replace(IMAGE, location=None)
    b = dataclasses.replace(IMAGE, location=None, rule="FS907", bytes=None,
                            subjects=("package:deb:gcc-12", "category:compiler"))
    (merged,) = merge([a, b], None)
    assert merged.rule == "FS201" and merged.also == ("FS907",)
    other_layer = dataclasses.replace(b, layer=4)
    assert len(merge([a, other_layer], None)) == 2


def test_several_image_findings_fold_into_one() -> None:
    other = dataclasses.replace(IMAGE, rule="FS202", bytes=5, subjects=("category:build-tool",))
    (merged,) = merge([LINT, IMAGE, other], None)
    # compilers and build tools are different files: their bytes add up
    assert merged.bytes == 31_000_005 and merged.paths == IMAGE.paths
    assert merged.also == ("FS201", "FS202")
    # the same subject seen by two image rules is the same files: counted once
    twice = dataclasses.replace(IMAGE, rule="FS905")
    assert merge([LINT, IMAGE, twice], None)[0].bytes == 31_000_000
