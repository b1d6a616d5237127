"""FS903 too-many-layers (policy `max-layers`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._options import Option
from finalstage.rules.policy._budget import PolicyRule
from finalstage.facts import Facts



class TooManyLayers(PolicyRule):
    """The image has more layers than its budget

    ## What it does
    Counts the image's layers (not its history entries: `ENV`, `CMD` and the like add history
    but no layer) and reports the image when there are more than `max-layers`.

    ## Why is this bad?
    Each layer is one more blob to pull, verify and unpack, and one more place for a deleted
    file to hide. Long chains of small `RUN`s usually mean a final stage built in place.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update
    RUN apt-get install -y curl
    RUN rm -rf /var/lib/apt/lists/*
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl \
        && rm -rf /var/lib/apt/lists/*
    ```

    ## Options
    - `max-layers`: the largest number of layers allowed (policy `max-layers`).
    """

    code = "FS903"
    name = "too-many-layers"
    severity = Severity.ERROR
    groups = ("policy", "size")
    subjects = ("layers:count",)
    aliases = ("max-layers",)
    setting = "max-layers"
    options: ClassVar[Mapping[str, Option]] = {
        "max-layers": Option(None, "Layers allowed", "int"),
    }

    def verdict(self, facts: Facts) -> str | None:
        return f"{_counted(facts)}, at most {self.settings['max-layers']} layers"

    def check_facts(self, facts: Facts) -> Iterator[Finding]:
        count, limit = len(facts.scans), self.settings["max-layers"]
        if count > limit:
            yield self.image_finding(
                f"image has {_counted(facts)}, more than the {limit} layers allowed",
                fix_hint="merge consecutive RUN instructions, or copy the result into a fresh "
                         "stage")


def _counted(facts: Facts) -> str:
    """``5 layers (9 history entries)``: layers and history entries are different counts."""
    layers = len(facts.scans)
    image = facts.image
    history = len(image.config.history) if image is not None else layers
    noun = "layer" if layers == 1 else "layers"
    return f"{layers} {noun} ({history} history entries)" if history != layers \
        else f"{layers} {noun}"
