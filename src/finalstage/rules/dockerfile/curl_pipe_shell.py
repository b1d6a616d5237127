"""FS116 curl-pipe-shell."""

from __future__ import annotations

import re
from collections.abc import Iterator

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.findings import Finding, Severity
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._base import InstructionRule
from finalstage.rules.dockerfile._query import run_text

# A download piped straight into an interpreter: `curl … | sh`, `wget -qO- … | sudo bash -s`.
_PIPE = re.compile(
    r"\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+\S+=\S+\s+)*"
    r"(/usr)?(/bin/)?(sh|bash|zsh|dash|ash|ksh|python3?|perl|ruby|node)\b")


class CurlPipeShell(InstructionRule):
    """Downloaded script piped into a shell in the final image

    ## What it does
    Reports a `RUN` in the final chain that pipes a download into an interpreter:
    `curl … | sh`, `wget -qO- … | bash`, `curl … | python3`.

    ## Why is this bad?
    The script runs unverified, with the build's privileges, and whatever it installs lands in
    the image that ships: an unreviewed installer in the final stage is both a supply-chain risk
    and a source of unexpected size. Pin and verify the download, or do it in a builder stage
    and copy the result.

    ## Example
    ```dockerfile
    FROM debian:12-slim
    RUN curl -fsSL https://example.com/install.sh | sh
    ```

    Use instead:
    ```dockerfile
    FROM debian:12-slim AS tools
    ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d \
        https://example.com/tool-1.2.tar.gz /tmp/tool.tar.gz
    RUN tar -xzf /tmp/tool.tar.gz -C /opt

    FROM debian:12-slim
    COPY --from=tools /opt/tool /opt/tool
    ```
    """

    code = "FS116"
    name = "curl-pipe-shell"
    severity = Severity.WARNING
    groups = ("supply-chain",)
    keywords = ("RUN",)

    def check_instruction(
        self, instr: Instruction, stage: Stage, ctx: DockerfileContext
    ) -> Iterator[Finding]:
        text = run_text(instr).replace("\\\n", " ")
        match = _PIPE.search(text)
        if match:
            yield self.finding(
                ctx, instr,
                f"{match.group(1)} output piped into {match.group(7)} in the final image",
                needle=match.group(1),
                fix_hint="download to a file, verify its checksum, then run it (or do it in a "
                         "builder stage)",
            )
