"""``# finalstage:`` suppression comments: scopes, targets, reasons, malformed ones."""

from __future__ import annotations

import pytest

from finalstage.dockerfile import parse_text
from finalstage.dockerfile.pragmas import parse_pragma

TEXT = """\
# finalstage: global ignore=FS001
FROM golang AS build
# finalstage: stage ignore=FS101 # builder is fine
RUN go build
FROM alpine
# finalstage: ignore=FS101,FS203  # we need curl
# an ordinary comment in between

COPY . /app
RUN apk add curl && \\
# finalstage: ignore=fs301
    rm -rf /var/cache/apk
USER app
"""


def test_scopes_targets_and_reasons() -> None:
    pragmas = parse_text(TEXT).pragmas
    assert [(p.scope, p.codes, p.line, p.target_line, p.stage, p.reason) for p in pragmas] == [
        ("global", ("FS001",), 1, None, None, None),
        ("stage", ("FS101",), 3, None, 0, "builder is fine"),
        ("line", ("FS101", "FS203"), 6, 9, 1, "we need curl"),
        # inside a continuation: applies to the next instruction that starts after it
        ("line", ("FS301",), 11, 13, 1, None),
    ]


def test_stage_pragma_before_first_from_applies_to_first_stage() -> None:
    (pragma,) = parse_text("# finalstage: stage ignore=FS101\nFROM a\n").pragmas
    assert pragma.stage == 0


def test_pragma_lookalike_inside_heredoc_is_script_text() -> None:
    text = "FROM a\nRUN <<EOF\n# finalstage: ignore=FS101\necho\nEOF\n"
    assert parse_text(text).pragmas == ()


def test_rule_names_are_accepted() -> None:
    (pragma,) = parse_text("FROM a\n# finalstage: ignore=sdk-base-image, FS102\nRUN x\n").pragmas
    assert pragma.codes == ("sdk-base-image", "FS102")


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        ("# finalstage: ignor=FS101", "expected 'ignore=' after 'finalstage:', found 'ignor'"),
        ("# finalstage:", "expected 'ignore=' after 'finalstage:', found 'nothing'"),
        ("# finalstage: ignore FS101", "expected '=' after 'ignore'"),
        ("# finalstage: ignore=", "no rule codes after 'ignore='"),
        ("# finalstage: ignore=FS101;FS102", "invalid rule code 'FS101;FS102'"),
        ("# finalstage: ignore=FS101,,FS102", "empty rule code in list"),
        ("# finalstage: file ignore=FS101", "expected 'ignore=' after 'finalstage:', found 'file'"),
    ],
)
def test_malformed_pragmas_are_recorded(comment: str, error: str) -> None:
    df = parse_text(f"FROM a\n{comment}\nRUN x\n")
    (pragma,) = df.pragmas
    assert pragma.scope == "invalid"
    assert pragma.error == error
    assert pragma.line == 2
    assert df.valid_pragmas == ()


def test_line_pragma_at_end_of_file_is_invalid() -> None:
    (pragma,) = parse_text("FROM a\n# finalstage: ignore=FS101\n").pragmas
    assert pragma.scope == "invalid"
    assert pragma.error == "ignore pragma with no instruction after it"


def test_parse_pragma_direct() -> None:
    assert parse_pragma(" global ignore = FS1 , FS2 #  why  ") == ("global", ("FS1", "FS2"), "why")
