"""FS202 build-tool-in-final-image."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts.image import FileRef, ImageContext
from finalstage.rules._helpers import plural

_PYTHON_SITE = ("/site-packages/", "/dist-packages/")


class BuildToolInFinalImage(ImageRule):
    """Build tool in the final image

    ## What it does
    Reports build tools present in the image: make, cmake, ninja, meson, autotools, pkg-config,
    Maven and Gradle (and `~/.m2`, `~/.gradle`), bison/flex. Python packaging backends in a
    `site-packages` (setuptools, wheel, `pkg_resources`) are reported in a separate finding with
    severity `warning`, because `python -m venv` and `ensurepip` install them by default and
    some runtime code still imports `pkg_resources`.

    ## Why is this bad?
    Build tools are only needed to build the application; in the runtime image they are dead
    weight and extra attack surface, and they show that the build and runtime stages were not
    separated.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y make cmake g++
    COPY . /src
    RUN make -C /src install
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm AS build
    RUN apt-get update && apt-get install -y make cmake g++
    COPY . /src
    RUN make -C /src install DESTDIR=/out

    FROM debian:bookworm-slim
    COPY --from=build /out/ /
    ```

    ## Known problems
    A tool the application really runs at start-up (a `make`-driven entrypoint) is reported
    too: suppress the rule for that image (`ignore = ["FS202"]`).
    """

    code = "FS202"
    name = "build-tool-in-final-image"
    severity = Severity.ERROR
    groups = ("toolchain", "content")
    subjects = ("category:build-tool",)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        native: list[FileRef] = []
        python: list[FileRef] = []
        for f in ctx.files_of("build-tool"):
            if f.size <= 0:
                continue
            (python if any(m in "/" + f.path for m in _PYTHON_SITE) else native).append(f)
        hint = "run the build in an earlier stage and copy only its output"
        for group in ctx.per_layer(native):
            summary = ctx.summarize(group)
            yield self.image_finding(
                f"build tools in the final image ({plural(summary.files, 'file')})", summary,
                fix_hint=hint)
        for group in ctx.per_layer(python):
            summary = ctx.summarize(group)
            yield self.image_finding(
                f"python packaging tools in the final image ({plural(summary.files, 'file')})",
                summary, fix_hint="create the virtualenv with --without-pip in the runtime "
                "stage or uninstall setuptools/wheel after installing the requirements",
                severity=Severity.WARNING)
