"""Every image fixture of ../shared/corpus/images: it inspects, or fails with the right class.

The table is the expected outcome per fixture, decided by reading each fixture's SOURCE.md row
(and the files themselves), not by running finalstage: ``("ok", files, bytes)`` gives the merged
regular-file count and bytes (checked by hand with ``tar -tvf`` on the layers for the small
ones), an exception class names the expected error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finalstage.errors import (
    CorruptImageError,
    DigestMismatchError,
    FinalstageError,
    ImageNotFoundError,
    InvalidReferenceError,
    UnsupportedMediaTypeError,
)
from finalstage.image.open import open_image
from finalstage.api.inspect import inspect

OK = "ok"
G = "google__go-containerregistry/pkg/v1"
J = "GoogleContainerTools__jib/jib-core/src"
S = "anchore__stereoscope/pkg/image/oci/testdata"
T = "aquasecurity__trivy/pkg/fanal"
CI = "containers__image/oci/layout/fixtures"
P = "containers__podman/test/e2e/testdata"
R = "regclient__regclient/testdata"
D = "wagoodman__dive/.data"

# (reference relative to corpus/images, with optional transport prefix and :REF / platform)
TABLE: list[tuple[str, object]] = [
    # docker-archive: docker save, Jib, kaniko, legacy, multi-image, symlinked layer, wrapped
    (f"{J}/integration-test/resources/core/busybox-docker.tar", OK),
    (f"{J}/integration-test/resources/core/busybox-jib.tar", OK),  # lower-case manifest keys
    (f"{J}/test/resources/core/extraction/docker-save.tar", OK),
    (f"{J}/test/resources/core/extraction/jib-image.tar", OK),
    (f"{D}/test-docker-image.tar", OK),
    (f"{D}/test-kaniko-image.tar", OK),
    ("containers__image/docker/archive/fixtures/almostempty.tar", OK),
    (f"{G}/tarball/testdata/test_image_1.tar", OK),
    (f"{G}/tarball/testdata/test_image_2.tar", OK),
    (f"{G}/tarball/testdata/test_load_manifest.tar", OK),
    (f"{G}/tarball/testdata/hello-world-v25.tar", OK),  # Docker 25 OCI hybrid
    (f"{G}/tarball/testdata/no_manifest.tar", OK),  # legacy: repositories + v1 parent chain
    (f"{G}/tarball/testdata/test_bundle.tar", InvalidReferenceError),  # 2 images, no tag
    (f"docker-archive:{{}}/{G}/tarball/testdata/test_bundle.tar:test_image_1", OK),
    (f"docker-archive:{{}}/{G}/tarball/testdata/test_bundle.tar:@1", OK),
    (f"docker-archive:{{}}/{G}/tarball/testdata/test_bundle.tar:nope", ImageNotFoundError),
    (f"{G}/tarball/testdata/test_link.tar", InvalidReferenceError),
    (f"docker-archive:{{}}/{G}/tarball/testdata/test_link.tar:bazel/v1/tarball:test_image_3", OK),
    (f"{G}/tarball/testdata/null_manifest.tar", CorruptImageError),
    (f"{G}/tarball/testdata/content.tar", CorruptImageError),  # a plain layer, not an image
    (f"{G}/mutate/testdata/source_image.tar", OK),
    (f"{G}/mutate/testdata/source_image_with_empty_layer_history.tar", OK),
    (f"{G}/mutate/testdata/overwritten_file.tar", OK),
    (f"{G}/mutate/testdata/whiteout_image.tar", OK),
    (f"{G}/mutate/testdata/whiteout_dir.tar", OK),
    ("google__go-containerregistry/pkg/crane/testdata/content.tar", CorruptImageError),
    ("google__go-containerregistry/pkg/crane/testdata/content.tar.zst", CorruptImageError),
    (f"{T}/test/testdata/alpine-310.tar.gz", OK),  # gzip-wrapped docker save
    (f"{T}/test/testdata/alpine-311.tar.gz", OK),
    (f"{P}/docker-name-only.tar.xz", OK),  # xz-wrapped
    (f"{P}/docker-registry-name.tar.xz", OK),
    (f"{P}/docker-two-names.tar.xz", OK),
    (f"{P}/docker-unnamed.tar.xz", OK),
    (f"{P}/docker-two-images.tar.xz", InvalidReferenceError),
    (f"docker-archive:{{}}/{P}/docker-two-images.tar.xz:example.com/empty/but:different", OK),
    ("containers__skopeo/systemtest/testdata/docker-two-images.tar.xz", InvalidReferenceError),
    (
        "docker-archive:{}/containers__skopeo/systemtest/testdata/docker-two-images.tar.xz:example.com/empty:latest",
        OK,
    ),
    (f"{D}/test-gzip-image.tar", CorruptImageError),  # NOT images: a tar with a README
    (f"{D}/test-estargz-image.tar", CorruptImageError),
    (f"{D}/test-uncompressed-image.tar", CorruptImageError),
    (f"{D}/test-zstd-image.tar", CorruptImageError),
    (f"{R}/layer.tar", CorruptImageError),
    (f"{R}/layer-wh.tar", CorruptImageError),
    # oci-archive (bare .tar sniffed as OCI, gzip-wrapped OCI tars)
    (f"{D}/test-oci-uncompressed-image.tar", OK),
    (f"{D}/test-oci-gzip-image.tar", OK),
    (f"{D}/test-oci-zstd-image.tar", OK),
    (f"{D}/test-oci-estargz-image.tar", OK),
    (f"{S}/valid-oci.tar", OK),
    (f"{P}/oci-name-only.tar.gz", OK),
    (f"{P}/oci-registry-name.tar.gz", OK),
    (f"{P}/oci-non-docker-name.tar.gz", OK),
    (f"{P}/oci-unnamed.tar.gz", OK),
    # OCI layout directories
    (f"{G}/layout/testdata/test_index_one_image", OK),
    (f"{G}/layout/testdata/test_index", InvalidReferenceError),  # 4 refs, none chosen
    (f"oci:{{}}/{G}/layout/testdata/test_index:1", OK),
    (f"oci:{{}}/{G}/layout/testdata/test_index:2", UnsupportedMediaTypeError),  # descriptor type
    (f"oci:{{}}/{G}/layout/testdata/test_index:3", OK),  # nested OCI index
    (f"oci:{{}}/{G}/layout/testdata/test_index:4", OK),  # Docker manifest list in OCI layout
    (f"{G}/layout/testdata/test_gc_index", InvalidReferenceError),
    (f"{G}/layout/testdata/test_gc_image_unknown_mediatype", UnsupportedMediaTypeError),
    (f"{G}/layout/testdata/test_index_media_type", UnsupportedMediaTypeError),  # Helm chart
    (f"{S}/valid_oci_dir", OK),  # same manifest listed twice
    (f"{S}/multiplatform_oci_dir", OK),  # nested index, default linux/amd64
    (f"{S}/multiplatform_oci_dir|linux/arm64", OK),
    (f"{S}/multiplatform_oci_dir|linux/s390x", ImageNotFoundError),
    (f"{S}/invalid_file", CorruptImageError),  # 0-byte index.json
    (f"{S}/no_manifests", ImageNotFoundError),  # index.json is a Docker manifest
    (f"{S}/valid_manifest", DigestMismatchError),  # referenced blob is an empty file
    (f"{T}/test/testdata/test.oci", OK),
    (f"{T}/test/testdata/test_image_tag.oci", OK),
    (f"oci:{{}}/{T}/test/testdata/test_image_tag.oci:0.0.1", OK),
    (f"oci:{{}}/{T}/test/testdata/test_image_tag.oci:9.9.9", ImageNotFoundError),
    (f"{T}/test/testdata/test_bad_index_json.oci", CorruptImageError),
    (
        f"oci:{{}}/{T}/test/testdata/test_index_json_dir.oci",
        CorruptImageError,
    ),  # index.json is a dir
    (f"{T}/test/testdata/test_index_json_dir.oci/test_bad_index_json.oci", CorruptImageError),
    (f"{T}/test/testdata/test_invalid_oci_image.oci", UnsupportedMediaTypeError),
    (f"{T}/test/testdata/test_no_valid_manifests.oci", ImageNotFoundError),
    (f"{T}/image/testdata/multi", CorruptImageError),  # partial layout: blobs missing
    (f"{T}/image/testdata/single", CorruptImageError),
    (f"{CI}/delete_image_multiple_images", InvalidReferenceError),
    (f"oci:{{}}/{CI}/delete_image_multiple_images:latest", CorruptImageError),  # fake layer bytes
    (f"{CI}/delete_image_only_one_image", CorruptImageError),  # config size != descriptor
    (f"{CI}/delete_image_shared_blobs_dir", CorruptImageError),  # blobs in shared_blobs/
    (f"{CI}/delete_image_two_identical_references", InvalidReferenceError),
    (f"oci:{{}}/{CI}/delete_image_two_identical_references:1.0.0", InvalidReferenceError),
    (f"{CI}/manifest", CorruptImageError),
    (f"{CI}/name_lookups", InvalidReferenceError),
    (f"{CI}/two_images_manifest", CorruptImageError),
    (f"{R}/testrepo", InvalidReferenceError),  # 26 entries
    (f"oci:{{}}/{R}/testrepo:v1", OK),  # multi-platform index incl. unknown/unknown
    (f"oci:{{}}/{R}/testrepo:v1|linux/arm64", OK),
    (f"oci:{{}}/{R}/testrepo:v1|linux/arm/v7", ImageNotFoundError),
    (f"oci:{{}}/{R}/testrepo:v2", OK),
    (f"oci:{{}}/{R}/testrepo:v3", OK),
    (f"oci:{{}}/{R}/testrepo:b1", OK),
    (f"oci:{{}}/{R}/testrepo:a1", UnsupportedMediaTypeError),  # OCI 1.1 artifact (sbom)
    (f"oci:{{}}/{R}/testrepo:a2", UnsupportedMediaTypeError),  # signature
    (f"oci:{{}}/{R}/testrepo:a3", UnsupportedMediaTypeError),  # 3-layer artifact
    (f"oci:{{}}/{R}/testrepo:a-docker", UnsupportedMediaTypeError),  # odd layer type
    (f"oci:{{}}/{R}/testrepo:ai", ImageNotFoundError),  # index of unknown/unknown only
    (f"oci:{{}}/{R}/testrepo:loop", UnsupportedMediaTypeError),
    (f"{R}/external", InvalidReferenceError),
    (f"oci:{{}}/{R}/external:a3", UnsupportedMediaTypeError),
    # not images at all
    ("containers__skopeo/integration/fixtures/uncompressed-image-s1", InvalidReferenceError),
    ("oci:{}/does/not/exist", ImageNotFoundError),
]


def _ref(images_dir: Path, spec: str) -> tuple[str, str | None]:
    ref, _, platform = spec.partition("|")
    if "{}" in ref:
        ref = ref.replace("{}", str(images_dir))
    else:
        ref = str(images_dir / ref)
    return ref, platform or None


@pytest.mark.corpus
@pytest.mark.parametrize(("spec", "expected"), TABLE, ids=[t[0].replace("{}/", "") for t in TABLE])
def test_corpus_fixture(images_dir: Path, spec: str, expected: object) -> None:
    ref, platform = _ref(images_dir, spec)
    if expected == OK:
        img = open_image(ref, platform=platform)
        result = inspect(img, classify=False).detail
        assert result.files >= 0 and len(result.layers) == len(img.layers)
        assert result.uncompressed_size >= result.files_size
        json.dumps(result.config.env)
        return
    assert isinstance(expected, type) and issubclass(expected, FinalstageError)
    with pytest.raises(FinalstageError) as info:
        inspect(open_image(ref, platform=platform), classify=False)
    assert type(info.value) is expected, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    assert "\n" not in message and message == message.strip()
    assert message[:1].islower() or message[:1] in "/."
