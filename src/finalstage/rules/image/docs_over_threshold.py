"""FS302 docs-over-threshold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule, Option
from finalstage.facts.image import ImageContext
from finalstage.rules._helpers import plural


class DocsOverThreshold(ImageRule):
    """Documentation, man pages and locales over a size threshold

    ## What it does
    Sums documentation in the image (`/usr/share/doc`, man and info pages, `/usr/share/locale`,
    `/usr/lib/locale`, READMEs and changelogs) and reports it when it is over `min-bytes`.

    ## Why is this bad?
    Nobody reads man pages inside a production container. On a slim base, documentation and
    locales are often the largest category after the application.

    ## Example
    ```dockerfile
    FROM debian:bookworm
    RUN apt-get update && apt-get install -y python3
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends python3 \
        && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*
    ```

    ## Options
    - `min-bytes`: documentation bytes at or below which nothing is reported (default 10 MiB).
    """

    code = "FS302"
    name = "docs-over-threshold"
    severity = Severity.INFO
    groups = ("size",)
    subjects = ("category:docs",)
    options: ClassVar[Mapping[str, Option]] = {
        "min-bytes": Option(10 * 1024 * 1024, "Documentation bytes allowed", "size"),
    }

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        files = ctx.files_of("docs")
        total = sum(f.size for f in files)
        if total <= self.settings["min-bytes"]:
            return
        summary = ctx.summarize(files)
        yield self.image_finding(
            f"documentation, man pages and locales in the final image ({plural(summary.files, 'file')})",
            summary,
            fix_hint="use a -slim or distroless base, or delete /usr/share/doc, man and locale "
                     "files in the RUN that installs packages (dpkg path-exclude)")
