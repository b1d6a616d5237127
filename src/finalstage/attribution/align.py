"""Aligning the history entries with the instructions of the final chain.

A semi-global alignment (Needleman-Wunsch with a free leading gap in the history: the base
image) over the scores of scoring.py, then a pass that trusts exact text over order where a
Dockerfile was edited after the build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from finalstage.attribution.created_by import CreatedBy
from finalstage.attribution.model import Confidence
from finalstage.attribution.scoring import NEG, match, skip_history, skip_instruction
from finalstage.dockerfile.model import Instruction

Matches = dict[int, tuple[Instruction, Confidence]]
"""History index → (instruction, confidence)."""


@dataclass(frozen=True)
class _Problem:
    """Both sequences of one alignment, with what scoring needs of each."""

    parsed: Sequence[CreatedBy]
    empty: Sequence[bool]
    instructions: Sequence[Instruction]
    workdirs: Sequence[str]

    def pair(self, h: int, j: int) -> tuple[float, Confidence]:
        """Score and confidence of history entry ``h`` with instruction ``j``."""
        return match(self.parsed[h], self.empty[h], self.instructions[j], self.workdirs[j])


def align(
    parsed: Sequence[CreatedBy],
    empty: Sequence[bool],
    instructions: Sequence[Instruction],
    workdirs: Sequence[str],
) -> tuple[int, Matches]:
    """How many leading history entries are the base image's, and history → instruction."""
    problem = _Problem(parsed, empty, instructions, workdirs)
    move = _moves(problem)
    base_count, matches = _trace_back(problem, move)
    _prefer_exact_text(problem, matches)
    return base_count, matches


def _moves(p: _Problem) -> list[list[str]]:
    """Fill the score table; return for each cell the move that reached it best."""
    n, m = len(p.parsed), len(p.instructions)
    score = [[NEG] * (m + 1) for _ in range(n + 1)]
    move = [[""] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        score[i][0], move[i][0] = 0.0, "base"          # any prefix of the history may be base
    for j in range(1, m + 1):
        score[0][j] = score[0][j - 1] + skip_instruction(p.instructions[j - 1])
        move[0][j] = "skip_i"
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best, how = NEG, ""
            pair = p.pair(i - 1, j - 1)[0]
            if pair != NEG and score[i - 1][j - 1] != NEG:
                best, how = score[i - 1][j - 1] + pair, "match"
            gap_h = score[i - 1][j] + skip_history(p.parsed[i - 1], p.empty[i - 1])
            if gap_h > best:
                best, how = gap_h, "skip_h"
            gap_i = score[i][j - 1] + skip_instruction(p.instructions[j - 1])
            if gap_i > best:
                best, how = gap_i, "skip_i"
            score[i][j], move[i][j] = best, how
    return move


def _trace_back(p: _Problem, move: list[list[str]]) -> tuple[int, Matches]:
    """Follow the moves back from the last cell: the matches, and where the base ends."""
    matches: Matches = {}
    i, j = len(p.parsed), len(p.instructions)
    while i > 0 and j > 0:
        how = move[i][j]
        if how == "match":
            matches[i - 1] = (p.instructions[j - 1], p.pair(i - 1, j - 1)[1])
            i, j = i - 1, j - 1
        elif how == "skip_h":
            i -= 1
        elif how == "skip_i":
            j -= 1
        else:  # "base": everything above is the base image's history
            break
    return i, matches


def _prefer_exact_text(p: _Problem, matches: Matches) -> None:
    """Order alignment cannot follow lines that moved since the build (a Dockerfile edited
    after the image was made). Where an entry matched only approximately by order and exactly
    one instruction of the chain has its exact text, and no other entry claims that instruction
    exactly, trust the text: medium confidence, since order and text disagree."""
    exact_owner: dict[int, int] = {}
    for h, (ins, confidence) in matches.items():
        if confidence == Confidence.HIGH:
            exact_owner[id(ins)] = h
    for h, (ins, confidence) in list(matches.items()):
        if confidence == Confidence.HIGH:
            continue
        exact = [j for j in range(len(p.instructions))
                 if p.pair(h, j)[1] == Confidence.HIGH]
        if len(exact) == 1 and id(p.instructions[exact[0]]) not in exact_owner:
            matches[h] = (p.instructions[exact[0]], Confidence.MEDIUM)
            exact_owner[id(p.instructions[exact[0]])] = h


__all__ = ["Matches", "align"]
