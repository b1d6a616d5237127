"""FS101 sdk-base-image."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import DockerfileRule, Option
from finalstage.rules.dockerfile._query import ImageRef, chain_root, parse_ref, via

# Repositories (last path component or full path) that exist to build software.
_ALWAYS_SDK = {
    "golang", "rust", "maven", "gradle", "buildpack-deps", "gcc", "sbt", "haskell", "swift",
    "emsdk", "tinygo", "composer", "go-toolset", "dotnet/sdk", "dotnet/core/sdk", "devcontainers",
    "mcr.microsoft.com/oss/go/microsoft/golang", "cimg", "circleci", "clojure", "crystal",
    "elixir", "ghc", "mono", "julia",
}
# Runtimes with a full (SDK-like: compilers, headers, VCS) default variant and a slim one.
_SLIM_VARIANTS = {"python", "node", "ruby", "perl", "erlang"}
_SLIM_WORDS = ("slim", "alpine", "distroless", "chiseled", "minimal", "micro", "nanoserver")
_JDK_REPOS = {"openjdk", "eclipse-temurin", "amazoncorretto", "ibm-semeru-runtimes", "sapmachine",
              "azul/zulu-openjdk", "bellsoft/liberica-openjdk-debian", "ibmjava"}


def sdk_reason(ref: ImageRef) -> str | None:
    """Why ``ref`` is a build image, or None when it is a runtime image."""
    tag = (ref.tag or "latest").lower()
    repo, last = ref.repository, ref.last
    parts = set(re.split(r"[-_.]", tag))
    if parts & {"devel", "sdk", "dev", "builder"}:
        return f"its tag {tag!r} is a development variant"
    for sdk in _ALWAYS_SDK:
        if repo == sdk or last == sdk or repo.endswith("/" + sdk) or (
                "/" in sdk and f"{ref.registry or ''}/{repo}".endswith(sdk)):
            return f"{last} is a build image"
        if repo.startswith(sdk + "/"):
            return f"{sdk} is a build image"
    if repo in _JDK_REPOS or last in {"openjdk", "eclipse-temurin", "amazoncorretto"}:
        if "jre" not in tag and "jre" not in repo:
            return f"{last}:{tag} is a JDK, not a JRE"
        return None
    if last in _SLIM_VARIANTS and "/" not in repo and not any(w in tag for w in _SLIM_WORDS):
        return f"{last}:{tag} is the full variant (compilers, headers, git); a -slim one exists"
    return None


class SdkBaseImage(DockerfileRule):
    """Final image based on a build or SDK image

    ## What it does
    Checks the image the final stage is built on, following `FROM <stage>` back to the image
    and expanding `ARG`s: a compiler toolchain (`golang`, `rust`, `maven`, `gradle`, `gcc`,
    `mcr.microsoft.com/dotnet/sdk`, `buildpack-deps`…), a JDK where a JRE would do, a
    `*-devel` tag, or the full variant of `python`, `node`, `ruby` where `-slim` exists.

    ## Why is this bad?
    The final stage is what ships and runs. A build image carries compilers, headers, package
    managers and version control: hundreds of megabytes that the application does not need at
    run time, and a larger attack surface. Build in an earlier stage, copy the result into a
    runtime base.

    ## Example
    ```dockerfile
    FROM golang:1.22
    WORKDIR /src
    COPY . .
    RUN go build -o /app .
    ENTRYPOINT ["/app"]
    ```

    Use instead:
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /app .

    FROM gcr.io/distroless/static-debian12
    COPY --from=build /app /app
    ENTRYPOINT ["/app"]
    ```

    ## Known problems
    A Dockerfile whose last stage is a development container on purpose (a devcontainer, a CI
    tool image) is reported too: select the production stage with `--target`, or suppress with
    `# finalstage: ignore=FS101 # reason`. `php:*-cli` images are the PHP runtime, not an SDK,
    and are not reported.

    ## Options
    - `extra-images`: more repositories (glob patterns on the repository path, such as
      `mycorp/builder*`) to treat as build images.
    - `allowed-images`: repositories (glob patterns) never reported.
    """

    code = "FS101"
    name = "sdk-base-image"
    severity = Severity.ERROR
    groups = ("base-image",)
    subjects = ("category:compiler", "category:build-tool")
    options: ClassVar[Mapping[str, Option]] = {
        "extra-images": Option((), "Repository globs treated as build images"),
        "allowed-images": Option((), "Repository globs never reported"),
    }

    def check(self, ctx: DockerfileContext) -> Iterator[Finding]:
        root = chain_root(ctx)
        if root.parent is not None:
            return
        ref = parse_ref(root.base)
        if not ref.is_resolved or ref.repository == "scratch":
            return
        full = f"{ref.registry}/{ref.repository}" if ref.registry else ref.repository
        if any(fnmatch.fnmatch(full, g) or fnmatch.fnmatch(ref.repository, g)
               for g in self.settings["allowed-images"]):
            return
        reason = sdk_reason(ref)
        if reason is None and any(fnmatch.fnmatch(full, g) or fnmatch.fnmatch(ref.repository, g)
                                  for g in self.settings["extra-images"]):
            reason = f"{ref.repository} is configured as a build image"
        if reason is None:
            return
        yield self.finding(
            ctx,
            root.from_instruction,
            f"final image is built on {root.base}{via(ctx)}: {reason}",
            fix_hint="build in an earlier stage and COPY --from it into a runtime base "
                     "(distroless, -slim, alpine, a JRE, dotnet/runtime or aspnet)",
            stage=ctx.final_stage,
        )
