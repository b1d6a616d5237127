"""FS112 secret-file-copied."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.analysis.secrets import confirm_secret, path_secret, scan_tokens
from finalstage.rules.dockerfile._query import copy_sources, norm_path, unquote
from finalstage.rules.dockerfile._trees import graph

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
    Reports `COPY`/`ADD` into the final chain of files that hold credentials, judged by what is
    known of their content:

    - an error with content evidence: a context file (read from beside the Dockerfile) or a
      heredoc whose text holds a PEM private key or a token of a known provider format
      (AWS, GitHub, GitLab, Slack, Stripe, npm…), an `.npmrc`/`.pypirc`/`.env` with a value;
    - an error for a private key that a builder stage generated (`openssl genrsa`,
      `openssl req -newkey … -keyout`, `ssh-keygen -f`) and the final stage copies;
    - a warning for a file named like a secret (`.env`, `id_rsa`, `*.pem`, `*.key`, `*.p12`,
      `.npmrc`, `credentials.json`, `.aws/`, `.ssh/`…) whose content is unknown. A file that
      was read and holds none (a public certificate, a DNSSEC trust anchor) is not reported.

    ## Why is this bad?
    Everything in an image layer can be read by anyone who can pull the image, and deleting the
    file in a later instruction does not remove it from the earlier layer. Credentials belong in
    build secrets (`RUN --mount=type=secret`) or in the runtime environment; a key generated at
    build time is shared by every container of the image.

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
    Context files are read from the Dockerfile's directory; with another context (or a
    Dockerfile on standard input) their content is unknown and only the warning remains.
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
        if instr.heredocs:
            yield from self._heredoc(instr, ctx)
        elif instr.flag("from") is not None:
            yield from self._from_stage(instr, ctx)
        else:
            yield from self._from_context(instr, ctx)

    def _from_context(self, instr: Instruction, ctx: DockerfileContext) -> Iterator[Finding]:
        for src in copy_sources(instr):
            kinds = ctx.build_context.content_of(src)
            if kinds:
                yield self._evidence(ctx, instr, src, f"holds {', '.join(kinds)}")
            elif kinds is None and (hit := secret_source(src)):
                yield self._name_only(ctx, instr, src, hit)

    def _from_stage(self, instr: Instruction, ctx: DockerfileContext) -> Iterator[Finding]:
        keys = [t for t in graph(ctx).arrivals.get(id(instr), ()) if t.kind == "key"]
        for key in keys:
            builder = ctx.stage(key.stage).label
            yield self._evidence(
                ctx, instr, key.path, f"is a private key that `{key.detail}` generated in "
                f"stage {builder} (line {key.origin.line})", needle=None)
        if keys:
            return
        for src in copy_sources(instr):
            hit = secret_source(src)
            if hit:
                yield self._name_only(ctx, instr, src, hit)

    def _heredoc(self, instr: Instruction, ctx: DockerfileContext) -> Iterator[Finding]:
        dest = unquote(instr.args[-1]) if instr.args else ""
        for doc in instr.heredocs:
            kinds = set(scan_tokens(doc.content.encode("utf-8", "replace")))
            candidate = path_secret(norm_path(dest).lstrip("/"))
            if candidate is not None and candidate[1]:
                confirmed = confirm_secret(dest, candidate[0],
                                           doc.content.encode("utf-8", "replace"))
                kinds.update((confirmed,) if confirmed else ())
            if kinds:
                yield self._evidence(ctx, instr, dest, f"holds {', '.join(sorted(kinds))}",
                                     needle=None)
                return

    def _evidence(self, ctx: DockerfileContext, instr: Instruction, path: str, what: str,
                  needle: str | None = "") -> Finding:
        return self.finding(
            ctx, instr, f"{instr.keyword} puts {path} into the final image, and it {what}",
            needle=path if needle == "" else needle,
            fix_hint="use RUN --mount=type=secret at build time, or provide it at run time",
        )

    def _name_only(self, ctx: DockerfileContext, instr: Instruction, src: str,
                   hit: str) -> Finding:
        return self.finding(
            ctx, instr, f"{instr.keyword} puts secret-looking file {hit} into the final image "
            "(its content is unknown here)", needle=src, severity=Severity.WARNING,
            fix_hint="if it holds a credential, use RUN --mount=type=secret at build time or "
                     "provide it at run time",
        )
