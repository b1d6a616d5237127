"""FS303 unstripped-binary."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule
from finalstage.facts.image import FileRef, ImageContext
from finalstage.rules._helpers import plural


class UnstrippedBinary(ImageRule):
    """Unstripped ELF binaries in the final image

    ## What it does
    Reports ELF files that still carry a symbol table or DWARF debug sections, with the bytes
    `strip` would remove. It needs each binary's headers and section table (a few KiB, not the
    whole file): it runs when the image is examined with ELF analysis (`inspect --elf`);
    without it the rule finds nothing.

    ## Why is this bad?
    Debug information is for debuggers, not for production. It can double the size of a Go or
    Rust binary and hands reverse engineers the symbol names.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    RUN go build -o /out/app .
    FROM gcr.io/distroless/static-debian12
    COPY --from=build /out/app /app
    ```

    Use instead:
    ```dockerfile
    FROM golang:1.22 AS build
    RUN go build -trimpath -ldflags="-s -w" -o /out/app .
    FROM gcr.io/distroless/static-debian12
    COPY --from=build /out/app /app
    ```
    """

    code = "FS303"
    name = "unstripped-binary"
    severity = Severity.WARNING
    groups = ("size",)

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        elves = [e for e in ctx.analysis.unstripped if e.info.debug_bytes > 0]
        if not elves:
            return
        # Bytes are what strip would remove; paths are the binaries themselves.
        files = [FileRef(e.path, min(e.info.debug_bytes, e.size), e.layer) for e in elves]
        summary = ctx.summarize(files, roll_up=False)
        yield self.image_finding(
            f"{plural(len(elves), 'unstripped ELF file')} in the final image", summary,
            fix_hint="strip binaries when building them (go build -ldflags='-s -w', "
                     "cargo profile strip = true, strip --strip-unneeded)")
