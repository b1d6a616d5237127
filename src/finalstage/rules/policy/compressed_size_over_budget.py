"""FS902 compressed-size-over-budget (policy `max-size.compressed`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._options import Option
from finalstage.rules.policy._budget import PolicyRule, largest_layer, layer_sizes
from finalstage.units import format_size
from finalstage.facts import Facts



class CompressedSizeOverBudget(PolicyRule):
    """The compressed image (the sum of its layer blobs) is larger than its budget

    ## What it does
    Adds up the stored size of every layer blob — what a registry holds and a pull transfers —
    and reports the image when it is over `max-bytes`.

    ## Why is this bad?
    Pull time and registry storage are paid in compressed bytes. A budget on them keeps
    deploys fast where the network, not the disk, is the limit.

    ## Example
    ```dockerfile
    FROM node:22
    COPY . /app
    ```

    Use instead:
    ```dockerfile
    FROM node:22-slim
    COPY --from=build /app/dist /app
    ```

    ## Options
    - `max-bytes`: the budget in bytes, or a size such as `"60MB"` (policy
      `max-size = {compressed = …}`).
    """

    code = "FS902"
    name = "compressed-size-over-budget"
    severity = Severity.ERROR
    groups = ("policy", "size")
    subjects = ("size:compressed",)
    aliases = ("max-compressed-size",)
    setting = "max-bytes"
    options: ClassVar[Mapping[str, Option]] = {
        "max-bytes": Option(None, "Compressed bytes allowed", "size"),
    }

    def verdict(self, facts: Facts) -> str | None:
        size = sum(s.compressed_size for s in facts.scans)
        return f"{format_size(size)} compressed, budget {format_size(self.settings['max-bytes'])}"

    def check_facts(self, facts: Facts) -> Iterator[Finding]:
        size = sum(s.compressed_size for s in facts.scans)
        limit = self.settings["max-bytes"]
        if size <= limit:
            return
        yield self.located(
            facts, f"image is {format_size(size)} compressed, over the {format_size(limit)} "
            f"budget by {format_size(size - limit)}", layer=largest_layer(layer_sizes(facts)),
            nbytes=size,
            fix_hint="build the final stage from a smaller base and copy only the built "
                     "artifacts")
