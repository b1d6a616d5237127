"""Every example builds (fat and minimal), runs under podman, and really is fat or minimal.

The images are read here with the standard library (tarfile) and podman, not with finalstage,
so these tests also serve as an independent check of what finalstage should report on them.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import time
from collections.abc import Callable

import pytest
from tests.harness.build import Builder, BuiltImage

pytestmark = [pytest.mark.engine, pytest.mark.timeout(2400)]

PODMAN_RUN = ["podman", "--runtime", "/usr/sbin/runc", "--cgroup-manager", "cgroupfs", "run",
              "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
              "--network", "none"]

# (example, variant) -> arguments after the image for a self-check with no network. Fat images
# use shell-form CMD, so the command is replaced; minimal ones pass flags to their ENTRYPOINT.
SELFTEST: dict[tuple[str, str], list[str]] = {
    ("go", "fat"): ["./server", "-selftest"],
    ("go", "minimal"): ["-selftest"],
    ("node", "fat"): ["node", "src/server.js", "--selftest"],
    ("node", "minimal"): ["node", "src/server.js", "--selftest"],
    ("python", "fat"): ["python", "app.py", "--selftest"],
    ("python", "minimal"): ["--selftest"],
    ("busybox", "fat"): ["/app/app.sh", "--selftest"],
    ("busybox", "minimal"): ["--selftest"],
}
# the example's own unit tests, run inside its fat image (which ships the tests and dev tools)
UNIT_TESTS = {
    "go": (["go", "test", "./..."], "ok"),
    "node": (["npm", "test"], "# pass 1"),
    "python": (["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], "2 passed"),
    "busybox": (["sh", "tests/test_app.sh"], "PASS"),
}
CASES = sorted(SELFTEST)


def podman_run(image: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PODMAN_RUN, image, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def layer_paths(img: BuiltImage) -> list[set[str]]:
    """Paths (normalised, no leading ./ or /) of each layer of the docker-archive export."""
    out = []
    with tarfile.open(img.docker_archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        for name in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(name), mode="r|*") as layer:
                out.append({m.name.lstrip("./").rstrip("/") for m in layer})
    return out


def all_paths(img: BuiltImage) -> set[str]:
    return set().union(*layer_paths(img))


def config(img: BuiltImage) -> dict:
    raw = subprocess.run(["podman", "image", "inspect", img.name], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(raw)[0]["Config"]


@pytest.mark.parametrize(("example", "variant"), CASES, ids=[f"{e}-{v}" for e, v in CASES])
def test_builds_exports_and_runs(built_image: Callable[[str, str], BuiltImage],
                                 example: str, variant: str) -> None:
    img = built_image(example, variant)
    assert img.image_id
    with tarfile.open(img.docker_archive) as t:
        assert "manifest.json" in t.getnames()
    assert json.loads((img.oci_dir / "index.json").read_text())["manifests"]
    assert (img.oci_dir / "oci-layout").is_file()
    with tarfile.open(img.oci_archive) as t:
        assert {"index.json", "oci-layout"} <= set(t.getnames())
    # the host CA bundle was mounted for RUN steps only: no layer may keep it (or its mountpoint)
    assert not any(p.startswith("mnt/") or "finalstage-build-ca" in p for p in all_paths(img))
    proc = podman_run(img.name, *SELFTEST[example, variant])
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("GET / -> ") for ln in lines), proc.stdout
    assert any(ln.startswith("GET /healthz -> ") and ln.endswith("ok") for ln in lines), proc.stdout


@pytest.mark.parametrize("example", sorted(UNIT_TESTS))
def test_example_unit_tests_pass_inside_fat_image(
        built_image: Callable[[str, str], BuiltImage], example: str) -> None:
    img = built_image(example, "fat")
    cmd, expect = UNIT_TESTS[example]
    proc = podman_run(img.name, *cmd)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-2000:]
    assert expect in proc.stdout


@pytest.mark.parametrize("example", ["go", "node", "python", "busybox"])
def test_minimal_image_is_minimal(built_image: Callable[[str, str], BuiltImage],
                                  example: str) -> None:
    img = built_image(example, "minimal")
    paths = all_paths(img)
    leftovers = [p for p in paths if
                 (p.startswith("var/lib/apt/lists/") and not p.endswith(("partial", "lock")))
                 or (p.startswith("var/cache/apt/") and p.endswith(".bin"))
                 or p.startswith(("root/.npm/", "root/.cache/", "var/cache/apt/archives/")
                 ) and p.endswith((".deb", ".json", ".whl", ".tgz"))]
    assert leftovers == [], leftovers[:10]
    assert not any(p.startswith("app/") and "node_modules" not in p
                   and (p.startswith("app/tests") or p.endswith(("_test.go", ".env")))
                   for p in paths)
    user = config(img).get("User", "")
    assert user and user.split(":")[0] not in {"root", "0"}


def test_minimal_contents_per_language(built_image: Callable[[str, str], BuiltImage]) -> None:
    go = all_paths(built_image("go", "minimal"))
    assert "server" in go and not any(p.startswith(("usr/lib/go", "usr/bin/go")) for p in go)
    assert not any(p.startswith(("bin/", "usr/bin/")) for p in go)  # no shell, no tools
    node = all_paths(built_image("node", "minimal"))
    assert "app/node_modules/ms/package.json" in node
    assert not any(p.startswith(("app/node_modules/typescript", "app/node_modules/prettier",
                                 "usr/share/nodejs/npm", "usr/lib/node_modules/npm")) for p in node)
    py = all_paths(built_image("python", "minimal"))
    assert any(p.startswith("opt/venv/lib/") and "/site-packages/waitress/" in p for p in py)
    assert not any("-packages/pytest" in p or "-packages/ruff" in p for p in py)
    assert not any(p.startswith(("usr/bin/gcc", "usr/lib/gcc")) for p in py)


def test_fat_images_carry_the_typical_mistakes(
        built_image: Callable[[str, str], BuiltImage]) -> None:
    go = all_paths(built_image("go", "fat"))
    assert {"app/main.go", "app/main_test.go", "app/server"} <= go
    assert any(p.startswith("var/lib/apt/lists/deb") for p in go)  # apt lists left behind
    assert any(p.startswith("usr/bin/gcc") for p in go)  # a compiler in the runtime image
    node = all_paths(built_image("node", "fat"))
    assert "usr/src/app/node_modules/typescript/package.json" in node
    assert "usr/src/app/tests/app.test.js" in node
    assert any(p.startswith("root/.npm/_cacache/") for p in node)
    py = all_paths(built_image("python", "fat"))
    # pip as root outside a venv: Debian's Python puts it in /usr/local/lib/python3.X/dist-packages
    assert any("-packages/pytest/" in p for p in py) and "app/tests/test_app.py" in py
    assert "usr/local/bin/ruff" in py  # a dev tool (pip's own cache depends on the index's
    # Cache-Control headers, which a proxy may strip, so it is not asserted)
    bb = built_image("busybox", "fat")
    layers = layer_paths(bb)
    assert "app/.env" in set().union(*layers)
    assert any("app/build-cache.bin" in layer for layer in layers)  # written, then…
    assert any("app/.wh.build-cache.bin" in layer for layer in layers)  # …whited out
    cfg = config(bb)
    assert not cfg.get("User") and any(e.startswith("ADMIN_PASSWORD=") for e in cfg["Env"])


def test_second_build_is_a_cache_hit(built_image: Callable[[str, str], BuiltImage],
                                     image_builder: Builder) -> None:
    first = built_image("go", "minimal")
    t0 = time.monotonic()
    again = Builder(cache=image_builder.cache).build_example("go", "minimal")
    elapsed = time.monotonic() - t0
    assert again == first
    assert elapsed < 20, f"cached build took {elapsed:.1f} s"


def test_storage_wiped_image_is_restored_from_export(
        built_image: Callable[[str, str], BuiltImage], image_builder: Builder) -> None:
    first = built_image("busybox", "minimal")
    subprocess.run(["podman", "rmi", "-f", first.name], capture_output=True, check=True)
    again = Builder(cache=image_builder.cache).build_example("busybox", "minimal")
    assert again.image_id == first.image_id
    assert podman_run(again.name, "--version").stdout.strip() == "hello-sh 1.0.0"
