"""How well one history entry fits one instruction, and what a gap costs.

The scores feed the alignment (align.py): a pair that cannot be the same instruction scores
``NEG``; otherwise the more of the text agrees, the higher. The confidence of a match follows
from the text similarity alone.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Sequence
from functools import lru_cache

from finalstage.attribution.created_by import CreatedBy, norm, strip_run
from finalstage.attribution.model import Confidence
from finalstage.dockerfile.model import Instruction

# Instructions that (may) add a layer. WORKDIR adds one under BuildKit when it creates the
# directory; buildah and classic docker record it as an empty layer.
LAYER_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
NEG = float("-inf")
_MAX_COMPARE = 600  # characters; long scripts are compared by their start, which is enough


def skip_instruction(ins: Instruction) -> float:
    """The cost of an instruction with no history entry."""
    # Normal for ARG (BuildKit) and metadata (kaniko), suspicious for an instruction that must
    # have made a layer.
    if ins.keyword == "ARG":
        return 0.0
    return -1.5 if ins.keyword in LAYER_KEYWORDS else -0.2


def skip_history(entry: CreatedBy, is_empty: bool) -> float:
    """The cost of a history entry after the base that no instruction made (ONBUILD triggers,
    squash)."""
    return -1.0 if is_empty else -3.0


def match(entry: CreatedBy, is_empty: bool, ins: Instruction,
          workdir: str) -> tuple[float, Confidence]:
    """The score of pairing history ``entry`` with ``ins`` (``NEG``: impossible) and how sure
    that pairing is. ``workdir`` is the WORKDIR in effect at ``ins``."""
    keyword = ins.keyword
    if entry.keyword is None:
        # Only a classic exec-form RUN is written without a recognisable prefix.
        if keyword != "RUN":
            return NEG, Confidence.NONE
        sim = _similarity(entry.text, _run_text(ins))
        if sim < 0.5:
            return NEG, Confidence.NONE
        return 1.0 + 3.0 * sim, _confidence(sim)
    if entry.keyword != keyword:
        return NEG, Confidence.NONE
    if not is_empty and keyword not in LAYER_KEYWORDS and keyword != "WORKDIR":
        return NEG, Confidence.NONE
    penalty = 1.0 if is_empty and keyword in LAYER_KEYWORDS else 0.0
    if keyword == "RUN":
        sim = _similarity(entry.text, _run_text(ins))
    elif keyword in ("COPY", "ADD"):
        sim = _copy_similarity(entry, ins, workdir)
    else:
        sim = _similarity(entry.text, norm(" ".join(ins.raw_args or ins.args)))
        if entry.text == "" and keyword == "ARG":  # buildah writes `ARG ` for a bare ARG
            sim = 1.0
    return 2.0 + 3.0 * sim - penalty, _confidence(sim)


def workdirs(instructions: Sequence[Instruction]) -> list[str]:
    """The WORKDIR in effect at each instruction (relative COPY destinations resolve to it)."""
    current, out = "/", []
    for ins in instructions:
        out.append(current)
        if ins.keyword == "WORKDIR" and ins.args:
            current = posixpath.normpath(posixpath.join(current, ins.args[0]))
    return out


def _confidence(sim: float) -> Confidence:
    # High only for text that agrees once whitespace, shell prefix and build args are gone:
    # two `cp` lines differing by one character must not both look certain.
    return (Confidence.HIGH if sim >= 0.999 else
            Confidence.MEDIUM if sim >= 0.6 else Confidence.LOW)


def _copy_similarity(entry: CreatedBy, ins: Instruction, workdir: str) -> float:
    words = [w for w in (ins.raw_args or ins.args)]
    if not words:
        return 0.0
    dest = words[-1]
    if ins.heredocs and len(words) == 1:
        dest = words[0]
    if entry.dest is not None and _same_dest(entry.dest, dest, workdir):
        if entry.tool == "classic":
            return 1.0  # buildah/docker record only the destination: it is all there is
        full = norm(" ".join(words))
        return max(0.9, _similarity(entry.text, full))
    return 0.3 * _similarity(entry.text, norm(" ".join(words)))


def _same_dest(recorded: str, written: str, workdir: str) -> bool:
    def canon(path: str) -> str:
        if not path.startswith("/"):
            path = posixpath.join(workdir or "/", path)
        return posixpath.normpath(path)
    return recorded.rstrip("/") == written.rstrip("/") or canon(recorded) == canon(written)


def _run_text(ins: Instruction) -> str:
    if ins.is_json:
        return norm(" ".join(ins.raw_args or ins.args))
    parts = list(ins.raw_args or ins.args)
    parts.extend(doc.content for doc in ins.heredocs)
    return norm(strip_run(" ".join(parts)))


@lru_cache(maxsize=4096)
def _similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    a, b = a[:_MAX_COMPARE], b[:_MAX_COMPARE]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < 0.3 or matcher.quick_ratio() < 0.3:
        return 0.0
    return matcher.ratio()


__all__ = ["LAYER_KEYWORDS", "NEG", "match", "skip_history", "skip_instruction", "workdirs"]
