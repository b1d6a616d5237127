"""FS301 waste-over-threshold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule, Option
from finalstage.facts.image import ImageContext, Summary, TOP_PATHS
from finalstage.facts import Facts
from finalstage.rules._helpers import plural
from finalstage.units import format_size


class WasteOverThreshold(ImageRule):
    """Bytes shipped in a layer but deleted or overwritten by a later one

    ## What it does
    Sums the bytes of files that a layer adds and a later layer deletes or overwrites: they are
    downloaded with the image but invisible in the container. When the total is over
    `max-bytes` or over `max-percent` of the bytes all layers hold, reports each layer that
    added wasted bytes — its bytes, its largest wasted paths and its own Dockerfile line.

    ## Why is this bad?
    Layers are immutable: `RUN rm` in a later layer hides a file but every pull still transfers
    it. Waste is pure cost in registry storage, pull time and start-up latency.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    COPY big-archive.tar.gz /tmp/
    RUN tar -xzf /tmp/big-archive.tar.gz -C /opt
    RUN rm /tmp/big-archive.tar.gz
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN --mount=type=bind,source=big-archive.tar.gz,target=/tmp/a.tgz \
        tar -xzf /tmp/a.tgz -C /opt
    ```

    ## Options
    - `max-bytes`: wasted bytes allowed (default 10 MiB).
    - `max-percent`: wasted share of all layer bytes allowed, in percent (default 10).

    A policy's `max-waste` (`"5%"` or `"20MB"`) sets one of the two and lifts the other, and
    makes this rule an error.
    """

    code = "FS301"
    name = "waste-over-threshold"
    severity = Severity.WARNING
    groups = ("size", "waste")
    subjects = ("waste:image",)
    aliases = ("FS904", "max-waste")
    options: ClassVar[Mapping[str, Option]] = {
        "max-bytes": Option(10 * 1024 * 1024, "Wasted bytes allowed", "size"),
        "max-percent": Option(10.0, "Wasted share of all layer bytes allowed, in percent",
                              "percent"),
    }

    def verdict(self, facts: Facts) -> str | None:
        tree = facts.tree
        held = sum(layer.bytes for layer in tree.layers)
        percent = 100.0 * tree.waste_bytes / held if held else 0.0
        budget = [f"{format_size(v)}" for v in [self.settings["max-bytes"]] if v is not None]
        budget += [f"{v:g}%" for v in [self.settings["max-percent"]] if v is not None]
        return (f"{format_size(tree.waste_bytes)} wasted ({percent:.1f}%), budget "
                f"{' or '.join(budget) or 'none'}")

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        tree = ctx.tree
        wasted = tree.waste_bytes
        if wasted <= 0:
            return
        held = sum(layer.bytes for layer in tree.layers)
        percent = 100.0 * wasted / held if held else 0.0
        # A policy's `max-waste` sets one budget and lifts the other (None: no limit).
        max_bytes = self.settings["max-bytes"]
        max_percent = self.settings["max-percent"]
        max_bytes = float("inf") if max_bytes is None else max_bytes
        max_percent = float("inf") if max_percent is None else max_percent
        if wasted <= max_bytes and percent <= max_percent:
            return
        # One finding per layer that added hidden bytes: each RUN or COPY is its own fix.
        paths_of: dict[int, list[tuple[int, str]]] = {}
        for item in tree.wasted.values():
            for layer in set(item.layers):
                paths_of.setdefault(layer, []).append((item.bytes, "/" + item.path))
        for stats in tree.layers:
            if stats.hidden_bytes <= 0:
                continue
            ranked = sorted(paths_of.get(stats.index, []), key=lambda p: (-p[0], p[1]))
            paths = tuple(path for _, path in ranked[:TOP_PATHS])
            summary = Summary(stats.hidden_bytes, len(ranked), paths, stats.index,
                              ctx.layer_created_by(stats.index))
            yield self.image_finding(
                f"{format_size(stats.hidden_bytes)} this layer adds are deleted or overwritten "
                f"by later layers ({plural(len(ranked), 'path')}; {percent:.1f}% of the bytes "
                "in all layers are wasted)", summary,
                fix_hint="delete temporary files in the same RUN that creates them, or use a "
                         "build stage / bind mount so they never reach a layer")
