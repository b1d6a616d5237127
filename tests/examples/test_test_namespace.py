"""The tests leave no image outside their namespace (issue 21.6).

The harness runs here against a containers-storage of its own (``CONTAINERS_STORAGE_CONF``
naming a fresh graph root), so every image in it was made by the code under test and nothing a
concurrent session does can blur the result: a stand-in and an example build, a scratch image,
then ``clean``. Statically, every name the harness gives a stand-in is in the namespace (the
tests' own images go through ``scratch_image``, which names them there).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.harness import build
from tests.harness.scratch import NAMESPACE, is_test_name, scratch_image

def test_every_harness_name_is_in_the_namespace() -> None:
    for standin in build.STANDINS.values():
        assert all(is_test_name(n) for n in standin.local_names), standin.local_names
        assert not set(standin.names) & set(standin.local_names)
    assert build.local_name("golang:1.22-bookworm") == f"{NAMESPACE}/golang:1.22-bookworm"
    assert build.local_name("gcr.io/distroless/static-debian12:nonroot") == \
        f"{NAMESPACE}/distroless/static-debian12:nonroot"


@pytest.fixture()
def private_storage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A containers-storage of this test's own for every podman/buildah/skopeo it starts (in a
    directory others may traverse: a RUN step runs as the image's user)."""
    missing = build.missing_tools(("buildah", "podman", "skopeo", "busybox", "tar"))
    if missing:
        pytest.skip(f"container tools not installed: {', '.join(missing)}")
    base = Path(tempfile.mkdtemp(prefix="finalstage-test-storage.", dir="/var/tmp"))
    base.chmod(0o755)
    conf = base / "storage.conf"
    conf.write_text(f'[storage]\ndriver = "vfs"\ngraphroot = "{base / "root"}"\n'
                    f'runroot = "{base / "run"}"\n')
    monkeypatch.setenv("CONTAINERS_STORAGE_CONF", str(conf))
    try:
        yield base
    finally:
        subprocess.run(["podman", "system", "reset", "--force"], capture_output=True,
                       timeout=300, check=False)
        shutil.rmtree(base, ignore_errors=True)


def _images() -> list[dict[str, object]]:
    done = subprocess.run(["podman", "images", "-a", "--format", "json"], capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout or "[]")


@pytest.mark.engine
@pytest.mark.timeout(1200)
def test_harness_and_scratch_images_stay_in_the_namespace_and_clean_up(
        private_storage: Path) -> None:
    assert _images() == []  # the storage is this test's alone
    cache = private_storage / "cache"
    builder = build.Builder(cache=cache)
    img = builder.build_example("busybox", "minimal")
    assert is_test_name(img.name) and img.name.startswith(f"{NAMESPACE}/examples-busybox:")
    context = private_storage / "scratch"
    context.mkdir()
    (context / "x").write_text("x\n")
    (context / "Dockerfile").write_text(f"FROM {img.image_id}\nCOPY x /x\nENV A=1\nCOPY x /y\n")
    with scratch_image(context, "scratch:latest") as name:
        assert name in {n for i in _images() for n in i.get("Names") or ()}
    names = {n for i in _images() for n in i.get("Names") or ()}
    assert names and all(is_test_name(n) for n in names), names
    assert f"{NAMESPACE}/scratch:latest" not in names  # a test's own image went with it
    assert not {"docker.io/library/busybox:1.36", "docker.io/library/busybox:latest"} & names
    # the cache is the cache: a second build is served from it, with the same names
    again = build.Builder(cache=cache).build_example("busybox", "minimal")
    assert again == img and {n for i in _images() for n in i.get("Names") or ()} == names
    removed = build.clean(cache)
    assert set(removed) == names
    assert _images() == [] and not cache.exists()
