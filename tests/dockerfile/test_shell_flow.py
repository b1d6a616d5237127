"""Shell control flow in RUN bodies: guards on known build args are decided, others kept."""

from __future__ import annotations

import pytest

from finalstage.dockerfile import commands, parse_text
from finalstage.dockerfile.flow import FlowError, parse
from finalstage.dockerfile.shell import script_commands


def _ran(script: str, env: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    return [(" ".join((c.name, *c.args)), c.guard) for c in script_commands(script, env or {})
            if c.name not in ("[", "[[", "test")]


def test_known_false_if_drops_the_branch() -> None:
    script = 'if [ "$DEBUG" = "true" ]; then apk add gdb; fi; apk add curl'
    assert _ran(script, {"DEBUG": "false"}) == [("apk add curl", None)]
    assert _ran(script, {"DEBUG": "true"}) == [("apk add gdb", None), ("apk add curl", None)]


def test_unknown_guard_keeps_both_branches_with_the_guard() -> None:
    script = 'if [ "$DEBUG" = "true" ]; then apk add gdb; else apk add tini; fi'
    assert _ran(script) == [("apk add gdb", "[ $DEBUG = true ]"),
                            ("apk add tini", "not [ $DEBUG = true ]")]


def test_elif_else_and_negation() -> None:
    script = ('if [ "$A" = 1 ]; then echo one; elif ! [ -z "$B" ]; then echo two; '
              'else echo three; fi')
    assert _ran(script, {"A": "0", "B": "x"}) == [("echo two", None)]
    assert _ran(script, {"A": "0", "B": ""}) == [("echo three", None)]


def test_and_or_lists() -> None:
    assert _ran('[ "$X" = yes ] && make', {"X": "no"}) == []
    assert _ran('[ "$X" = yes ] || make', {"X": "no"}) == [("make", None)]
    assert _ran('[ -f /etc/x ] && make') == [("make", "[ -f /etc/x ]")]
    # An ordinary command is expected to succeed: what follows && runs, what follows || may not.
    assert _ran("apt-get update && apt-get install -y gcc || echo failed") == [
        ("apt-get update", None), ("apt-get install -y gcc", None),
        ("echo failed", "apt-get install -y gcc fails")]


def test_case_on_a_known_value() -> None:
    script = ('case "$TARGETARCH" in amd64|x86_64) apt-get install -y a ;; '
              'arm64) apt-get install -y b ;; *) echo other ;; esac')
    assert _ran(script, {"TARGETARCH": "arm64"}) == [("apt-get install -y b", None)]
    assert _ran(script, {"TARGETARCH": "s390x"}) == [("echo other", None)]
    assert [guard for _, guard in _ran(script)] == [
        "case $TARGETARCH is amd64|x86_64", "case $TARGETARCH is arm64", "case $TARGETARCH is *"]


def test_double_brackets_patterns_and_numbers() -> None:
    assert _ran('[[ "$V" == 3.* && -n "$V" ]] && echo new', {"V": "3.12"}) == [("echo new", None)]
    assert _ran('[[ "$V" == 2.* ]] && echo old', {"V": "3.12"}) == []
    assert _ran('[ "$N" -gt 2 ] && echo big', {"N": "10"}) == [("echo big", None)]
    assert _ran('test "$N" -lt 2 -o "$M" = x && echo y', {"N": "10", "M": "x"}) == [
        ("echo y", None)]


def test_script_assignments_join_the_known_values() -> None:
    assert _ran('X=1; if [ "$X" = 1 ]; then make; fi') == [("make", None)]
    # Assigned under an undecided guard: unknown afterwards.
    script = 'if [ -f a ]; then X=1; fi; [ "$X" = 1 ] && make'
    assert _ran(script) == [("make", "[ $X = 1 ]")]


def test_substitutions_loops_groups_and_functions_still_run() -> None:
    script = ('apt-get install -y $(cat /pkgs) && (cd /src && make) | tee log; '
              'for f in $(ls); do rm "$f"; done; build() { gcc x.c; }; { echo a; }')
    names = [text.split()[0] for text, _ in _ran(script)]
    assert names == ["cat", "apt-get", "cd", "make", "tee", "rm", "gcc", "echo"]


def test_unreadable_text_falls_back_to_the_flat_split() -> None:
    with pytest.raises(FlowError):
        parse("if [ x ]; then echo")
    # Flat split: every command, none conditional.
    assert _ran("if [ x ]; then apk add gdb") == [("apk add gdb", None)]


def test_instruction_commands_use_the_known_args() -> None:
    text = ('FROM alpine\nARG DEBUG=false\nENV DEBUG=$DEBUG\n'
            'RUN if [ "$DEBUG" == "true" ]; then apk add boost-dev; fi\n')
    run = parse_text(text).final_stage.instructions[-1]
    assert [c.name for c in commands(run)] == ["["]
    run = parse_text(text, build_args={"DEBUG": "true"}).final_stage.instructions[-1]
    assert [(c.name, c.guard) for c in commands(run)] == [("[", None), ("apk", None)]


def test_echo_substitutions_and_backticks_give_their_words() -> None:
    script = ('composer install `if [ "$TESTING" != "true" ]; then echo "--no-dev"; fi` && '
              'apt-get install -y $(echo gcc make)')
    assert _ran(script, {"TESTING": "false"}) == [
        ("echo --no-dev", None), ("composer install --no-dev", None), ("echo gcc make", None),
        ("apt-get install -y gcc make", None)]
    assert _ran(script, {"TESTING": "true"})[0] == ("composer install", None)
    # Undecided: the substitution's output is unknown and stays a placeholder.
    assert ("composer install $(…)", None) in _ran(script)


def test_platform_probes_answer_for_the_target_platform() -> None:
    script = ('if [ "$(uname -m)" = "x86_64" ]; then apt-get install -y a; '
              'else apt-get install -y b; fi; '
              'case "$(dpkg --print-architecture)" in arm64) echo arm;; amd64) echo amd;; esac')
    assert _ran(script) == [("apt-get install -y a", None), ("echo amd", None)]
    assert _ran(script, {"TARGETARCH": "arm64"}) == [("apt-get install -y b", None),
                                                      ("echo arm", None)]
    assert _ran("apk add $(uname -m)") == [("uname -m", None), ("apk add x86_64", None)]


def test_backquoted_comments_and_bash_arrays() -> None:
    # ```# comment``` inside a long RUN is an idiom for commenting one line: it outputs nothing.
    assert _ran("apt-get install -y libxslt1-dev `# for lxml` libcurl4 && apt-get clean") == [
        ("apt-get install -y libxslt1-dev libcurl4", None), ("apt-get clean", None)]
    assert _ran("TOOLS=(gcc make)\nfor t in \"${TOOLS[@]}\"; do echo $t; done") == [
        ("echo $t", None)]
