"""FS201 compiler-in-final-image."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts.image import ImageContext
from finalstage.rules._helpers import plural

# Toolchain names for the message, by a marker in the path (first match wins).
_TOOLCHAINS = (
    ("/go/", "Go toolchain"), ("/go-1", "Go toolchain"), ("bin/go", "Go toolchain"),
    ("gcc", "gcc"), ("cc1", "gcc"), ("bin/cc", "gcc"), ("bin/c++", "gcc"), ("bin/g++", "gcc"),
    ("clang", "clang/LLVM"), ("llvm", "clang/LLVM"),
    ("rust", "Rust toolchain"), ("cargo", "Rust toolchain"),
    ("javac", "JDK"), ("jmods", "JDK"), ("tools.jar", "JDK"), ("jlink", "JDK"),
    ("dotnet", ".NET SDK"), ("node-gyp", "node-gyp"), ("bin/tsc", "TypeScript compiler"),
)


def toolchains(paths: list[str]) -> list[str]:
    """The toolchain names the paths belong to, in first-seen order ("binutils" otherwise)."""
    found: list[str] = []
    for path in paths:
        probe = "/" + path
        name = next((label for marker, label in _TOOLCHAINS if marker in probe), "binutils")
        if name not in found:
            found.append(name)
    return found


class CompilerInFinalImage(ImageRule):
    """Compiler or toolchain in the final image

    ## What it does
    Reports compilers and toolchains present in the image: gcc/cc1/clang, the Go toolchain,
    rustc/cargo, a JDK (`javac`, `jmods`) rather than a JRE, a .NET SDK rather than the runtime,
    node-gyp, binutils. Links alone (a busybox applet named `ar`) carry no bytes and are not
    reported.

    ## Why is this bad?
    A runtime image runs an application that is already built. A toolchain adds hundreds of
    megabytes, lets an attacker build tools inside the container, and usually means the build
    stage *is* the final stage.

    ## Example
    ```dockerfile
    FROM golang:1.22-bookworm
    COPY . .
    RUN go build -o server .
    CMD ["./server"]
    ```

    Use instead:
    ```dockerfile
    FROM golang:1.22-bookworm AS build
    COPY . .
    RUN CGO_ENABLED=0 go build -o /out/server .

    FROM gcr.io/distroless/static-debian12
    COPY --from=build /out/server /server
    ENTRYPOINT ["/server"]
    ```
    """

    code = "FS201"
    name = "compiler-in-final-image"
    severity = Severity.ERROR
    groups = ("toolchain", "content")
    subjects = ("category:compiler",)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        files = [f for f in ctx.files_of("compiler") if f.size > 0]
        for group in ctx.per_layer(files):  # the base's toolchain is the FROM line's
            summary = ctx.summarize(group)
            ranked = sorted(group, key=lambda f: -f.size)
            names = ", ".join(toolchains([f.path for f in ranked]))
            yield self.image_finding(
                f"compilers and toolchains in the final image: {names} "
                f"({plural(summary.files, 'file')})", summary,
                fix_hint="build in a separate stage and copy only the built artefact into a "
                         "runtime base (distroless, -slim, a JRE or ASP.NET runtime image)")
