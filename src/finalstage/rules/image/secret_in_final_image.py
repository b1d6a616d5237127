"""FS208 secret-in-final-image."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts.image import FileRef, ImageContext


class SecretInFinalImage(ImageRule):
    """Secret file in the final image

    ## What it does
    Reports files of the image that hold a secret: private keys, `.env` files, cloud and
    registry credentials (`.aws/credentials`, `.docker/config.json`, `.npmrc` with a token),
    tokens in configuration files. One finding per file, with its path and the kind of secret;
    the value is never read into a finding or printed.

    ## Why is this bad?
    Anyone who can pull the image can read every file in it, in every layer. A secret in an
    image is a leaked secret: rotate it, then keep it out of the build context.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY . /app
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    COPY app.py /app/
    # secrets at run time: environment from the orchestrator, or a mounted file
    # secrets at build time: RUN --mount=type=secret,id=token ...
    ```
    """

    code = "FS208"
    name = "secret-in-final-image"
    severity = Severity.ERROR
    groups = ("secrets", "content")
    subjects = ("category:secret",)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        for secret in sorted(ctx.analysis.secrets, key=lambda s: s.path):
            ref = ctx.file(secret.path) or FileRef(secret.path, 0, secret.layer)
            summary = ctx.summarize([FileRef(ref.path, ref.size, secret.layer)], roll_up=False)
            yield self.image_finding(
                f"{secret.kind} in the final image at /{secret.path}", summary,
                fix_hint="remove the file from the build context (.dockerignore), rotate the "
                         "secret, and pass secrets at run time or with RUN --mount=type=secret")
