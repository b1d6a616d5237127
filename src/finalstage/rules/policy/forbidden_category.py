"""FS905 forbidden-category (policy `forbidden-categories` for categories with no rule of their
own: shells, headers, debug information)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._helpers import plural
from finalstage.rules._options import Option
from finalstage.rules.policy._budget import PolicyRule, by_layer, files, top
from finalstage.units import format_size
from finalstage.facts import Facts



class ForbiddenCategory(PolicyRule):
    """The image ships content of a category the policy forbids

    ## What it does
    Reports, per layer, the files of each listed content category (`inspect` shows the
    categories of an image). Categories that have a rule of their own — compilers (FS201),
    build tools (FS202), package managers (FS203), source (FS204), tests (FS205), development
    dependencies (FS206), caches (FS207), secrets (FS208), docs (FS302) — are reported by that
    rule when a policy's `forbidden-categories` lists them; this rule covers the rest (`shell`,
    `headers`, `debug`) and any category listed in its own `categories` option.

    ## Why is this bad?
    A category the team decided never to ship is a regression the moment it appears, whatever
    Dockerfile line brought it.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y libssl-dev
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends libssl3 \
        && rm -rf /var/lib/apt/lists/*
    ```

    ## Options
    - `categories`: content categories that must not appear (policy `forbidden-categories`).
    """

    code = "FS905"
    name = "forbidden-category"
    severity = Severity.ERROR
    groups = ("policy", "content")
    setting = "categories"
    options: ClassVar[Mapping[str, Option]] = {
        "categories": Option((), "Content categories that must not appear"),
    }

    def check_facts(self, facts: Facts) -> Iterator[Finding]:
        category_of = facts.analysis.category_of
        for category in self.settings["categories"]:
            # Symlinks and directories carry no bytes; their targets and contents are counted.
            hits = [f for f in files(facts) if f.kind in ("file", "hardlink")
                    and category_of.get(f.path[1:]) == category]
            for layer, found in sorted(by_layer(hits).items()):
                total = sum(f.size for f in found)
                yield self.located(
                    facts, f"{plural(len(found), category + ' file')} ({format_size(total)}) in "
                    f"the final image, added by layer {layer}", layer=layer, nbytes=total,
                    paths=top(found), subjects=(f"category:{category}",),
                    fix_hint=f"keep {category} content in a builder stage and copy only what "
                             "runs")
