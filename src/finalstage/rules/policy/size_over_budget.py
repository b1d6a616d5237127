"""FS901 size-over-budget (policy `max-size`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._options import Option
from finalstage.rules.policy._budget import PolicyRule, largest_layer, layer_sizes
from finalstage.units import format_size
from finalstage.facts import Facts


_HINT = "build the final stage from a smaller base and copy only the built artifacts"


class SizeOverBudget(PolicyRule):
    """The uncompressed image is larger than its budget

    ## What it does
    Adds up the uncompressed size of every layer (what `docker images` shows) and reports the
    image when it is over `max-bytes`. The finding points at the largest layer, and through it
    at the Dockerfile line that made it (the `FROM` line when the base is the heavy part).

    ## Why is this bad?
    Every byte of the final image is pulled on every deploy and scale-up and stored in every
    registry and node cache. A budget checked in CI stops the slow growth nobody notices.

    ## Example
    ```dockerfile
    FROM python:3.12
    COPY . /app
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    COPY --from=build /app/dist /app
    ```

    ## Options
    - `max-bytes`: the budget in bytes, or a size such as `"150MB"` (policy `max-size`).
    """

    code = "FS901"
    name = "size-over-budget"
    severity = Severity.ERROR
    groups = ("policy", "size")
    subjects = ("size:uncompressed",)
    aliases = ("max-size",)
    setting = "max-bytes"
    options: ClassVar[Mapping[str, Option]] = {
        "max-bytes": Option(None, "Uncompressed bytes allowed", "size"),
    }

    def verdict(self, facts: Facts) -> str | None:
        size = sum(layer_sizes(facts))
        return f"{format_size(size)} uncompressed, budget {format_size(self.settings['max-bytes'])}"

    def check_facts(self, facts: Facts) -> Iterator[Finding]:
        sizes = layer_sizes(facts)
        size, limit = sum(sizes), self.settings["max-bytes"]
        if size <= limit:
            return
        top = largest_layer(sizes)
        extra = f"; largest layer {top}: {format_size(sizes[top])}" if top is not None else ""
        yield self.located(
            facts, f"image is {format_size(size)} uncompressed, over the {format_size(limit)} "
            f"budget by {format_size(size - limit)}{extra}", layer=top, nbytes=size,
            fix_hint=_HINT)
