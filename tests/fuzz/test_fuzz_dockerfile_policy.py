"""Fuzz the Dockerfile model and the policy loader with mutated real inputs.

Dockerfiles: real multi-stage files from the shared corpus (``../shared/corpus/dockerfiles/dev``,
skipped when absent) plus a built-in one, mutated line by line (dropped, duplicated, swapped,
spliced with hostile fragments) and byte by byte. Policies: tables of the real keys with values
of every TOML type, and raw TOML text. Either a model / Policy comes back or one line of
``DockerfileError`` / ``UsageError``; nothing else.
"""

from __future__ import annotations

import tempfile
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.fuzz._fuzz import FUZZ, one_line

from finalstage.dockerfile import parse_text
from finalstage.errors import DockerfileError, UsageError
from finalstage.settings import load_settings as load_policy
from finalstage.settings.policy import parse_policy

pytestmark = pytest.mark.fuzz

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "dockerfiles" / "dev"
BUILTIN = """\
# syntax=docker/dockerfile:1
ARG GO=1.22
FROM golang:${GO} AS build
WORKDIR /src
COPY go.* ./
RUN --mount=type=cache,target=/root/.cache go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app . && \\
    strip /out/app
FROM gcr.io/distroless/static-debian12 AS runtime
COPY --from=build /out/app /app
USER nonroot
ENTRYPOINT ["/app"]
"""
FRAGMENTS = [
    "FROM", "FROM scratch AS", "COPY --from=", "--from=999", "${A:-${B:-${C}}}", "$", "\\",
    "<<EOF", "EOF", "# escape=`", "# syntax=", "ONBUILD ONBUILD RUN x", "ARG A=${A}",
    "\x1b[31m", "\u202e", "\x00", "\r", "\t", '["a",', "]", "# finalstage: ignore=FS101",
    "FROM build AS build", "COPY --from=runtime / /", "FROM ${UNSET}", "HEALTHCHECK NONE",
]


@cache
def seeds() -> tuple[str, ...]:
    files = sorted(CORPUS.glob("*/Dockerfile*"))[:40] + sorted(CORPUS.glob("*.Dockerfile"))[:40]
    texts = [BUILTIN]
    for f in files:
        try:
            texts.append(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return tuple(texts)


@st.composite
def mutated_dockerfile(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(seeds())).split("\n")
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["drop", "dup", "swap", "splice", "insert"]))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if op == "drop" and lines:
            del lines[i]
        elif op == "dup" and lines:
            lines.insert(i, lines[i])
        elif op == "swap" and len(lines) > 1:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "splice" and lines:
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(st.sampled_from(FRAGMENTS)) + lines[i][pos:]
        else:
            lines.insert(i, " ".join(draw(st.lists(st.sampled_from(FRAGMENTS), max_size=4))))
    text = "\n".join(lines)
    if draw(st.booleans()) and text:
        pos = draw(st.integers(0, len(text) - 1))
        text = text[:pos] + draw(st.text(max_size=3)) + text[pos + 1 :]
    return text


@FUZZ
@given(mutated_dockerfile(), st.sampled_from([None, "build", "runtime", "0", "nope"]),
       st.dictionaries(st.sampled_from(["GO", "A", "B"]), st.text(max_size=8), max_size=2))
def test_dockerfile_model(text: str, target: str | None, build_args: dict[str, str]) -> None:
    try:
        df = parse_text(text, target=target, build_args=build_args)
    except DockerfileError as err:
        one_line(err)
        return
    # The model is usable: the final stage and its chain can be asked for without a crash.
    assert df.final_stage is not None
    list(df.chain)


TOML_VALUE = st.recursive(
    st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True),
              st.text(max_size=12), st.sampled_from(["80MB", "1.5GiB", "10%", "0", "-1MB",
                                                      "1e400GB", "FS101", "error", "x"])),
    lambda kids: st.one_of(st.lists(kids, max_size=3),
                           st.dictionaries(st.text(max_size=6), kids, max_size=3)),
    max_leaves=10,
)
KEYS = st.sampled_from([
    "max-size", "max_size", "max-layers", "max-waste", "forbidden-categories", "forbidden-paths",
    "forbidden-packages", "require-non-root", "require-exec-form", "allowed-base-images",
    "severity", "fail-on", "unknown", "max-size.compressed",
])


@FUZZ
@given(st.dictionaries(KEYS, TOML_VALUE, max_size=5))
def test_policy_table(table: dict[str, Any]) -> None:
    try:
        parse_policy(table, "policy fuzz")
    except UsageError as err:
        one_line(err)


@FUZZ
@given(st.text(max_size=300) | st.dictionaries(KEYS, TOML_VALUE, max_size=4).map(
    lambda t: "[policy]\n" + "\n".join(f"{k!s} = {_toml(v)}" for k, v in t.items())))
def test_policy_file(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "finalstage.toml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            load_policy(path)
        except UsageError as err:
            one_line(err)


def _toml(value: Any) -> str:
    """A TOML literal for ``value`` (best effort: invalid ones are fine, they test errors)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value).replace("inf", "inf").replace("nan", "nan")
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + "}"


def test_seeds_load() -> None:
    assert seeds()[0] == BUILTIN
    tomllib.loads("[policy]\nmax-size = \"80MB\"\n")  # the harness itself works
