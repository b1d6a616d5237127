"""The stage graph: names, parents, --target, chain, feeders, COPY --from, mounts, ONBUILD."""

from __future__ import annotations

import pytest

from finalstage.dockerfile import parse_text
from finalstage.errors import DockerfileSyntaxError

GRAPH = """\
FROM golang:1.22 AS Deps
RUN go mod download
FROM deps AS build
RUN go build -o /app
FROM node:20 AS assets
RUN npm ci
FROM alpine AS certs
FROM assets AS css
RUN npm run css
FROM scratch AS unused
FROM gcr.io/distroless/static AS runtime
COPY --from=build /app /app
COPY --from=4 /css /css
RUN --mount=type=bind,from=certs,source=/etc/ssl,target=/ssl cp /ssl/x /x
COPY --from=busybox:1.36 /bin/busybox /bin/
FROM runtime AS final
COPY --from=nginx /etc/nginx /etc/nginx
"""


def test_stage_names_indexes_and_parents() -> None:
    df = parse_text(GRAPH)
    assert [s.name for s in df.stages] == [
        "deps",
        "build",
        "assets",
        "certs",
        "css",
        "unused",
        "runtime",
        "final",
    ]
    assert [s.parent for s in df.stages] == [None, 0, None, None, 2, None, None, 6]
    assert df.stages[1].base == "deps"
    assert df.stages[0].label == "deps"
    assert df.stage_named("DEPS") is df.stages[0]


def test_final_chain_and_feeders_default_target() -> None:
    df = parse_text(GRAPH)
    assert df.final == 7
    assert df.chain == (7, 6)  # final first, then what it is FROM
    assert df.stages[6].copies_from == (1, 4, 3)
    assert df.stages[6].external_refs == ("busybox:1.36",)
    assert df.stages[7].external_refs == ("nginx",)
    # build (and deps under it), css (and assets under it), certs via the mount; not 'unused'.
    assert df.feeders == (0, 1, 2, 3, 4)
    assert df.in_chain(df.stages[6]) and not df.in_chain(1)
    assert df.root_base() == "gcr.io/distroless/static"


def test_target_selects_final_stage() -> None:
    df = parse_text(GRAPH, target="BUILD")
    assert df.final == 1
    assert df.chain == (1, 0)
    assert df.feeders == ()
    assert df.root_base() == "golang:1.22"
    assert [i.keyword for i in df.chain_instructions()] == ["FROM", "RUN", "FROM", "RUN"]


def test_unknown_target_lists_stage_names() -> None:
    with pytest.raises(
        DockerfileSyntaxError, match=r"unknown target stage 'nope'; stages are: deps, build, assets"
    ):
        parse_text(GRAPH, target="nope")
    with pytest.raises(DockerfileSyntaxError, match="no stage has an AS name"):
        parse_text("FROM a\nFROM b\n", target="x")


def test_unnamed_stages_and_copy_from_index() -> None:
    df = parse_text("FROM golang\nRUN go build\nFROM alpine\nCOPY --from=0 /app /app\n")
    assert df.stages[0].name is None and df.stages[0].label == "0"
    assert df.final_stage.copies_from == (0,)
    assert df.feeders == (0,)


def test_copy_from_later_index_is_an_error() -> None:
    with pytest.raises(
        DockerfileSyntaxError, match=r":2: --from=1 refers to the current or a later stage"
    ):
        parse_text("FROM a\nCOPY --from=1 x y\nFROM b\n")


def test_from_image_named_like_the_stage_itself_is_an_image() -> None:
    df = parse_text("FROM alpine AS alpine\nFROM alpine\n")
    assert df.stages[0].parent is None
    assert df.stages[1].parent == 0  # a later FROM alpine means the stage
    assert df.chain == (1, 0)


def test_from_a_later_stage_name_is_an_image() -> None:
    df = parse_text("FROM later\nFROM x AS later\n", target=None)
    assert df.stages[0].parent is None


def test_scratch_and_platform() -> None:
    df = parse_text("FROM --platform=linux/arm64 scratch\nCOPY app /\n")
    assert df.final_stage.base == "scratch"
    assert df.final_stage.platform == "linux/arm64"
    assert df.final_stage.from_instruction.flag("platform") == "linux/arm64"


def test_transitive_feeders_through_copies() -> None:
    text = (
        "FROM a AS one\nFROM b AS two\nCOPY --from=one / /\n"
        "FROM c AS three\nCOPY --from=two / /\nFROM d\nCOPY --from=three / /\n"
    )
    df = parse_text(text)
    assert df.feeders == (0, 1, 2)


def test_onbuild_wraps_instruction_with_flags() -> None:
    df = parse_text(
        'FROM a\nONBUILD COPY --from=builder --chown=1 src /dst\nONBUILD RUN ["make"]\n'
    )
    first, second = df.final_stage.instructions[1:]
    assert first.keyword == "ONBUILD"
    assert first.onbuild is not None
    assert (first.onbuild.keyword, first.onbuild.args, first.onbuild.flags) == (
        "COPY",
        ("src", "/dst"),
        ("--from=builder", "--chown=1"),
    )
    assert first.onbuild.line == 2
    assert (
        second.onbuild is not None and second.onbuild.is_json and second.onbuild.args == ("make",)
    )
    # ONBUILD triggers run in a child build: they add no edge to this graph.
    assert df.final_stage.copies_from == ()


def test_heredocs() -> None:
    text = (
        "FROM a\nRUN <<EOT\napt-get update\nEOT\n"
        "COPY <<one.txt <<two.txt /dst/\n1\none.txt\n2\ntwo.txt\nUSER app\n"
    )
    df = parse_text(text)
    run, copy, user = df.final_stage.instructions[1:]
    assert [(h.name, h.content) for h in run.heredocs] == [("EOT", "apt-get update\n")]
    assert (run.line, run.end_line) == (2, 4)
    assert [(h.name, h.content) for h in copy.heredocs] == [("one.txt", "1\n"), ("two.txt", "2\n")]
    assert copy.args[-1] == "/dst/"
    assert user.line == 10


def test_instruction_fields_and_lines() -> None:
    text = (
        "ARG V=1\n\nFROM a\nRUN apt-get update && \\\n    apt-get install -y curl\n"
        'CMD ["/app", "--port", "80"]\n'
    )
    df = parse_text(text, path="x/Dockerfile")
    assert df.path == "x/Dockerfile"
    assert df.lines[2] == "FROM a"
    assert df.global_args[0].stage is None
    run, cmd = df.final_stage.instructions[1:]
    assert (run.line, run.end_line, run.stage) == (4, 5, 0)
    assert run.original.startswith("RUN apt-get update &&")
    assert cmd.is_json and cmd.args == ("/app", "--port", "80")


def test_lower_case_keywords_and_escape_directive() -> None:
    df = parse_text("# escape=`\n# syntax=docker/dockerfile:1\nfrom a\nrun echo a `\n  b\n")
    assert df.escape == "`"
    assert df.syntax == "docker/dockerfile:1"
    run = df.final_stage.instructions[1]
    assert run.keyword == "RUN" and (run.line, run.end_line) == (4, 5)


def test_directives_only_at_the_top() -> None:
    df = parse_text("# a comment\n# escape=`\nFROM a\n")
    assert df.escape == "\\"
    assert df.syntax is None


def test_many_stages_stay_fast() -> None:
    import time

    text = "".join(f"FROM a AS s{i}\nCOPY --from=s{max(i - 1, 0)}x / /\n" for i in range(10_000))
    start = time.perf_counter()
    df = parse_text(text)
    assert len(df.stages) == 10_000
    # ~2 s on an idle 2-core box; the bound only catches a quadratic blow-up (minutes).
    assert time.perf_counter() - start < 30


def test_copy_from_a_later_stage_is_allowed() -> None:
    df = parse_text("FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\n", target="one")
    assert df.final_stage.copies_from == (1,)
    assert df.feeders == (1,)


def test_circular_copy_is_an_error() -> None:
    text = "FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\nCOPY --from=one /y /y\n"
    with pytest.raises(
        DockerfileSyntaxError, match=r"circular dependency detected on stage '(one|two)'"
    ):
        parse_text(text)


def test_onbuild_outer_args_are_the_trigger_text() -> None:
    df = parse_text("FROM a\nARG V=1\nONBUILD ENV X=${V:-two}\nUSER $X\n")
    onbuild = df.final_stage.instructions[2]
    assert onbuild.args == onbuild.raw_args == ("ENV X=${V:-two}",)
    assert onbuild.onbuild is not None
    assert onbuild.onbuild.args == ("X=1",)
    assert onbuild.onbuild.raw_args == ("X=${V:-two}",)
    # a trigger does not change this build's environment
    assert df.final_stage.instructions[3].args == ("$X",)
