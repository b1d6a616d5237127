"""escape_control/one_line: untrusted text can never drive the terminal or break a write."""

from __future__ import annotations

import pytest

from finalstage.escape import escape_control, one_line


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain/path", "plain/path"),
        ("café ✓ 日本", "café ✓ 日本"),
        ("a\tb", "a\tb"),  # tabs are kept
        ("x\x1b[2Jy", "x\\x1b[2Jy"),  # ESC: clear screen
        ("a\nb\rc", "a\\x0ab\\x0dc"),
        ("nul\x00", "nul\\x00"),
        ("del\x7f", "del\\x7f"),
        ("c1\x9b31m", "c1\\x9b31m"),  # C1 CSI
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),  # right-to-left override
        ("iso\u2066x\u2069", "iso\\u2066x\\u2069"),
        ("line\u2028sep\x85", "line\\u2028sep\\x85"),  # also break lines in some viewers
    ],
)
def test_escape_control(raw: str, expected: str) -> None:
    assert escape_control(raw) == expected


def test_undecodable_bytes_come_back_as_their_byte_and_encode() -> None:
    name = b"caf\xe9/\xff".decode("utf-8", "surrogateescape")
    escaped = escape_control(name)
    assert escaped == "caf\\xe9/\\xff"
    escaped.encode("utf-8")  # would raise on a lone surrogate


def test_other_lone_surrogates_are_escaped() -> None:
    assert escape_control("\ud800") == "\\ud800"


def test_one_line() -> None:
    assert one_line("first\nsecond\n") == "first second"
    assert one_line("  a\x1b[0m ") == "a\\x1b[0m"
