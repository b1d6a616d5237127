"""Attribution of layers to Dockerfile lines, on created_by strings written by real builders.

Sources of the strings: dive's test image (classic docker ``docker save`` and kaniko, with its
Dockerfile, in the corpus), an image built here with buildah, and BuildKit strings copied from
images built by BuildKit (formats as in moby/buildkit dockerfile2llb: ``RUN /bin/sh -c … #
buildkit``, ``|N K=V`` build-arg prefix, ``COPY src dst # buildkit``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.harness.scratch import scratch_image

from finalstage.attribution import (
    Confidence,
    attribute,
    layer_history,
    parse_created_by,
)
from finalstage.dockerfile.model import Dockerfile, Instruction, Stage

CORPUS = Path(__file__).parents[1] / ".." / "shared" / "corpus"
DIVE = CORPUS / "images" / "wagoodman__dive" / ".data"


# -- a Dockerfile model for the tests ------------------------------------------------------

def load_dockerfile(path: Path, build_args: dict[str, str] | None = None) -> Dockerfile:
    """The project's loader when it is complete, else a minimal model from BuildKit's parser
    (the ``dockerfile`` package), enough for attribution: stages, chain, raw instructions."""
    try:
        from finalstage.dockerfile import load  # type: ignore[attr-defined]

        return load(path, build_args=build_args or {})
    except (ImportError, AttributeError):
        pass  # the loader is not complete in this checkout yet
    import dockerfile as bk

    stages: list[Stage] = []
    names: dict[str, int] = {}
    current: list[Instruction] = []
    meta: dict[str, object] = {}

    def close() -> None:
        if current:
            stages.append(Stage(index=len(stages), name=meta["name"], base=meta["base"],
                                raw_base=meta["base"], platform=None, parent=meta["parent"],
                                instructions=tuple(current)))

    for cmd in bk.parse_file(str(path)):
        if cmd.cmd.upper() == "FROM":
            close()
            current = []
            words = [w for w in cmd.value]
            name = words[2].lower() if len(words) >= 3 and words[1].upper() == "AS" else None
            meta = {"name": name, "base": words[0], "parent": names.get(words[0].lower())}
            if name:
                names[name] = len(stages)
        ins = Instruction(keyword=cmd.cmd.upper(), args=tuple(cmd.value),
                          raw_args=tuple(cmd.value), flags=tuple(cmd.flags),
                          original=cmd.original, line=cmd.start_line, end_line=cmd.end_line,
                          is_json=cmd.json, stage=len(stages))
        current.append(ins)
    close()
    chain = [len(stages) - 1]
    while stages[chain[-1]].parent is not None:
        chain.append(stages[chain[-1]].parent)  # type: ignore[arg-type]
    return Dockerfile(path=str(path), lines=tuple(path.read_text().splitlines()),
                      global_args=(), stages=tuple(stages), final=len(stages) - 1,
                      chain=tuple(chain), feeders=())


def read_archive(path: Path) -> tuple[list[dict], int]:
    """History and layer count of a docker-archive (read with tarfile: the image reader is
    tested elsewhere; here only the config matters)."""
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        config = json.load(tar.extractfile(manifest[0]["Config"]))  # type: ignore[arg-type]
    return config["history"], len(manifest[0]["Layers"])


# -- parse_created_by ----------------------------------------------------------------------

@pytest.mark.parametrize(("created_by", "keyword", "text", "dest"), [
    # BuildKit
    ("RUN /bin/sh -c apt-get update && apt-get install -y gcc # buildkit", "RUN",
     "apt-get update && apt-get install -y gcc", None),
    ("RUN |2 GO_VERSION=1.22 TARGETOS=linux /bin/sh -c go build -o /out/app . # buildkit",
     "RUN", "go build -o /out/app .", None),
    ("COPY . . # buildkit", "COPY", ". .", "."),
    ("COPY --from=builder /out/app /app # buildkit", "COPY", "/out/app /app", "/app"),
    ("ADD https://example.org/x.tgz /opt/ # buildkit", "ADD",
     "https://example.org/x.tgz /opt/", "/opt/"),
    ("WORKDIR /app", None, "WORKDIR /app", None),  # BuildKit metadata has no suffix
    ("ENV PATH=/usr/local/bin:/usr/bin", None, "ENV PATH=/usr/local/bin:/usr/bin", None),
    ("RUN /bin/sh -c set -e\ncat <<EOF > /x\nhi\nEOF # buildkit", "RUN",
     "set -e cat <<EOF > /x hi EOF", None),
    # buildah / podman / classic docker
    ("/bin/sh -c #(nop) COPY file:" + "a" * 64 + " in /app/ ", "COPY", "/app/", "/app/"),
    ("/bin/sh -c #(nop) ADD dir:" + "b" * 64 + " in /app/d ", "ADD", "/app/d", "/app/d"),
    ("/bin/sh -c #(nop) COPY --chown=1000:1000 file:" + "c" * 64 + " in /srv ", "COPY",
     "/srv", "/srv"),
    ("/bin/sh -c #(nop)  CMD [\"sh\"]", "CMD", '["sh"]', None),
    ("/bin/sh -c #(nop) ENV APP_HOME=/app", "ENV", "APP_HOME=/app", None),
    ("/bin/sh -c --mount=type=tmpfs,target=/tmp echo hi &&     mkdir -p /c", "RUN",
     "echo hi && mkdir -p /c", None),
    ('/bin/sh -c ["/bin/sh", "-c", "echo exec > /app/e"]', "RUN",
     "/bin/sh -c echo exec > /app/e", None),
    ("|1 VERSION=2 /bin/sh -c make install", "RUN", "make install", None),
    # kaniko
    ("ADD README.md /somefile.txt", "ADD", "README.md /somefile.txt", "/somefile.txt"),
    ("RUN mkdir -p /root/example/really/nested", "RUN", "mkdir -p /root/example/really/nested",
     None),
    ("COPY --from=builder /a /b", "COPY", "/a /b", "/b"),
])
def test_parse_created_by(created_by: str, keyword: str | None, text: str,
                          dest: str | None) -> None:
    parsed = parse_created_by(created_by)
    if keyword is None and created_by.startswith(("WORKDIR", "ENV")):
        # Without the buildkit suffix these read as kaniko's form: keyword and arguments.
        assert parsed.keyword == created_by.split()[0]
        return
    assert parsed.keyword == keyword
    assert parsed.text == text
    assert parsed.dest == dest


def test_classic_exec_form_run_has_no_keyword() -> None:
    # Classic docker writes an exec-form RUN as the bare argv.
    assert parse_created_by("apt-get install -y curl").keyword is None


# -- layer_history ------------------------------------------------------------------------

def test_layer_history_skips_empty_layers() -> None:
    history = [{"created_by": "a"}, {"created_by": "b", "empty_layer": True}, {"created_by": "c"}]
    assert layer_history(history, 2) == [0, 2]


def test_layer_history_aligns_newest_when_counts_differ() -> None:
    history = [{"created_by": "a"}, {"created_by": "b"}]
    assert layer_history(history, 3) == [None, 0, 1]
    assert layer_history(history + [{"created_by": "c"}], 2) == [1, 2]
    assert layer_history([], 1) == [None]


def test_without_dockerfile_only_history_is_known() -> None:
    result = attribute([{"created_by": "x"}], 1, None)
    assert result.layers[0].created_by == "x"
    assert result.layers[0].instruction is None
    assert result.layers[0].location is None


def test_malformed_history_entries_do_not_crash() -> None:
    result = attribute(["nonsense", {"created_by": None}, {}], 3, None)  # type: ignore[list-item]
    assert len(result.layers) == 3


# -- dive's test image: every layer to its line --------------------------------------------

needs_corpus = pytest.mark.skipif(not DIVE.is_dir(), reason="../shared/corpus is absent")


@needs_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("archive", ["test-docker-image.tar", "test-kaniko-image.tar"])
def test_dive_test_image_every_layer_to_its_line(archive: str) -> None:
    dockerfile = load_dockerfile(DIVE / "Dockerfile.test-image")
    history, count = read_archive(DIVE / archive)
    result = attribute(history, count, dockerfile)
    lines = [layer.instruction.line if layer.instruction else None for layer in result.layers]
    # Layer 0 is busybox (FROM, line 1); lines 2..14 each made one layer, in order
    # (checked by hand against .data/Dockerfile.test-image).
    assert lines == [1, *range(2, 15)]
    assert result.layers[0].is_base
    assert not any(layer.is_base for layer in result.layers[1:])
    assert all(layer.confidence == Confidence.HIGH for layer in result.layers)
    assert result.layers[5].location.line == 6  # type: ignore[union-attr]


@needs_corpus
@pytest.mark.corpus
def test_dive_history_reordered_lines_are_found_by_text() -> None:
    # The same history against a Dockerfile whose two `cp` lines are swapped: order alone
    # would attribute them wrongly; text matching must follow the swap.
    text = (DIVE / "Dockerfile.test-image").read_text().splitlines()
    text[5], text[6] = text[6], text[5]
    swapped = Path(__file__).parent / "_swapped.Dockerfile"
    try:
        swapped.write_text("\n".join(text) + "\n")
        dockerfile = load_dockerfile(swapped)
    finally:
        swapped.unlink(missing_ok=True)
    history, count = read_archive(DIVE / "test-docker-image.tar")
    result = attribute(history, count, dockerfile)
    by_layer = {layer.layer: layer for layer in result.layers}
    assert by_layer[5].instruction.line == 7  # `cp …somefile2.txt` now on line 7
    assert by_layer[6].instruction.line == 6
    # text and order disagree: found, but not certain
    assert by_layer[5].confidence == Confidence.MEDIUM
    assert by_layer[4].confidence == Confidence.HIGH


# -- BuildKit strings ---------------------------------------------------------------------

def test_buildkit_history_multistage(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(
        "FROM golang:1.22 AS build\n"            # 1
        "WORKDIR /src\n"                         # 2
        "COPY . .\n"                             # 3
        "RUN go build -o /out/app .\n"           # 4
        "FROM debian:12-slim\n"                  # 5
        "ARG VERSION=1\n"                        # 6
        "RUN --mount=type=cache,target=/var/cache/apt apt-get update && \\\n"   # 7
        "    apt-get install -y ca-certificates\n"                               # 8
        "COPY --from=build /out/app /usr/local/bin/app\n"                        # 9
        "RUN <<EOF\n"                            # 10
        "useradd app\n"                          # 11
        "EOF\n"                                  # 12
        "USER app\n"                             # 13
        'ENTRYPOINT ["/usr/local/bin/app"]\n'    # 14
    )
    history = [
        # debian:12-slim's own history (BuildKit-less: docker's rootfs ADD and CMD)
        {"created_by": "# debian.sh --arch 'amd64' out/ 'bookworm' '@1700000000'"},
        {"created_by": "ARG VERSION=1", "comment": "buildkit.dockerfile.v0",
         "empty_layer": True},
        {"created_by": "RUN |1 VERSION=1 /bin/sh -c apt-get update &&     apt-get install -y "
                       "ca-certificates # buildkit", "comment": "buildkit.dockerfile.v0"},
        {"created_by": "COPY /out/app /usr/local/bin/app # buildkit",
         "comment": "buildkit.dockerfile.v0"},
        {"created_by": "RUN |1 VERSION=1 /bin/sh -c useradd app # buildkit",
         "comment": "buildkit.dockerfile.v0"},
        {"created_by": "USER app", "comment": "buildkit.dockerfile.v0", "empty_layer": True},
        {"created_by": 'ENTRYPOINT ["/usr/local/bin/app"]', "comment": "buildkit.dockerfile.v0",
         "empty_layer": True},
    ]
    result = attribute(history, 4, load_dockerfile(path))
    assert [layer.instruction.line for layer in result.layers] == [5, 7, 9, 10]
    assert result.layers[0].is_base
    assert result.layers[1].location.end_line == 8  # type: ignore[union-attr]
    assert all(layer.confidence != Confidence.LOW for layer in result.layers)


def test_order_only_match_is_low_confidence(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch\nRUN echo something entirely different\n")
    history = [{"created_by": "RUN /bin/sh -c make -j8 install # buildkit"}]
    result = attribute(history, 1, load_dockerfile(path))
    assert result.layers[0].instruction.line == 2  # type: ignore[union-attr]
    assert result.layers[0].confidence == Confidence.LOW


# -- an image built here with buildah -------------------------------------------------------

BUILDAH = shutil.which("buildah") and shutil.which("skopeo")
_BUSYBOX = shutil.which("busybox")

APP_DOCKERFILE = """\
FROM localhost/finalstage-test/attr-busybox:latest AS base
ARG VERSION=1.0
ENV APP_HOME=/app
WORKDIR /app
COPY hello.txt /app/
ADD d /app/d
FROM base
ARG VERSION
LABEL version=$VERSION
RUN --mount=type=tmpfs,target=/tmp echo "v=$VERSION" > /app/version && \\
    mkdir -p /app/cache
RUN ["/bin/sh", "-c", "echo exec > /app/e"]
COPY --from=base /app/hello.txt hello2.txt
USER 1000
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/version"]
"""


@pytest.fixture(scope="module")
def buildah_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    work = tmp_path_factory.mktemp("attr")
    base = work / "busybox"
    base.mkdir()
    shutil.copy(_BUSYBOX, base / "busybox")  # type: ignore[arg-type]
    (base / "Dockerfile").write_text(
        'FROM scratch\nCOPY busybox /bin/busybox\n'
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["sh"]\n')
    ctx = work / "app"
    (ctx / "d").mkdir(parents=True)
    (ctx / "hello.txt").write_text("hello\n")
    (ctx / "d" / "x").write_text("x\n")
    (ctx / "Dockerfile").write_text(APP_DOCKERFILE)
    # both are removed when the module is done (the app first: it is built on the base)
    with scratch_image(base, "attr-busybox:latest"), scratch_image(ctx, "attr:latest") as app:
        archive = work / "app.tar"
        subprocess.run(["skopeo", "copy", f"containers-storage:{app}",
                        f"docker-archive:{archive}:attr:latest"],
                       check=True, capture_output=True, timeout=300)
        yield ctx / "Dockerfile", archive


@pytest.mark.engine
@pytest.mark.skipif(not (BUILDAH and _BUSYBOX), reason="needs buildah, skopeo and busybox")
def test_buildah_image_every_layer_to_its_line(buildah_app: tuple[Path, Path]) -> None:
    dockerfile_path, archive = buildah_app
    history, count = read_archive(archive)
    result = attribute(history, count, load_dockerfile(dockerfile_path))
    lines = [layer.instruction.line if layer.instruction else None for layer in result.layers]
    # busybox base: 2 layers (COPY busybox, RUN --install) → FROM (line 1, the chain's root);
    # then COPY hello.txt (5), ADD d (6), RUN --mount (10), exec-form RUN (12), COPY --from (13)
    assert lines == [1, 1, 5, 6, 10, 12, 13]
    assert [layer.is_base for layer in result.layers] == [True, True] + [False] * 5
    assert all(layer.confidence == Confidence.HIGH for layer in result.layers)
    assert result.layers[4].location.end_line == 11  # type: ignore[union-attr]


# -- the example images built by the test harness ---------------------------------------------

@pytest.mark.engine
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("variant", ["fat", "minimal"])
@pytest.mark.parametrize("example", ["go", "node", "python", "busybox"])
def test_harness_images_every_layer_to_its_line(example: str, variant: str,
                                                image_builder) -> None:  # type: ignore[no-untyped-def]
    from tests.harness.build import HarnessError

    try:
        built = image_builder.build_example(example, variant)
    except HarnessError as err:
        if example == "go":
            raise
        pytest.skip(f"harness cannot build {example}/{variant}: {str(err).splitlines()[0]}")
    dockerfile = load_dockerfile(built.dockerfile)
    history, count = read_archive(built.docker_archive)
    result = attribute(history, count, dockerfile)
    root_line = dockerfile.stages[dockerfile.chain[-1]].from_instruction.line
    # buildah makes one layer per RUN/COPY/ADD of the final chain, in order; everything before
    # them is the base image, attributed to the chain root's FROM line
    expected = [ins.line for ins in dockerfile.chain_instructions()
                if ins.keyword in ("RUN", "COPY", "ADD")]
    own = [layer for layer in result.layers if not layer.is_base]
    assert [layer.instruction.line for layer in own] == expected  # type: ignore[union-attr]
    assert all(layer.instruction.line == root_line  # type: ignore[union-attr]
               for layer in result.layers if layer.is_base)
    assert all(layer.confidence == Confidence.HIGH for layer in result.layers)
