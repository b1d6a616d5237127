"""What a Dockerfile rule sees: the parsed file, its stage graph and the final chain.

Computed once per file and shared by every rule (``memo``), so huge files stay linear.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from finalstage.dockerfile.model import Dockerfile, Instruction, Stage
from finalstage.facts.context import BuildContext

_T = TypeVar("_T")


@dataclass(frozen=True)
class DockerfileContext:
    """What a Dockerfile rule sees: the parsed file and its stage graph."""

    dockerfile: Dockerfile
    path: str
    target: str | None = None            # the --target given, if any
    # The build context beside the Dockerfile (.dockerignore, secrets in copied files).
    build_context: BuildContext = field(default_factory=BuildContext)
    # Facts computed once per file and shared by rules (keeps huge files linear, not quadratic).
    _memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: Any, compute: Callable[[], _T]) -> _T:
        """``compute()`` once per context and ``key``."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def order(self, instr: Instruction) -> int:
        """Position of ``instr`` in the chain's build order (-1 when not in the chain)."""
        positions = self.memo("order", lambda: {
            id(i): n for n, i in enumerate(i for st in self.chain_stages() for i in st.instructions)
        })
        return positions.get(id(instr), -1)

    def chain_stages(self) -> tuple[Stage, ...]:
        """The final stage and every stage it is ``FROM``, oldest ancestor first."""
        return tuple(self.dockerfile.stages[i] for i in reversed(self.dockerfile.chain))

    @property
    def final_stage(self) -> Stage:
        return self.dockerfile.final_stage

    def stage(self, index: int) -> Stage:
        return self.dockerfile.stages[index]

    def needle_line(self, instr: Instruction, needle: str) -> int | None:
        """The first line of ``instr`` that contains ``needle``, if any."""
        lines = self.dockerfile.lines
        span = range(instr.line, min(instr.end_line, len(lines)) + 1)
        # Prefer a whole-word hit: "git" should not point at a line mentioning "github".
        word = re.compile(rf"(?<![\w.-]){re.escape(needle)}(?![\w-])")
        for number in span:
            if word.search(lines[number - 1]):
                return number
        for number in span:
            if needle in lines[number - 1]:
                return number
        return None

    def text_of(self, line: int, instr: Instruction) -> str:
        """Line ``line`` of the file, stripped (the instruction's text if out of range)."""
        lines = self.dockerfile.lines
        if 0 < line <= len(lines):
            return lines[line - 1].strip()
        return instr.original.splitlines()[0].strip() if instr.original else ""

    def instruction_start(self, line: int) -> int:
        """First line of the instruction that spans ``line`` (``line`` itself if none)."""
        spans = self.memo("spans", self._spans)
        at = bisect.bisect_right(spans, (line, float("inf"))) - 1
        if at >= 0 and spans[at][0] <= line <= spans[at][1]:
            return spans[at][0]
        return line

    def _spans(self) -> list[tuple[int, int]]:
        df = self.dockerfile
        out = [(i.line, i.end_line) for i in df.global_args]
        out += [(i.line, i.end_line) for st in df.stages for i in st.instructions]
        return sorted(out)


__all__ = ["DockerfileContext"]
