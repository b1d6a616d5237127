"""Baselines: fingerprints survive line moves and size changes; new findings still fail."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from finalstage.errors import UsageError
from finalstage.findings import Finding, Location, Severity
from finalstage.engine.baseline import (
    apply_baseline,
    fingerprint,
    message_key,
    read_baseline,
    write_baseline,
)

GCC = Finding(rule="FS905", name="forbidden-category", severity=Severity.ERROR,
              message="12 compiler files (31 MB) in the final image, added by layer 1",
              location=Location("Dockerfile", 6), stage="1", bytes=31_000_000, layer=1)
ROOT = Finding(rule="FS908", name="root-user", severity=Severity.ERROR,
               message="the image runs as root (no USER set)")


def test_message_key_drops_numbers_sizes_digests() -> None:
    assert message_key("12 compiler files (31.5 MB) in layer 1") == "# compiler files (#) in layer #"
    assert message_key("blob sha256:" + "ab" * 32 + " is big") == "blob # is big"


def test_fingerprint_ignores_line_and_size_but_not_rule_or_file() -> None:
    moved = replace(GCC, location=Location("Dockerfile", 40), bytes=33_000_000,
                    message="13 compiler files (33 MB) in the final image, added by layer 2")
    assert fingerprint(moved) == fingerprint(GCC)
    assert fingerprint(replace(GCC, rule="FS906")) != fingerprint(GCC)
    assert fingerprint(replace(GCC, location=Location("other/Dockerfile", 6))) != fingerprint(GCC)
    assert fingerprint(replace(GCC, message=GCC.message.replace("compiler", "cache"))) \
        != fingerprint(GCC)


def test_round_trip(tmp_path: Path) -> None:
    file = tmp_path / "baseline.json"
    assert write_baseline(file, [GCC, ROOT]) == 2
    baseline = read_baseline(file)
    assert apply_baseline([GCC, ROOT], baseline) == ([], [GCC, ROOT])
    new = replace(GCC, message=GCC.message.replace("compiler", "cache"))
    assert apply_baseline([GCC, new, ROOT], baseline) == ([new], [GCC, ROOT])
    # counted: a second identical finding is new
    assert apply_baseline([GCC, GCC], baseline)[0] == [GCC]


def test_baselines_written_before_a_merge_still_match(tmp_path: Path) -> None:
    # FS908 was the policy's root-user clause; it is now FS401 root-user. A baseline that
    # recorded FS908 still knows the FS401 finding with the same message.
    file = tmp_path / "baseline.json"
    write_baseline(file, [ROOT])
    renamed = replace(ROOT, rule="FS401")
    assert apply_baseline([renamed], read_baseline(file), {"FS401": ("FS109", "FS908")}) \
        == ([], [renamed])
    assert apply_baseline([renamed], read_baseline(file))[0] == [renamed]
    assert "31 MB" not in file.read_text()


@pytest.mark.parametrize(("content", "fragment"), [
    ("not json", "not json"),
    ("[]", "not a finalstage baseline"),
    ('{"findings": {}}', "not a finalstage baseline"),
    ('{"schema_version": 9, "findings": []}', "unsupported schema_version 9"),
    ('{"schema_version": 1, "findings": [{"rule": "x"}]}', "without a fingerprint"),
])
def test_bad_baselines(tmp_path: Path, content: str, fragment: str) -> None:
    file = tmp_path / "b.json"
    file.write_text(content)
    with pytest.raises(UsageError, match=fragment):
        read_baseline(file)


def test_missing_baseline_and_unwritable(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_baseline(tmp_path / "nope.json")
    with pytest.raises(UsageError, match="writing baseline"):
        write_baseline(tmp_path / "no" / "dir" / "b.json", [GCC])


def test_deeply_nested_baseline(tmp_path: Path) -> None:
    file = tmp_path / "b.json"
    file.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(UsageError, match="reading baseline"):
        read_baseline(file)
