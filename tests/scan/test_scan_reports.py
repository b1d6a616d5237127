"""The fleet report's ranking and formats on hand-made layer summaries (no image needed), and
the store's behaviour on a damaged file. Every number here is written by hand."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from finalstage.findings import Report
from finalstage.report import render
from finalstage.report.json import SCHEMA_PATH
from finalstage.scan.model import (
    ImageMeta,
    ImageVerdict,
    KindBytes,
    LayerRef,
    LayerSummary,
    WasteItem,
)
from finalstage.scan.rank import FleetInput, fleet
from finalstage.scan.store import FILE_NAME, ScanStore

HOSTILE = "/bin/sh -c make | tee `x` <script>alert(1)</script>\x1b[31m\nred"


def meta(ref: str, *keys: str) -> ImageMeta:
    return ImageMeta(ref, f"cfg-{ref}", tuple(LayerRef(k, k, k, 10, f"RUN {k}") for k in keys))


def sample() -> FleetInput:
    summaries = {
        "base": LayerSummary("base", 1000, 500, 3, (KindBytes("compiler", 400, ("/cc1",)),)),
        "fat": LayerSummary("fat", 300, 200, 2, (KindBytes("docs", 100), KindBytes("cache", 50))),
        "a": LayerSummary("a", 10, 5, 1), "b": LayerSummary("b", 20, 8, 1),
    }
    metas = [meta("img-a", "base", "a"), meta("img-b", "base", "b"), meta("img-c", "fat")]
    waste = (WasteItem(0, 1, 60, 1, ("/tmp/x",)),)
    verdicts = {"img-a": ImageVerdict(1010, 505, 2, "fail", waste),
                "img-b": ImageVerdict(1020, 508, 2, "fail", ()),
                "img-c": ImageVerdict(300, 200, 0, "pass", ())}
    return FleetInput("hand-made", metas, summaries, verdicts)


def test_shared_layers_count_once_and_rank_by_saving_across_images() -> None:
    report = fleet(sample())
    t = report.totals
    assert (t.images, t.unique_layers, t.layer_uses) == (3, 4, 5)
    assert (t.unique_bytes, t.unshared_bytes) == (1330, 2330)
    assert {k.kind: k.bytes for k in report.removable if k.bytes} == {
        "compiler": 400, "docs": 100, "cache": 50, "waste": 60}
    assert t.removable == 610
    ranked = [(f.layer, f.kind, f.bytes, f.saving, f.images) for f in report.fixes]
    assert ranked == [("base", "content", 400, 800, ("img-a", "img-b")),
                      ("fat", "content", 150, 150, ("img-c",)),
                      ("base", "waste", 60, 60, ("img-a",))]
    rows = {r.ref: r.removable for r in report.images}
    assert rows == {"img-a": 460, "img-b": 400, "img-c": 150}


def test_top_limits_the_fixes_not_the_totals() -> None:
    report = fleet(sample(), top=1)
    assert len(report.fixes) == 1 and report.totals.removable == 610


def hostile_report() -> Report:
    data = sample()
    metas = [ImageMeta(m.ref, m.config_digest,
                       tuple(LayerRef(x.key, x.digest, x.diff_id, x.size, HOSTILE)
                             for x in m.layers)) for m in data.metas]
    detail = fleet(FleetInput(data.source, metas, data.summaries, data.verdicts))
    return Report(command="scan", findings=(), targets=("hand-made",), detail=detail)


def test_html_escapes_everything_that_came_from_an_image() -> None:
    page = render(hostile_report(), "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "\x1b" not in page
    assert page.count("<tr>") == 1 + 4 + 1 + 3 + 1 + 3  # kinds, fixes, images (with heads)


def test_markdown_keeps_one_table_row_per_fix() -> None:
    text = render(hostile_report(), "markdown")
    fix_rows = [line for line in text.splitlines() if line.startswith("| 1 |")]
    assert len(fix_rows) == 1
    assert "\\|" in fix_rows[0] and "\x1b" not in text and "\n" not in fix_rows[0]
    assert fix_rows[0].count(" | ") == 6  # 7 columns


def test_json_has_no_backend_or_timing_and_fits_the_shipped_schema() -> None:
    doc = json.loads(render(hostile_report(), "json"))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert [e.message for e in Draft202012Validator(schema).iter_errors(doc)] == []
    assert doc["fixes"][0]["saving"] == 800 and doc["fixes"][0]["image_count"] == 2
    assert "backend" not in json.dumps(doc)


def test_a_damaged_store_is_a_miss_and_starts_over(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"not a database at all" * 100)
    store = ScanStore(tmp_path)
    assert store.get("layers", ["k"]) == {}
    store.close()
    again = ScanStore(tmp_path)
    again.put("layers", "k", {"v": 1})
    assert again.get("layers", ["k", "missing"]) == {"k": {"v": 1}}
    again.close()
