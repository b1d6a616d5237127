"""BuildKit's own parser conformance cases (corpus/buildkit-parser) against our parse layer.

Each ``testfiles/<case>/result`` is BuildKit's ``Node.Dump()``: one S-expression per instruction.
We compare keyword, flags and argument words exactly, at the parse layer (``parse_source``), since
several cases have no FROM and the model requires one. One normalisation, because the
``dockerfile`` binding drops it: the third word of each ENV/LABEL triple (the separator, ``"="`` or
``""`` for legacy ``ENV name value``) is not compared; keys and values are, byte for byte.
A second one for a binding limit: strings cross from Go to Python as C strings, so a JSON
``\u0000`` escape (case ``json``) ends the word there; expected words are cut at their first NUL.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from finalstage.dockerfile.parse import RawCommand, decode, parse_source
from finalstage.errors import DockerfileSyntaxError

# The shared third-party corpus, next to the checkout (see the preamble); skip when absent.
CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus"


def corpus_dir(*parts: str) -> Path:
    """A corpus folder, or skip the test with the reason when the corpus is not there."""
    path = CORPUS.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"corpus folder {path} is absent (shared test data not available)")
    return path


_CASES = CORPUS / "buildkit-parser" / "testfiles"
_NEGATIVE = CORPUS / "buildkit-parser" / "testfiles-negative"
_GO_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
}


def _go_unquote(body: str) -> str:
    """Undo Go's ``strconv.Quote`` for the inside of a double-quoted string."""
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _GO_ESCAPES:
            out.append(_GO_ESCAPES[nxt])
            i += 2
        elif nxt == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif nxt == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif nxt == "U":
            out.append(chr(int(body[i + 2 : i + 10], 16)))
            i += 10
        else:
            raise ValueError(f"unknown go escape \\{nxt}")
    return "".join(out)


_TOKEN = re.compile(r'\s*(\(|\)|\[|\]|"(?:[^"\\]|\\.)*"|[a-z]+)')


def _parse_dump(text: str) -> list[tuple[str, list[str], list[str], object]]:
    """Parse a ``result`` file into (keyword, flags, args, nested) tuples."""
    tokens = [m.group(1) for m in _TOKEN.finditer(text)]
    pos = 0

    def node() -> tuple[str, list[str], list[str], object]:
        nonlocal pos
        assert tokens[pos] == "(", tokens[pos : pos + 3]
        keyword = tokens[pos + 1]
        pos += 2
        flags: list[str] = []
        args: list[str] = []
        nested = None
        while tokens[pos] != ")":
            tok = tokens[pos]
            if tok == "[":
                pos += 1
                while tokens[pos] != "]":
                    flags.append(_go_unquote(tokens[pos][1:-1]))
                    pos += 1
                pos += 1
            elif tok == "(":
                nested = node()
            else:
                args.append(_go_unquote(tok[1:-1]))
                pos += 1
        pos += 1
        return keyword, flags, args, nested

    nodes = []
    while pos < len(tokens):
        nodes.append(node())
    return nodes


def _ours(cmd: RawCommand) -> tuple[str, list[str], list[str], object]:
    args = list(cmd.value)
    nested = None
    if cmd.keyword == "ONBUILD" and cmd.onbuild is not None:
        nested = _ours(cmd.onbuild)
        args = []
    return cmd.keyword.lower(), list(cmd.flags), args, nested


def _drop_separators(
    node: tuple[str, list[str], list[str], object],
) -> tuple[str, list[str], list[str], object]:
    keyword, flags, args, nested = node
    args = [a.split("\x00", 1)[0] for a in args]
    if keyword in ("env", "label"):
        args = [a for i, a in enumerate(args) if i % 3 != 2]
    if nested is not None:
        nested = _drop_separators(nested)  # type: ignore[arg-type]
    return keyword, flags, args, nested


def _cases(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


@pytest.mark.parametrize("case", _cases(_CASES) or ["<corpus absent>"])
def test_positive_case_matches_buildkit_dump(case: str) -> None:
    folder = corpus_dir("buildkit-parser", "testfiles", case)
    source = parse_source(decode((folder / "Dockerfile").read_bytes()), f"{case}/Dockerfile")
    expected = [_drop_separators(n) for n in _parse_dump((folder / "result").read_text("utf-8"))]
    got = [_ours(c) for c in source.commands]
    assert got == expected


def test_positive_corpus_is_complete() -> None:
    corpus_dir("buildkit-parser", "testfiles")
    assert len(_cases(_CASES)) == 33


@pytest.mark.parametrize("case", _cases(_NEGATIVE) or ["<corpus absent>"])
def test_negative_case_raises_clear_error(case: str) -> None:
    folder = corpus_dir("buildkit-parser", "testfiles-negative", case)
    path = f"{case}/Dockerfile"
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_source(decode((folder / "Dockerfile").read_bytes()), path)
    message = str(info.value)
    assert message.startswith(path + ":")
    assert "\n" not in message
    expected = {
        "empty_dockerfile": "file with no instructions",
        "only_comments": "file with no instructions",
        "env_no_value": "ENV must have two arguments",
        "shykes-nested-json": "arrays must be comprised of strings only",
    }[case]
    assert expected in message
    if case in ("env_no_value", "shykes-nested-json"):
        assert info.value.line is not None


def test_testfile_line_numbers() -> None:
    folder = corpus_dir("buildkit-parser", "testfile-line")
    source = parse_source(decode((folder / "Dockerfile").read_bytes()))
    assert [(c.line, c.end_line) for c in source.commands] == [(5, 5), (11, 12), (17, 31)]
    assert [c.keyword for c in source.commands] == ["FROM", "ENV", "RUN"]
