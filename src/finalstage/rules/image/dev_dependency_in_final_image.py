"""FS206 dev-dependency-in-final-image."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts.image import FileRef, ImageContext, Summary
from finalstage.analysis.packages.model import Package


_WHY = {"npm": "dev in package-lock.json", "pypi": "a development tool"}


class DevDependencyInFinalImage(ImageRule):
    """Development dependency in the final image

    ## What it does
    Reports, one finding per package, the development dependencies installed in the image:
    npm packages that the lockfile marks `"dev": true` (or that appear only in
    `devDependencies`) and Python development tools (pytest, mypy, black, ruff, coverage…).

    ## Why is this bad?
    Development dependencies (type checkers, test runners, formatters, bundlers) are not used by
    the running application. They often outweigh the application itself and widen the
    vulnerability surface with packages nobody audits for production.

    ## Example
    ```dockerfile
    FROM node:20-bookworm-slim
    COPY package.json package-lock.json ./
    RUN npm install
    ```

    Use instead:
    ```dockerfile
    FROM node:20-bookworm-slim
    COPY package.json package-lock.json ./
    RUN npm ci --omit=dev
    ```
    """

    code = "FS206"
    name = "dev-dependency-in-final-image"
    severity = Severity.ERROR
    groups = ("dev", "packages", "content")
    subjects = ("category:dev-dependency",)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        for package in sorted(ctx.analysis.dev_packages, key=lambda p: (p.ecosystem, p.name,
                                                                         p.location)):
            summary = _summary(ctx, package)
            why = _WHY.get(str(package.ecosystem), "a development dependency")
            yield self.image_finding(
                f"development dependency {package.name} {package.version} "
                f"({package.ecosystem}, {why}) in the final image",
                summary,
                fix_hint="install production dependencies only (npm ci --omit=dev, "
                         "pip install -r requirements.txt without the dev requirements)")


def _summary(ctx: ImageContext, package: Package) -> Summary:
    files = [ref for ref in (ctx.file(p) for p in package.files) if ref is not None]
    if files:
        return ctx.summarize(files)
    # npm records name no files: the package is its directory (where package.json sits).
    directory = package.location.rpartition("/")[0] or package.location
    ref = ctx.file(package.location)
    layer = ref.layer if ref is not None else (package.layers[-1] if package.layers else None)
    return Summary(package.bytes or 0, 1, ("/" + directory,), layer,
                   ctx.layer_created_by(layer))


__all__ = ["DevDependencyInFinalImage", "FileRef"]
