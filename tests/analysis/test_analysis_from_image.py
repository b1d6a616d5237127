"""analyze_image over finalstage's own image reader agrees with the tarfile-based test reader."""

from __future__ import annotations

import tarfile

import pytest
from _analysis_helpers import analyze_layers, corpus_file, open_docker_archive_layers

from finalstage.analysis.from_image import analyze_image
from finalstage.fs.merge import merged_tree

ALPINE = "images/aquasecurity__trivy/pkg/fanal/test/testdata/alpine-310.tar.gz"


@pytest.mark.corpus
def test_analyze_image_matches_tarfile_reader() -> None:
    from finalstage.image.open import open_image

    path = corpus_file(ALPINE)
    image = open_image(str(path))
    ours = analyze_image(image, elf=True)
    assert ours.total_bytes == merged_tree(image).total_size  # same byte accounting as fs
    with tarfile.open(path) as archive:
        peer = analyze_layers(open_docker_archive_layers(archive))
    assert (ours.total_files, ours.total_bytes) == (peer.total_files, peer.total_bytes)
    assert ours.categories == peer.categories
    assert sorted(map(repr, ours.packages)) == sorted(map(repr, peer.packages))
    assert [(f.path, f.info) for f in ours.elf_files] == [(f.path, f.info) for f in peer.elf_files]
    assert ours.warnings == peer.warnings == ()


@pytest.mark.corpus
def test_analyze_image_without_elf_capture() -> None:
    from finalstage.image.open import open_image

    analysis = analyze_image(open_image(str(corpus_file(ALPINE))), elf=False)  # the off switch
    assert analysis.elf_files == ()
    assert len(analysis.packages) == 14  # package databases are still read


@pytest.mark.corpus
def test_every_readable_corpus_image_analyses_without_error() -> None:
    """Analysis never raises on image content: every corpus image the reader accepts analyses."""
    import os

    from finalstage.errors import FinalstageError
    from finalstage.image.open import open_image

    root = corpus_file("images")
    candidates = []
    for dirpath, _, names in os.walk(root):
        if "index.json" in names:
            candidates.append(dirpath)
        candidates += [os.path.join(dirpath, n) for n in names
                       if n.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.zst"))]
    analysed = 0
    for candidate in candidates:
        try:
            image = open_image(candidate)
            image.scan()  # the reader's own errors are its tests' business
        except FinalstageError:
            continue
        analysis = analyze_image(open_image(candidate), elf=True)
        assert analysis.total_files >= 0
        analysed += 1
    assert analysed >= 20
