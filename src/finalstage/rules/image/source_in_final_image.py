"""FS204 source-in-final-image."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts.image import ImageContext, is_library_path
from finalstage.rules._helpers import plural

_EXEC = 0o111


class SourceInFinalImage(ImageRule):
    """Application source tree in the final image

    ## What it does
    Reports source code of compiled or transpiled languages (`*.go`, `*.c`, `*.rs`, `*.java`,
    `*.ts`…), build files (`go.mod`, `pom.xml`, `Makefile`, `Dockerfile`) and VCS metadata
    (`.git`) that the application put in the image. Files an OS package owns (the distribution's
    own sources), files a Python distribution's `RECORD` lists (a wheel's C sources, wherever
    `pip install --target` put it) and files inside third-party library trees (`node_modules`,
    `site-packages`) are not counted. The message names an executable found beside the
    sources, the built artefact that makes them useless.

    ## Why is this bad?
    Sources beside a built binary are never used at run time. They leak code, history (`.git`)
    and sometimes credentials, and they are the mark of `COPY . .` in the final stage.

    ## Example
    ```dockerfile
    FROM golang:1.22-bookworm
    WORKDIR /app
    COPY . .
    RUN go build -o server .
    ```

    Use instead:
    ```dockerfile
    FROM golang:1.22-bookworm AS build
    WORKDIR /src
    COPY . .
    RUN go build -o /out/server .

    FROM gcr.io/distroless/static-debian12
    COPY --from=build /out/server /server
    ```
    """

    code = "FS204"
    name = "source-in-final-image"
    severity = Severity.ERROR
    groups = ("source", "content")
    subjects = ("category:source",)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        files = [f for f in ctx.files_of("source")
                 if not is_library_path(f.path) and not ctx.is_package_owned(f.path)]
        for group in ctx.per_layer(files):
            summary = ctx.summarize(group)
            artefact = _artefact_beside(ctx, {f.path.rpartition("/")[0] for f in group})
            beside = f" beside the built /{artefact}" if artefact else ""
            yield self.image_finding(
                f"source tree in the final image{beside} ({plural(summary.files, 'file')})",
                summary, fix_hint="copy only the built artefact (COPY --from=build) and keep "
                "sources out with .dockerignore")


def _artefact_beside(ctx: ImageContext, dirs: set[str]) -> str | None:
    """An unclassified executable regular file in one of ``dirs`` (the largest), if any;
    scripts (a ``#!`` line) are sources themselves, not built artefacts."""
    best: tuple[int, str] | None = None
    category_of = ctx.analysis.category_of
    scripts = ctx.analysis.shebangs
    for directory in sorted(dirs):
        for entry in ctx.tree.listdir(directory):
            is_artefact = (entry.kind == "f" and entry.mode & _EXEC
                           and entry.path not in category_of and entry.path not in scripts)
            if is_artefact and (best is None or entry.size > best[0]):
                best = (entry.size, entry.path)
    return best[1] if best else None
