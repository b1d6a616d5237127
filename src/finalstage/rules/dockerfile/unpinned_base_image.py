"""FS102 unpinned-base-image."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import DockerfileRule
from finalstage.rules.dockerfile._query import parse_ref


class UnpinnedBaseImage(DockerfileRule):
    """Final image based on an image with no tag or the `latest` tag

    ## What it does
    Checks the image the final chain starts `FROM`, and images the chain copies from with
    `COPY --from=<image>`, for a missing tag or the `latest` tag. A digest (`@sha256:…`) counts
    as pinned; `scratch` needs no pin.

    ## Why is this bad?
    `latest` moves: the same Dockerfile builds a different final image next week, with a new
    major version of the OS or runtime, and a rebuild can break or grow without any change in
    the repository. The final image is the one that runs, so it should be reproducible.

    ## Example
    ```dockerfile
    FROM alpine
    COPY --from=build /out/app /app
    ```

    Use instead:
    ```dockerfile
    FROM alpine:3.20
    COPY --from=build /out/app /app
    ```

    ## References
    - [Docker docs: image tags and digests](https://docs.docker.com/reference/dockerfile/#from)
    """

    code = "FS102"
    name = "unpinned-base-image"
    severity = Severity.WARNING
    groups = ("base-image",)

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        for stage in ctx.chain_stages():
            if stage.parent is None:
                problem = _problem(stage.base)
                if problem:
                    yield self.finding(
                        ctx, stage.from_instruction, f"base image {stage.base} {problem}",
                        fix_hint="pin a version tag (alpine:3.20) or a digest (@sha256:…)",
                    )
            for instr in stage.instructions:
                source = instr.flag("from") if instr.keyword in ("COPY", "ADD") else None
                if source and source in stage.external_refs:
                    problem = _problem(source)
                    if problem:
                        yield self.finding(
                            ctx, instr, f"COPY --from image {source} {problem}", needle=source,
                            fix_hint="pin a version tag or a digest on the --from image",
                        )


def _problem(reference: str) -> str | None:
    ref = parse_ref(reference)
    if not ref.is_resolved or ref.repository == "scratch" or ref.digest:
        return None
    if ref.tag is None:
        return "has no tag (it means latest)"
    if ref.tag.lower() == "latest":
        return "uses the moving latest tag"
    return None
