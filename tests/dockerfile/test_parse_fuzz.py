"""Property: whatever the text, parsing returns a model or raises a one-line DockerfileError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finalstage.dockerfile import parse_text
from finalstage.dockerfile.shell import commands, package_installs
from finalstage.errors import DockerfileError

_WORDS = st.sampled_from(
    [
        "FROM",
        "from",
        "AS",
        "ARG",
        "ENV",
        "RUN",
        "COPY",
        "ONBUILD",
        "CMD",
        "LABEL",
        "HEALTHCHECK",
        "--from=0",
        "--from=b",
        "--mount=type=bind,from=b",
        "--platform=$P",
        "a",
        "b",
        "scratch",
        "${A:-x}",
        "$A",
        "${",
        "}",
        "A=1",
        '"',
        "'",
        "\\",
        "`",
        "[",
        "]",
        '"x",',
        "<<EOF",
        "EOF",
        "&&",
        "|",
        ";",
        "#",
        "# finalstage: ignore=FS101",
        "# escape=`",
        "# syntax=x",
        "\t",
        "é",
        "\x00",
    ]
)
_LINES = st.lists(st.lists(_WORDS, max_size=6).map(" ".join), max_size=12).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_LINES, st.text(max_size=200)), target=st.sampled_from([None, "b", "0"]))
def test_parse_never_crashes(text: str, target: str | None) -> None:
    try:
        df = parse_text(text, target=target, build_args={"A": "v", "P": "linux/arm64"})
    except DockerfileError as err:
        assert "\n" not in str(err)
        return
    assert 0 <= df.final < len(df.stages)
    assert df.chain[0] == df.final
    assert not set(df.feeders) & set(df.chain)
    for stage in df.stages:
        for instr in stage.instructions:
            for cmd in commands(instr):
                package_installs(cmd)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("${}:-+?#%/'\"\\`aAB_ \n;&|()<>=")), max_size=80))
def test_expansion_and_shell_split_never_crash(text: str) -> None:
    from finalstage.dockerfile.expand import expand_word, substitute_known
    from finalstage.dockerfile.shell import split_commands

    env = {"A": "1", "B": ""}
    assert isinstance(expand_word(text, env), str)
    assert isinstance(expand_word(text, env, escape="`"), str)
    # Substitution changes only variables: with no '$' the text is untouched.
    if "$" not in text:
        assert substitute_known(text, env) == text
    split_commands(text)
