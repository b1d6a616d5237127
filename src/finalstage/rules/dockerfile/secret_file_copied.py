"""FS112 secret-file-copied."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules.dockerfile._query import copy_sources, norm_path

_SECRET_FILES = (".env", ".env.*", "*.env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
                 "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", ".npmrc", ".pypirc",
                 ".netrc", ".git-credentials", "credentials", "credentials.json",
                 "service-account*.json", "*.kubeconfig", "kubeconfig", ".htpasswd",
                 "secrets.yml", "secrets.yaml", "secrets.json", "master.key")
_SECRET_DIRS = {".aws", ".ssh", ".gnupg", ".docker", ".kube", "secrets"}
# Templates are meant to be copied: they hold no values.
_TEMPLATES = (".example", ".sample", ".dist", ".template", ".tmpl", ".defaults", ".default")


def secret_source(src: str) -> str | None:
    """The secret-looking part of a COPY source path, or None."""
    parts = [p for p in norm_path(src).split("/") if p not in ("", ".")]
    for part in parts:
        if part.lower() in _SECRET_DIRS:
            return part + "/"
    if not parts:
        return None
    last = parts[-1]
    if last.lower().endswith(_TEMPLATES) or last.lower().startswith(("example", "sample")):
        return None
    for pattern in _SECRET_FILES:
        if fnmatch.fnmatch(last.lower(), pattern):
            return last
    return None


class SecretFileCopied(InstructionRule):
    """Secret file copied into the final image

    ## What it does
    Reports `COPY`/`ADD` into the final chain of files that usually hold credentials: `.env`,
    SSH keys (`id_rsa`, `id_ed25519`), `*.pem`, `*.key`, `*.p12`, `.npmrc`, `.pypirc`,
    `.netrc`, `credentials.json`, `master.key`, and directories such as `.aws/`, `.ssh/`,
    `.docker/`, `.kube/`.

    ## Why is this bad?
    Everything in an image layer can be read by anyone who can pull the image, and deleting the
    file in a later instruction does not remove it from the earlier layer. Credentials belong in
    build secrets (`RUN --mount=type=secret`) or in the runtime environment.

    ## Example
    ```dockerfile
    FROM node:22-slim
    COPY .npmrc package.json package-lock.json ./
    RUN npm ci --omit=dev
    ```

    Use instead:
    ```dockerfile
    FROM node:22-slim
    COPY package.json package-lock.json ./
    RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci --omit=dev
    ```

    ## Known problems
    A public certificate named `*.pem` is reported too; suppress it with a pragma and a reason.
    Templates (`.env.example`, `*.sample`, `*.dist`) are not reported.
    """

    code = "FS112"
    name = "secret-file-copied"
    severity = Severity.ERROR
    groups = ("secrets", "copy")
    subjects = ("category:secret",)
    keywords = ("COPY", "ADD")

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        for src in copy_sources(instr):
            hit = secret_source(src)
            if hit:
                yield self.finding(
                    ctx, instr, f"{instr.keyword} puts secret-looking file {hit} into the final image",
                    needle=src,
                    fix_hint="use RUN --mount=type=secret at build time, or provide it at run time",
                )
