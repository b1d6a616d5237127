"""Bad input never crashes: one clear line naming the file (and line), as DockerfileError."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from finalstage.dockerfile import load, parse_text
from finalstage.errors import DockerfileError, DockerfileSyntaxError


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "file with no instructions (empty or only comments)"),
        ("# only\n# comments\n\n", None, "file with no instructions (empty or only comments)"),
        ("ARG A=1\n", 1, "no FROM instruction"),
        ("RUN make\nFROM a\n", 1, "RUN before the first FROM (only ARG may come first)"),
        ("FROM a\nFOO bar\n", 2, "unknown instruction: FOO"),
        ("FROM a\nRUN echo\nRUN <<EOF\nx\ny\n", 3, "unterminated heredoc"),
        ("FROM\n", 1, "FROM requires an image name"),
        ("FROM a AS\n", 1, "FROM requires either one or three arguments (FROM image [AS name])"),
        ("FROM a b c\n", 1, "FROM requires either one or three arguments (FROM image [AS name])"),
        ("FROM a AS 1st\n", 1, "invalid name for build stage: '1st'"),
        ("FROM a AS x\nFROM b AS X\n", 2, "duplicate stage name 'x'"),
        ("FROM a\nRUN x\nENV X\n", 3, "ENV must have two arguments"),
        (
            'FROM a\nCMD [["nested"]]\n',
            2,
            "when using JSON array syntax, arrays must be comprised of strings only",
        ),
        ("FROM a\nONBUILD ONBUILD RUN x\n", 2, "ONBUILD isn't allowed as an onbuild trigger"),
        ("FROM a\nONBUILD FROM b\n", 2, "FROM isn't allowed as an onbuild trigger"),
        ("FROM a\nONBUILD\n", 2, "onbuild requires an instruction"),
        ("# escape=x\nFROM a\n", 1, "invalid escape token 'x' does not match ` or \\"),
        ("FROM a\nCOPY --from=0 x y\n", 2, "--from=0 refers to the current or a later stage"),
        ("FROM a AS me\nCOPY --from=me x y\n", 2, "--from=me refers to its own stage"),
        (
            "FROM a\nRUN " + "x" * 1_000_000 + "\n",
            2,
            "line longer than 65535 bytes (buildkit's limit)",
        ),
        ("FROM a\x00\n", 1, "binary file (nul byte), not a dockerfile"),
    ],
)
def test_bad_dockerfile_text(text: str, line: int | None, message: str) -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text(text, path="df")
    where = "df" if line is None else f"df:{line}"
    assert str(info.value) == f"{where}: {message}"
    assert info.value.line == line and info.value.path == "df"


def test_unknown_instruction_is_shortened_and_escaped() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text("FROM a\n\x1b[31m" + "Z" * 100 + " x\n")
    message = str(info.value)
    assert "\x1b" not in message and "\\x1b" in message
    assert message.endswith("…") and len(message) < 100


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match=r"^reading .*nope: no such file$"):
        load(tmp_path / "nope")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match=r"is a directory, not a dockerfile$"):
        load(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00garbage")
    with pytest.raises(
        DockerfileSyntaxError, match=r"Dockerfile:1: binary file \(nul byte\), not a dockerfile$"
    ):
        load(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"")
    with pytest.raises(DockerfileSyntaxError, match="file with no instructions"):
        load(path)


def test_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    with path.open("wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: cheap to create
    with pytest.raises(DockerfileError, match="file too large for a dockerfile"):
        load(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a mode-000 file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\n")
    path.chmod(0)
    with pytest.raises(DockerfileError, match="permission denied"):
        load(path)


def test_invalid_utf8_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM a\nLABEL x=\xff\xfe\n")
    label = load(path).final_stage.instructions[1]
    assert label.args == ("x=\ufffd\ufffd",)


def test_bad_utf16_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"\xff\xfeF\x00R\x00O")  # BOM then an odd number of bytes
    with pytest.raises(DockerfileSyntaxError, match="cannot decode as utf-16-le"):
        load(path)


def test_huge_line_and_error_location_stay_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(DockerfileSyntaxError):
        parse_text("FROM a\nRUN " + "x" * 1_000_000 + "\n")
    assert time.perf_counter() - start < 1
    text = "".join(f"FROM a AS s{i}\nRUN x\n" for i in range(2_000)) + "ENV X\n"
    with pytest.raises(DockerfileSyntaxError, match=":4001: ENV must have two arguments"):
        parse_text(text)
    assert time.perf_counter() - start < 10


def test_stray_continuation_only() -> None:
    with pytest.raises(
        DockerfileSyntaxError,
        match=r"^df:1: instruction with no keyword \(a stray line continuation\?\)$",
    ):
        parse_text("\\", path="df")


def test_deeply_nested_default_does_not_blow_the_stack() -> None:
    deep = "${A:-" * 2_000 + "x" + "}" * 2_000
    env = parse_text(f"FROM a\nENV X={deep}\n").final_stage.instructions[1]
    assert env.args[0].startswith("X=")  # beyond 32 levels the rest is kept as plain text


def test_unterminated_heredoc_after_terminated_ones_is_located() -> None:
    text = (
        "FROM a\n"
        "RUN <<EOF\necho one\nEOF\n"  # lines 2-4: fine
        "COPY <<a.txt /a\nhello\na.txt\n"  # lines 5-7: fine
        "RUN <<EOT\ncat <<X\nnever closed\n"  # line 8 opens a heredoc that never ends
    )
    with pytest.raises(DockerfileSyntaxError, match=r"^df:8: unterminated heredoc$"):
        parse_text(text, path="df")
