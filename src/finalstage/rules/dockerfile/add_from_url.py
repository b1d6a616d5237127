"""FS115 add-from-url."""

from __future__ import annotations

from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules.dockerfile._query import copy_sources


class AddFromUrl(InstructionRule):
    """Remote URL added to the final image without a checksum

    ## What it does
    Reports `ADD https://…` (and `ADD git@…`) in the final chain without `--checksum=sha256:…`.

    ## Why is this bad?
    The downloaded bytes are whatever the server returns at build time: nothing verifies them,
    so a compromised or changed download goes straight into the image that runs. Archives added
    from a URL are not even unpacked, so they usually need a later `RUN` that leaves the archive
    in an earlier layer.

    ## Example
    ```dockerfile
    FROM debian:12-slim
    ADD https://example.com/tool-1.2.tar.gz /opt/
    ```

    Use instead:
    ```dockerfile
    FROM debian:12-slim
    ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d \
        https://example.com/tool-1.2.tar.gz /opt/
    ```

    ## References
    - [Docker docs: ADD --checksum](https://docs.docker.com/reference/dockerfile/#add---checksum)
    """

    code = "FS115"
    name = "add-from-url"
    severity = Severity.WARNING
    groups = ("supply-chain",)
    keywords = ("ADD",)

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        if instr.flag("checksum"):
            return
        for src in copy_sources(instr):
            if src.startswith(("http://", "https://", "git@", "git://")):
                yield self.finding(
                    ctx, instr, f"ADD downloads {src} without a checksum", needle=src,
                    fix_hint="add --checksum=sha256:<digest>, or download and verify in a "
                             "builder stage",
                )
                return
