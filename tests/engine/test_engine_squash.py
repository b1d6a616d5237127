"""A squashed image (`buildah bud` without --layers: one layer for every instruction) cannot tie
its files to one Dockerfile line. The gate says so once, points the findings at the layer, and
still reports each fact once: what a Dockerfile rule reports at one of the squashed
instructions absorbs the image finding about the same thing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from finalstage.api.check import check
from finalstage.settings import from_table
from tests.harness.build import BUD, EXAMPLES_DIR

pytestmark = [pytest.mark.engine, pytest.mark.timeout(900)]
TAG = "localhost/finalstage-test/squashed-busybox:fat"


@pytest.fixture(scope="module")
def squashed(image_builder, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    image_builder.ensure_standin("busybox")
    out = tmp_path_factory.mktemp("squash") / "squashed.tar"
    # the harness's build command, minus --layers: buildah then commits one layer at the end
    bud = [arg for arg in BUD if arg != "--layers"]
    ctx = EXAMPLES_DIR / "busybox"
    subprocess.run([*bud, "-f", str(ctx / "Dockerfile.fat"), "-t", TAG, str(ctx)],
                   check=True, capture_output=True, timeout=600)
    try:
        subprocess.run(["skopeo", "copy", "-q", f"containers-storage:{TAG}",
                        f"docker-archive:{out}:{TAG}"], check=True, capture_output=True,
                       timeout=300)
    finally:
        subprocess.run(["buildah", "rmi", "-f", TAG], capture_output=True, timeout=120,
                       check=False)
    config = json.loads(subprocess.run(["skopeo", "inspect", "--config", f"docker-archive:{out}"],
                                       check=True, capture_output=True, timeout=120).stdout)
    assert len(config["rootfs"]["diff_ids"]) == 2  # the base's layer and one squashed layer
    return out


def test_a_squashed_image_says_so_once_and_reports_each_fact_once(squashed: Path) -> None:
    report = check(f"docker-archive:{squashed}",
                   dockerfile=EXAMPLES_DIR / "busybox" / "Dockerfile.fat",
                   policy=from_table({"policy": {"forbidden-categories": ["source", "tests"]}},
                                     "p.toml"))
    (note,) = report.notes
    assert "layer 1 holds the files of 4 instructions (lines 6, 9, 10, 11)" in note
    assert "squashed" in note
    # no finding pretends the squashed layer came from one line (buildah records it as the CMD)
    on_layer_1 = [f for f in report.findings if f.layer == 1]
    assert on_layer_1 and all(f.location is None or f.location.line != 14 or f.rule == "FS402"
                              for f in on_layer_1)
    # COPY . . (FS103, line 6) and the sources it shipped (FS204, in the squashed layer) are one
    (copy,) = [f for f in report.findings if f.rule == "FS103"]
    assert "FS204" in copy.also and copy.bytes and copy.location.line == 6
    assert not [f for f in report.findings if f.rule == "FS204"]
    # every fact once: no two findings of different rules about one subject at one place
    seen: dict[tuple[object, str], str] = {}
    for f in report.findings:
        where = f.location.line if f.location else ("layer", f.layer)
        for subject in f.subjects:
            assert seen.setdefault((where, subject), f.rule) == f.rule
