"""slim end to end with podman: the fat example images (Go, Python, Node) slimmed and proven by
running both images with the same probe and tracing the source's run; --learn closing a gap
that static analysis cannot see; a probe that fails on the source; reproducible digests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _images import BUSYBOX, make_image, tree_hash
from tests.harness.build import BuiltImage

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(shutil.which("podman") is None or shutil.which("strace") is None,
                       reason="needs podman and strace"),
]

# example → (probe arguments, largest acceptable slim size)
EXAMPLES = {
    "go": ("./server -selftest", 20 << 20),
    "python": ("python app.py --selftest", 40 << 20),
    "node": ("node src/server.js --version", 130 << 20),
}


def slim(*argv: str, timeout: float = 900) -> tuple[int, dict, str]:
    done = subprocess.run([sys.executable, "-m", "finalstage", "slim", *argv, "--format",
                           "json"], capture_output=True, text=True, timeout=timeout,
                          check=False)
    doc = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, doc, done.stderr


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_fat_example_is_slimmed_and_proven(example: str, tmp_path: Path,
                                           built_image: Callable[[str, str], BuiltImage]
                                           ) -> None:
    built = built_image(example, "fat")
    probe, budget = EXAMPLES[example]
    code, doc, err = slim(f"containers-storage:{built.name}", "-o", f"oci:{tmp_path}/slim",
                          "--probe-cmd", probe)
    proof = doc["verification"]
    assert code == 0, (err, proof)
    assert proof["status"] == "pass", proof
    assert proof["missing"] == [], "the source's run read files the slim image lacks"
    assert proof["paths_read"] > 0, "the trace saw nothing"
    assert proof["source_run"]["stdout"] == proof["slim_run"]["stdout"] != ""
    assert proof["check"] == {"status": "pass", "findings": []}
    assert doc["size_after"] <= budget < doc["size_before"]
    kept = {k["path"] for k in doc["kept"]}
    assert not any("/tests/" in p or p.endswith("/.git") for p in kept)


@pytest.mark.timeout(900)
def test_minimal_example_slims_to_the_same_digest_twice(tmp_path: Path, built_image) -> None:
    built = built_image("go", "minimal")
    digests = set()
    for name in ("one", "two"):
        code, doc, err = slim(str(built.docker_archive), "-o", f"oci:{tmp_path}/{name}",
                              "--no-verify")
        assert code == 0, err
        digests.add(doc["output"]["manifest_digest"])
    assert len(digests) == 1


needs_busybox = pytest.mark.skipif(BUSYBOX is None, reason="needs the host's static busybox")


@needs_busybox
@pytest.mark.timeout(900)
def test_learn_adds_what_only_the_trace_saw(tmp_path: Path) -> None:
    image = make_image(tmp_path / "app.oci")
    before = tree_hash(image)
    # run.sh reads /etc/motd through a shell variable: static analysis cannot see it
    code, doc, _ = slim(f"oci:{image}", "-o", f"oci:{tmp_path}/plain", "--probe-cmd", "x")
    assert code == 1
    proof = doc["verification"]
    assert proof["status"] == "fail"
    # busybox's sh runs cat by re-executing itself (/proc/self/exe) under the applet's name
    assert {"path": "/etc/motd", "process": "/app/run.sh as cat"} in proof["missing"]
    assert proof["diff"]
    code, doc, err = slim(f"oci:{image}", "-o", f"oci:{tmp_path}/learned", "--probe-cmd", "x",
                          "--learn")
    assert code == 0, (err, doc.get("verification"))
    assert doc["verification"]["learned"] == ["/etc/motd"]
    assert doc["verification"]["slim_run"]["stdout"] == "hello from the motd\nargs: x\n"
    motd = next(k for k in doc["kept"] if k["path"] == "/etc/motd")
    assert motd["reasons"] == ["opened by the fat image's probe run (--learn)"]
    assert tree_hash(image) == before


@needs_busybox
@pytest.mark.timeout(600)
def test_probe_failing_on_the_source_is_an_error(tmp_path: Path) -> None:
    image = make_image(tmp_path / "cat.oci", entrypoint=["/bin/cat"])
    code, _, err = slim(f"oci:{image}", "-o", f"oci:{tmp_path}/out", "--probe-cmd",
                        "/no/such/file")
    assert code == 2
    assert err.startswith("finalstage: the probe fails on the source image itself")
    assert err.count("\n") == 1


@needs_busybox
@pytest.mark.timeout(600)
def test_no_probe_says_verification_was_skipped(tmp_path: Path) -> None:
    image = make_image(tmp_path / "app.oci")
    code, doc, err = slim(f"oci:{image}", "-o", f"oci:{tmp_path}/out")
    assert code == 0, err
    assert doc["verification"]["status"] == "skipped"
    assert "--probe-http" in doc["verification"]["reason"]
    assert doc["verification"]["check"]["status"] == "pass"
    assert os.path.isfile(f"{tmp_path}/out/index.json")


@needs_busybox
@pytest.mark.timeout(900)
def test_healthcheck_is_the_default_probe_and_is_traced(tmp_path: Path) -> None:
    image = make_image(tmp_path / "hc.oci", entrypoint=["/bin/sleep", "600"],
                       healthcheck=["CMD-SHELL", "cat /etc/motd"])
    code, doc, err = slim(f"oci:{image}", "-o", f"oci:{tmp_path}/plain")
    proof = doc["verification"]
    assert code == 1, err
    assert proof["probe"] == "HEALTHCHECK /bin/sh -c cat /etc/motd"
    assert any(m["path"] == "/etc/motd" for m in proof["missing"])
    code, doc, err = slim(f"oci:{image}", "-o", f"oci:{tmp_path}/learned", "--learn")
    assert code == 0, (err, doc.get("verification"))
    assert doc["verification"]["slim_run"]["stdout"] == "hello from the motd\n"
    kept = {k["path"]: k["reasons"] for k in doc["kept"]}
    assert kept["/bin/cat"][0].startswith("symlink on the way to /bin/cat")
    assert kept["/bin/sleep"] == ["symlink on the way to /bin/sleep (ENTRYPOINT)"]
