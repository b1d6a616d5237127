"""ARG/ENV expansion: BuildKit's word rules, scopes and build-arg overrides (hand-checked cases)."""

from __future__ import annotations

import pytest

from finalstage.dockerfile import Dockerfile, expand_known, parse_text
from finalstage.dockerfile.expand import expand_word, substitute_known

ENV = {"V": "val", "EMPTY": "", "NAME": "app"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("$V", "val"),
        ("${V}", "val"),
        ("pre-${V}-post", "pre-val-post"),
        ("$V.$NAME", "val.app"),
        ("${UNSET:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${V:-dflt}", "val"),
        ("${UNSET-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),  # set but empty: plain '-' keeps the empty value
        ("${V:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${UNSET:+alt}", ""),
        ("${EMPTY+alt}", "alt"),  # set (even empty): '+' gives the word
        ("${UNSET+alt}", ""),
        ("${UNSET:-${V}}", "val"),  # nested default
        ("${UNSET:-a b}", "a b"),
        ("\\$V", "$V"),  # escaped dollar
        ("'$V'", "$V"),  # single quotes: literal, quotes removed
        ('"$V x"', "val x"),  # double quotes: expanded, quotes removed
        ('"a\\"b"', 'a"b'),
        ('"a\\nb"', "a\\nb"),  # in double quotes only \" \$ \\ are escapes
        ("a\\ b", "a b"),
        ("$", "$"),
        ("$1", "$1"),  # not a name: kept
        ("100%", "100%"),
    ],
)
def test_expand_word_like_buildkit(word: str, expected: str) -> None:
    assert expand_word(word, ENV) == expected


@pytest.mark.parametrize(
    "word", ["$UNKNOWN", "${UNKNOWN}", "x-${UNKNOWN}-y", "${UNKNOWN:?need it}"]
)
def test_unknown_variables_are_kept_as_written(word: str) -> None:
    # Our one deliberate difference from BuildKit (which expands them to ""): see args.py.
    assert expand_word(word, ENV) == word


def test_backtick_escape_token() -> None:
    assert expand_word("`$V", ENV, escape="`") == "$V"
    assert expand_word("C:\\dir\\$V", ENV, escape="`") == "C:\\dir\\val"


def test_substitute_known_keeps_quotes_and_single_quoted_text() -> None:
    text = "pip install \"$NAME==1\" '$V' $UNKNOWN ${EMPTY:-x}"
    assert substitute_known(text, ENV) == "pip install \"app==1\" '$V' $UNKNOWN x"


def test_global_args_in_from_and_build_arg_override() -> None:
    text = "ARG GO=1.22\nARG BASE=distroless\nFROM golang:${GO}-alpine AS b\nFROM gcr.io/$BASE\n"
    df = parse_text(text)
    assert df.stages[0].base == "golang:1.22-alpine"
    assert df.stages[0].raw_base == "golang:${GO}-alpine"
    assert df.final_stage.base == "gcr.io/distroless"
    df = parse_text(text, build_args={"GO": "1.23"})
    assert df.stages[0].base == "golang:1.23-alpine"
    assert df.global_args[0].args == ("GO=1.23",)
    assert df.build_args == {"GO": "1.23"}


def test_global_arg_needs_redeclaration_inside_a_stage() -> None:
    df = parse_text("ARG V=1\nFROM a\nLABEL before=$V\nARG V\nLABEL after=$V\n")
    labels = [i for i in df.final_stage.instructions if i.keyword == "LABEL"]
    assert labels[0].args == ("before=$V",)  # not visible yet: kept as written
    assert labels[1].args == ("after=1",)


def test_stage_arg_default_build_arg_and_env_precedence() -> None:
    text = "FROM a\nARG P=dflt\nUSER $P\nENV P=fromenv\nUSER $P\nARG Q\nWORKDIR /$Q\n"

    def users(df: Dockerfile) -> list[tuple[str, ...]]:
        return [i.args for i in df.final_stage.instructions if i.keyword in ("USER", "WORKDIR")]

    assert users(parse_text(text)) == [("dflt",), ("fromenv",), ("/$Q",)]
    # --build-arg overrides an ARG default, but ENV still wins over ARG.
    assert users(parse_text(text, build_args={"P": "cli", "Q": "q"})) == [
        ("cli",),
        ("fromenv",),
        ("/q",),
    ]


def test_build_arg_for_undeclared_name_is_ignored() -> None:
    df = parse_text("FROM a\nUSER $U\n", build_args={"U": "root"})
    assert df.final_stage.instructions[1].args == ("$U",)


def test_env_expands_later_instructions_and_uses_old_values_within_itself() -> None:
    df = parse_text("FROM a\nENV A=1\nENV A=2 B=$A\nCOPY $A/$B /dst\n")
    env2 = df.final_stage.instructions[2]
    assert env2.args == ("A=2", "B=1")  # BuildKit: one ENV sees the values before it
    assert env2.key_values() == (("A", "2"), ("B", "1"))
    assert df.final_stage.instructions[3].args == ("2/1", "/dst")


def test_env_inherited_through_from_stage_but_not_args() -> None:
    df = parse_text("FROM a AS base\nENV HOME=/srv\nARG X=1\nFROM base\nWORKDIR $HOME/$X\n")
    assert df.final_stage.instructions[1].args == ("/srv/$X",)


def test_env_quotes_and_legacy_form() -> None:
    df = parse_text("FROM a\nENV A=\"x y\" B='$z' C=p\\ q\nENV LEGACY some value\n")
    env = df.final_stage.instructions[1]
    assert env.key_values() == (("A", "x y"), ("B", "$z"), ("C", "p q"))
    assert env.raw_args == ('A="x y"', "B='$z'", "C=p\\ q")
    assert df.final_stage.instructions[2].key_values() == (("LEGACY", "some value"),)


def test_run_cmd_entrypoint_are_not_expanded_but_helper_substitutes() -> None:
    df = parse_text("FROM a\nARG PKGS=flask\nRUN pip install $PKGS\nCMD echo $PKGS\n")
    run, cmd = df.final_stage.instructions[2:4]
    assert run.args == ("pip install $PKGS",)
    assert run.raw_args == run.args
    assert cmd.args == ("echo $PKGS",)
    assert expand_known(run) == ("pip install flask",)
    assert run.vars == {"PKGS": "flask"}


def test_flags_are_expanded_and_raw_flags_kept() -> None:
    df = parse_text(
        "FROM a AS b\nFROM c\nARG SRC=b\nARG OWNER=app\nCOPY --from=$SRC --chown=${OWNER} x y\n"
    )
    copy = df.final_stage.instructions[-1]
    assert copy.flag("from") == "b"
    assert copy.flag("chown") == "app"
    assert copy.raw_flags == ("--from=$SRC", "--chown=${OWNER}")
    assert df.final_stage.copies_from == (0,)


def test_platform_args_usable_in_from_lines() -> None:
    df = parse_text(
        "FROM --platform=$BUILDPLATFORM golang AS b\nFROM --platform=${TARGETPLATFORM} alpine\n"
    )
    assert df.stages[0].platform == "linux/amd64"
    assert df.final_stage.platform == "linux/amd64"
    df = parse_text(
        "FROM --platform=$TARGETPLATFORM a\n", build_args={"TARGETPLATFORM": "linux/arm64"}
    )
    assert df.final_stage.platform == "linux/arm64"
    # Inside a stage, TARGETARCH exists only once declared.
    df = parse_text("FROM a\nLABEL x=$TARGETARCH\nARG TARGETARCH\nLABEL y=$TARGETARCH\n")
    assert [i.args for i in df.final_stage.instructions[1::2]] == [("x=$TARGETARCH",), ("y=amd64",)]


def test_arg_default_references_earlier_arg() -> None:
    df = parse_text("ARG A=1\nARG B=${A}.0\nFROM img:$B\n")
    assert df.final_stage.base == "img:1.0"


def test_expandable_instruction_list() -> None:
    text = (
        "FROM a\nARG V=v\nADD $V /\nEXPOSE $V\nLABEL l=$V\nSTOPSIGNAL $V\nUSER $V\nVOLUME $V\n"
        'WORKDIR /$V\nONBUILD COPY $V /\nSHELL ["$V"]\nHEALTHCHECK CMD $V\n'
        "ENTRYPOINT $V\nMAINTAINER $V\n"
    )
    by_kw = {i.keyword: i for i in parse_text(text).final_stage.instructions}
    for kw in ("ADD", "EXPOSE", "STOPSIGNAL", "USER", "VOLUME"):
        assert "v" in by_kw[kw].args[0], kw
    assert by_kw["LABEL"].args == ("l=v",)
    assert by_kw["WORKDIR"].args == ("/v",)
    assert by_kw["ONBUILD"].onbuild is not None and by_kw["ONBUILD"].onbuild.args == ("v", "/")
    for kw in ("SHELL", "ENTRYPOINT", "MAINTAINER"):
        assert "$V" in by_kw[kw].args[0], kw
    assert by_kw["HEALTHCHECK"].args == ("CMD", "$V")


def test_redeclared_platform_arg_in_global_scope_keeps_its_value() -> None:
    df = parse_text("ARG TARGETARCH\nFROM img-$TARGETARCH\nARG TARGETARCH\nUSER $TARGETARCH\n")
    assert df.final_stage.base == "img-amd64"
    assert df.final_stage.instructions[-1].args == ("amd64",)
    df = parse_text("ARG TARGETARCH\nFROM img-$TARGETARCH\n", build_args={"TARGETARCH": "arm64"})
    assert df.final_stage.base == "img-arm64"
