"""The registry source on a bad network: a real docker-registry on 127.0.0.1 behind a counting,
fault-injecting proxy (tests/harness/proxy.py), driven through the real CLI in a subprocess.

- the layer cache keys registry layers by their digests: a cold inspect GETs each blob once, a
  warm one GETs no layer blob at all, and succeeds while every layer blob is unavailable;
- Ctrl-C (SIGINT) during a trickling download stops within a second, closes the connections,
  prints one line and exits 130;
- a link that drops every few KB, and a server whose 206 starts elsewhere than asked, still give
  the whole image;
- a slow download shows bytes, rate and time left on a terminal.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests/harness are redefined as parameters)

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.harness.proxy import RegistryProxy, five_layer_layout, wait_until
from tests.harness.registry import (  # noqa: F401 - pytest fixture
    RegistryServer,
    open_registry,
    skopeo_push,
)

from finalstage.fs.cache import LayerCache
from finalstage.fs.merge import merged_tree
from finalstage.image.image import Image
from finalstage.image.registry import RetryPolicy, open_core
from finalstage.units import format_size

pytestmark = [pytest.mark.engine, pytest.mark.corpus, pytest.mark.timeout(120),
              pytest.mark.usefixtures("no_ambient_credentials")]

LAYER_BYTES = 256 * 1024  # random, so each gzip layer is a little larger


@pytest.fixture(scope="module")
def pushed(open_registry: RegistryServer, tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, dict[str, Any]]:
    """A 5-layer and a 1-layer image in the registry: ``{"five": meta, "one": meta}``."""
    images = {}
    for name, count in (("five", 5), ("one", 1)):
        layout = tmp_path_factory.mktemp(f"layout-{name}")
        meta = five_layer_layout(layout, layer_bytes=LAYER_BYTES, layers=count)
        skopeo_push(open_registry, f"oci:{layout}:1", f"test/{name}:1")
        images[name] = meta
    return images


@pytest.fixture
def proxy(open_registry: RegistryServer) -> Iterator[RegistryProxy]:
    with RegistryProxy(open_registry.host, lifetime=110) as server:
        yield server


def cli(*args: str, cache: Path, **kw: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FINALSTAGE_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    env.update(kw.pop("env", {}))
    return subprocess.Popen([sys.executable, "-m", "finalstage", *args], env=env,
                            stdout=kw.pop("stdout", subprocess.PIPE),
                            stderr=kw.pop("stderr", subprocess.PIPE), **kw)


def inspect(proxy: RegistryProxy, name: str, cache: Path, *extra: str,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = cli("inspect", f"docker://{proxy.host}/test/{name}:1", "--format", "json", *extra,
               cache=cache, env=env or {})
    out, err = proc.communicate(timeout=90)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode())


def test_cold_inspect_gets_each_blob_once_warm_inspect_none(
        proxy: RegistryProxy, pushed: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    meta = pushed["five"]
    layers = set(meta["layers"])
    cold = inspect(proxy, "five", tmp_path / "cache")
    assert cold.returncode == 0, cold.stderr
    gets = [r.path.rsplit("/", 1)[1] for r in proxy.blob_gets()]
    assert sorted(gets) == sorted([*layers, meta["config"]])  # 6: each blob exactly once

    for report_cache in ("1", "0"):  # the report memo, then the layer cache alone
        proxy.clear()
        warm = inspect(proxy, "five", tmp_path / "cache",
                       env={"FINALSTAGE_REPORT_CACHE": report_cache})
        assert warm.returncode == 0, warm.stderr
        assert warm.stdout == cold.stdout
        assert proxy.blob_gets(layers) == []  # manifest and config only
        assert [r.path.rsplit("/", 1)[1] for r in proxy.blob_gets()] == [meta["config"]]


def test_warm_inspect_needs_no_layer_blob(proxy: RegistryProxy,
                                          pushed: dict[str, dict[str, Any]],
                                          tmp_path: Path) -> None:
    layers = set(pushed["five"]["layers"])
    cold = inspect(proxy, "five", tmp_path / "cache")
    assert cold.returncode == 0, cold.stderr
    proxy.clear()
    proxy.inject(digests=layers, status=503)
    for report_cache in ("1", "0"):
        warm = inspect(proxy, "five", tmp_path / "cache",
                       env={"FINALSTAGE_REPORT_CACHE": report_cache})
        assert warm.returncode == 0, warm.stderr
        assert warm.stdout == cold.stdout
    assert proxy.blob_gets(layers) == []
    # The blobs are unavailable indeed: without the cache the same inspect fails.
    cold_again = inspect(proxy, "five", tmp_path / "cache", "--no-cache")
    assert cold_again.returncode == 2 and "503" in cold_again.stderr


def test_library_scan_opens_no_cached_registry_layer(
        proxy: RegistryProxy, pushed: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    layers = set(pushed["five"]["layers"])
    for expected_gets in (5, 0):
        proxy.clear()
        core = open_core(f"{proxy.host}/test/five:1")
        try:
            image = Image(core, cache=LayerCache(tmp_path / "cache"))
            assert len(list(merged_tree(image).walk())) > 5
        finally:
            core.close()
        assert len(proxy.blob_gets(layers)) == expected_gets


@pytest.mark.parametrize("name", ["five", "one"])  # two reading threads, and the main thread
def test_ctrl_c_stops_a_download_within_a_second(
        proxy: RegistryProxy, pushed: dict[str, dict[str, Any]], tmp_path: Path,
        name: str) -> None:
    layers = set(pushed[name]["layers"])
    proxy.inject(digests=layers, rate=20_000)  # 256 KiB a layer: 13 s each
    cache = tmp_path / "cache"
    proc = cli("inspect", f"docker://{proxy.host}/test/{name}:1", cache=cache)
    try:
        assert wait_until(lambda: len(proxy.blob_gets(layers)) >= min(2, len(layers)), 30)
        time.sleep(0.5)  # bytes are flowing
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        latency = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f"\ninterrupt latency ({name} layer(s)): {latency:.3f} s")
    assert proc.returncode == 130
    assert err.decode() == "finalstage: interrupted\n"
    assert out == b""
    assert latency < 1.0
    # The connections were closed (the trickle noticed), and no temporary file is left.
    assert wait_until(lambda: proxy.hangups >= min(2, len(layers)), 2.0)
    assert not cache.exists() or not list(cache.glob(".tmp-*"))


def test_link_that_drops_every_few_kb_still_reads(
        proxy: RegistryProxy, pushed: dict[str, dict[str, Any]]) -> None:
    meta = pushed["five"]
    layers = set(meta["layers"])
    proxy.inject(digests=layers, every=32 * 1024)  # ~8 drops per layer, more than MAX_STALLS
    core = open_core(f"{proxy.host}/test/five:1", retry=RetryPolicy(attempts=3, base=0.01))
    try:
        paths = {e.path for e in merged_tree(Image(core)).walk()}
    finally:
        core.close()
    assert {f"layer{n}/data" for n in range(5)} <= paths
    ranged = [r for r in proxy.blob_gets(layers) if r.range]
    assert len(ranged) >= sum(size // (32 * 1024) for size in meta["sizes"])


def test_206_from_the_wrong_offset_restarts_the_blob(
        proxy: RegistryProxy, pushed: dict[str, dict[str, Any]]) -> None:
    meta = pushed["one"]
    layer = meta["layers"][0]
    # The first response drops after 64 KiB; the resume's 206 starts 100 bytes early.
    proxy.inject(digests={layer}, every=64 * 1024, shift=100, times=2)
    core = open_core(f"{proxy.host}/test/one:1", retry=RetryPolicy(attempts=3, base=0.01))
    try:
        paths = {e.path for e in merged_tree(Image(core)).walk()}
    finally:
        core.close()
    assert "layer0/data" in paths
    assert [r.range for r in proxy.blob_gets({layer})] == [None, "bytes=65536-", None]


def test_slow_download_shows_bytes_rate_and_eta_on_a_tty(
        proxy: RegistryProxy, pushed: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    meta = pushed["five"]
    proxy.inject(digests=set(meta["layers"]), rate=150_000)  # ~2 s a layer, 2 at a time
    master, slave = pty.openpty()
    proc = cli("inspect", f"docker://{proxy.host}/test/five:1", cache=tmp_path / "cache",
               stderr=slave)
    os.close(slave)
    seen = b""
    try:
        while proc.poll() is None or select.select([master], [], [], 0)[0]:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    seen += os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
        proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, text[-500:]
    assert "reading layers [" in text
    assert f" of {format_size(sum(meta['sizes']))}" in text
    assert "kB/s" in text and "ETA " in text
    assert text.endswith("\r") and text.rsplit("\r", 2)[-2].strip() == "", "wiped at the end"
