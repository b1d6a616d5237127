"""FS207 cache-in-final-image."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts.image import ImageContext
from finalstage.rules._helpers import plural


class CacheInFinalImage(ImageRule):
    """Package or build cache in the final image

    ## What it does
    Reports caches left in the image: apt lists and archives (`/var/lib/apt/lists`,
    `/var/cache/apt`), apk/dnf/yum caches, pip/npm/yarn/pnpm caches, the Go build and module
    caches, Maven/Gradle/Cargo caches, downloaded `.deb`/`.rpm`/`.whl` files, tool caches such as
    `.pytest_cache` and `.mypy_cache`. One finding per layer, each with that layer's bytes and
    the Dockerfile line that made it (the `FROM` line for the base image's own leftovers).
    Files an OS package owns are that package's, not a cache someone forgot to clean.

    ## Why is this bad?
    A cache only speeds up the next install, which never happens in a running container. Left
    in a layer it ships to every host that pulls the image, and deleting it in a later layer
    does not help (the bytes stay in the earlier layer).

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y curl
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl \
        && rm -rf /var/lib/apt/lists/*
    ```
    """

    code = "FS207"
    name = "cache-in-final-image"
    severity = Severity.WARNING
    groups = ("cache", "size", "content")
    subjects = ("category:cache",)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        # A file an OS package owns (Debian's python-wheels for venv) is that package's, not
        # a download or build cache someone forgot to clean.
        files = [f for f in ctx.files_of("cache") if f.size > 0 and not ctx.is_os_owned(f.path)]
        for group in ctx.per_layer(files):  # each layer's cache is its own RUN's to clean
            summary = ctx.summarize(group)
            yield self.image_finding(
                f"caches in the final image ({plural(summary.files, 'file')})", summary,
                fix_hint="clean the cache in the same RUN that fills it, or use a cache mount "
                         "(RUN --mount=type=cache,target=...)")
