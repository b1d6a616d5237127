"""Real files: hadolint/language-docker parser fixtures and the 73 real-world dev Dockerfiles."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from finalstage.dockerfile import Dockerfile, load, parse_text
from finalstage.dockerfile.parse import decode, parse_source

# The shared third-party corpus, next to the checkout (see the preamble); skip when absent.
CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus"


def corpus_dir(*parts: str) -> Path:
    """A corpus folder, or skip the test with the reason when the corpus is not there."""
    path = CORPUS.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"corpus folder {path} is absent (shared test data not available)")
    return path


_FIXTURES = CORPUS / "hadolint" / "language-docker" / "test" / "fixtures"
_DEV = CORPUS / "dockerfiles" / "dev"


def _fixtures() -> list[str]:
    return (
        sorted(p.name for p in _FIXTURES.iterdir()) if _FIXTURES.is_dir() else ["<corpus absent>"]
    )


@pytest.mark.parametrize("name", _fixtures())
def test_hadolint_fixture_parses_also_as_crlf(name: str) -> None:
    path = corpus_dir("hadolint", "language-docker", "test", "fixtures") / name
    data = path.read_bytes()
    text = decode(data, name)
    source = parse_source(text, name)
    assert source.commands
    # The upstream test also parses every file with LF turned into CRLF.
    crlf = decode(text.replace("\n", "\r\n").encode("utf-8"), name)
    assert parse_source(crlf, name).commands == source.commands
    if name == "6.Dockerfile":  # a round-trip fixture with no FROM: the model refuses it
        return
    assert isinstance(load(path), Dockerfile)


def test_hadolint_boms_all_decode_to_the_same_instructions() -> None:
    folder = corpus_dir("hadolint", "language-docker", "test", "fixtures")
    boms = sorted(folder.glob("Dockerfile.bom.*"))
    assert len(boms) == 5
    parsed = {p.name: [(i.keyword, i.args) for i in load(p).final_stage.instructions] for p in boms}
    assert len({repr(v) for v in parsed.values()}) == 1, parsed
    assert parsed["Dockerfile.bom.utf8"][0][0] == "FROM"


def test_hadolint_escape_directives() -> None:
    folder = corpus_dir("hadolint", "language-docker", "test", "fixtures")
    # 3: backtick escape; 4: syntax then escape, both honoured; 5: after a comment, neither is.
    three, four, five = (
        parse_source(decode((folder / f"{n}.Dockerfile").read_bytes())) for n in (3, 4, 5)
    )
    assert three.escape == "`"
    assert (four.escape, four.syntax is not None) == ("`", True)
    assert (five.escape, five.syntax) == ("\\", None)
    # 8: the directive comes after FROM, so it is an ordinary comment.
    assert parse_source(decode((folder / "8.Dockerfile").read_bytes())).escape == "\\"


def _index() -> list[dict[str, str]]:
    index = _DEV / "index.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def dev_corpus() -> dict[str, Dockerfile]:
    folder = corpus_dir("dockerfiles", "dev")
    return {p.name: load(p) for p in sorted(folder.glob("*.Dockerfile"))}


def test_all_dev_dockerfiles_load(dev_corpus: dict[str, Dockerfile]) -> None:
    assert len(dev_corpus) == 73


@pytest.mark.parametrize("row", _index() or [{"file": "<corpus absent>"}], ids=lambda r: r["file"])
def test_final_stage_base_matches_index(
    row: dict[str, str], dev_corpus: dict[str, Dockerfile]
) -> None:
    """``final_stage_base_resolved`` is either a plain reference (the final FROM, ARGs expanded;
    unknown ARGs kept as ``${X}``, as we do), or ``<image> (via stage a -> b)`` when the final
    stage is FROM another stage: then the image is the chain's root base and the final FROM
    names the first stage of the path."""
    df = dev_corpus[row["file"]]
    expected = row["final_stage_base_resolved"]
    if " (via stage " in expected:
        image, _, via = expected.partition(" (via stage ")
        path = [s.strip() for s in via.rstrip(")").split("->")]
        assert df.root_base() == image
        assert df.final_stage.parent is not None
        assert (
            df.final_stage.base.lower() == path[0].lower()
            or df.stages[df.final_stage.parent].name == path[0].lower()
        )
        # every stage named on the path is in the chain
        assert {df.stage_named(n).index for n in path} <= set(df.chain)  # type: ignore[union-attr]
    else:
        assert df.final_stage.base == expected
        assert df.final_stage.parent is None
    assert len(df.stages) == int(row["number_of_stages"])
    name = row["final_stage_name"] or None
    assert df.final_stage.name == (name.lower() if name else None)


def test_loading_the_dev_corpus_is_fast() -> None:
    folder = corpus_dir("dockerfiles", "dev")
    paths = sorted(folder.glob("*.Dockerfile"))
    start = time.perf_counter()
    for path in paths:
        load(path)
    elapsed = time.perf_counter() - start
    print(f"loaded {len(paths)} dev Dockerfiles in {elapsed:.3f} s")
    assert elapsed < 5


def test_parse_text_equals_load(dev_corpus: dict[str, Dockerfile]) -> None:
    folder = corpus_dir("dockerfiles", "dev")
    name = sorted(dev_corpus)[0]
    path = folder / name
    assert parse_text(decode(path.read_bytes()), path=str(path)) == dev_corpus[name]
