"""``--format html`` in a real browser: Debian's chromium, headless, driven by Playwright
(``executable_path`` is the system chromium; no browser is ever downloaded), with a fresh
profile. Each page must load with no request besides its own file and no console error; a
click on a layer must change the treemap; screenshots are kept as test artefacts in
``$FINALSTAGE_TEST_ARTEFACTS`` (default ``build/test-artefacts``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import finalstage
from finalstage.findings import Finding, Location, Report, Severity
from finalstage.report import render

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run"]
ARTEFACTS = Path(os.environ.get("FINALSTAGE_TEST_ARTEFACTS", ROOT / "build" / "test-artefacts"))
BENCH = Path(os.environ.get("FINALSTAGE_BENCH_IMAGES", "/tmp/images"))
BUSYBOX_FAT = str(ROOT / "examples/images/busybox-fat.tar")
BUSYBOX_MIN = str(ROOT / "examples/images/busybox-minimal.tar")
SECRETS = ("fake-changeme-123", "fake-dev-password")


class Loaded:
    """A page loaded from a file, with what it asked for and complained about."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.seconds = 0.0


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} missing (make test installs Debian's chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000})
        yield context
        context.close()


def load(browser: Any, path: Path) -> Loaded:
    page = browser.new_page()
    url = path.resolve().as_uri()
    loaded = Loaded(page, url)
    page.on("request", lambda r: loaded.requests.append(r.url))
    page.on("console", lambda m: loaded.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: loaded.errors.append(str(e)))
    page.on("dialog", lambda d: (loaded.dialogs.append(d.message), d.dismiss()))
    start = time.monotonic()
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=20_000)
    loaded.seconds = time.monotonic() - start
    return loaded


def shot(loaded: Loaded, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    loaded.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def assert_offline_and_clean(loaded: Loaded) -> None:
    assert [u for u in loaded.requests if u != loaded.url] == []
    assert loaded.errors == [] and loaded.dialogs == []


def treemap_state(page: Any) -> tuple[str | None, int, int]:
    return (page.get_attribute("#treemap", "data-layer"), page.locator(".tm.dim").count(),
            page.locator(".tm.hit").count())


def test_inspect_page_offline_and_layer_click_changes_treemap(browser: Any,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "inspect.html"
    out.write_text(render(finalstage.inspect(BUSYBOX_FAT), "html"), encoding="utf-8")
    loaded = load(browser, out)
    assert_offline_and_clean(loaded)
    page = loaded.page
    assert page.locator(".tm").count() >= 2 and page.locator(".layer").count() == 5
    before = treemap_state(page)
    assert before == ("", 0, 0)
    page.locator(".layer[data-layer='1']").click()    # the COPY layer: busybox is not its
    after = treemap_state(page)
    assert after[0] == "1" and after[1] >= 1 and after != before
    assert "layer 1:" in page.inner_text("#layerinfo")
    page.locator(".layer[data-layer='0']").click()    # the base layer: busybox is its
    base = treemap_state(page)
    assert base[0] == "0" and base[2] >= 1 and base[1] == 0
    shot(loaded, "inspect-busybox-fat-layer0")
    page.locator(".tm.dir").first.click(position={"x": 4, "y": 4})  # zoom into /bin
    assert page.get_attribute("#treemap", "data-root") == "/bin"
    page.locator(".layer[data-layer='0']").click()    # the same layer again: back to none
    assert treemap_state(page) == ("", 0, 0)
    assert loaded.errors == []


def test_check_page_shows_lines_and_no_secrets(browser: Any, tmp_path: Path) -> None:
    report = finalstage.check(BUSYBOX_FAT, dockerfile=str(ROOT / "examples/busybox/Dockerfile.fat"),
                              policy=str(ROOT / "examples/finalstage.toml"))
    html = render(report, "html")
    for secret in SECRETS:
        assert secret not in html
    out = tmp_path / "check.html"
    out.write_text(html, encoding="utf-8")
    loaded = load(browser, out)
    assert_offline_and_clean(loaded)
    text = loaded.page.inner_text("body")
    assert "line 6: COPY . ." in text                  # the layer's Dockerfile line
    assert loaded.page.locator("pre.frame").count() >= 1  # findings in their source
    assert "/app/.env" in text and "****" in text
    for secret in SECRETS:
        assert secret not in text
    shot(loaded, "check-busybox-fat")


def test_hostile_values_stay_text(browser: Any, tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    report = Report(command="check", targets=(evil,), findings=(Finding(
        rule="FS103", name="copy-entire-context", severity=Severity.ERROR, message=evil,
        fix_hint=evil, location=Location("Dockerfile", 3), source_line=evil,
        paths=(evil, "/a\u202etxt.exe"), bytes=10),))
    html = render(report, "html")
    assert html.count("<script") == 3 and "<img" not in html and "alert(1)</" not in html
    out = tmp_path / "evil.html"
    out.write_text(html, encoding="utf-8")
    loaded = load(browser, out)
    assert_offline_and_clean(loaded)
    assert evil in loaded.page.inner_text("table")
    assert "\\u202e" in loaded.page.inner_text("table")  # bidi override shown, not applied
    assert loaded.page.locator("img").count() == 0


def test_diff_page(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "diff.html"
    out.write_text(render(finalstage.diff(BUSYBOX_MIN, BUSYBOX_FAT), "html"), encoding="utf-8")
    loaded = load(browser, out)
    assert_offline_and_clean(loaded)
    text = loaded.page.inner_text("body")
    assert "layers shared with A: 1, not read for B: 1" in text
    assert "FS208" in text                              # the new .env finding
    shot(loaded, "diff-busybox")


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", ["fat-node", "big"])
def test_bench_pages_are_small_and_fast(browser: Any, tmp_path: Path, name: str) -> None:
    archive = BENCH / f"{name}.tar"
    if not archive.exists():
        pytest.skip(f"bench image {archive} not built (../shared/bench/build-images.sh)")
    out = tmp_path / f"{name}.html"
    out.write_text(render(finalstage.inspect(str(archive)), "html"), encoding="utf-8")
    assert out.stat().st_size < 2_000_000
    loaded = load(browser, out)
    assert_offline_and_clean(loaded)
    assert loaded.seconds < 2.0, f"{name}: loaded in {loaded.seconds:.2f} s"
    loaded.page.locator(".layer").nth(1).click()
    assert loaded.page.get_attribute("#treemap", "data-layer") == "1"
    shot(loaded, f"inspect-{name}")
