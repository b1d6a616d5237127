"""Attribution: which Dockerfile instruction made each layer of an image.

Two steps, each its own function:

1. ``layer_history``: layer *i* ↔ the *i*-th history entry that is not ``empty_layer`` (the
   OCI image spec's rule, which ggcr and dive follow).
2. ``attribute``: history entries ↔ the instructions of the Dockerfile's final chain (the final
   stage and the stages it is ``FROM``), by a global alignment that uses the **order** of both
   sequences and the **text** of each ``created_by`` (as BuildKit, buildah/podman, classic
   docker and kaniko write it, see ``parse_created_by``). The history entries before the
   alignment are the base image's: their layers are attributed to the ``FROM`` line of the
   chain's root stage.

Each match says how sure it is (``Confidence``): order and text agree → high; the instruction
kind agrees but the text only partly → medium; only the order fits → low.
"""

from __future__ import annotations

import difflib
import enum
import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from finalstage.dockerfile.model import Dockerfile, Instruction
from finalstage.findings import Location

# Instructions that (may) add a layer. WORKDIR adds one under BuildKit when it creates the
# directory; buildah and classic docker record it as an empty layer.
LAYER_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_KEYWORDS = frozenset({
    "RUN", "COPY", "ADD", "ENV", "LABEL", "WORKDIR", "USER", "CMD", "ENTRYPOINT", "EXPOSE",
    "VOLUME", "ARG", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD", "MAINTAINER",
})
_BUILDKIT_SUFFIX = re.compile(r"\s*#\s*buildkit\s*$")
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
# `|2 A=1 B=2 /bin/sh -c …`: the build args a RUN saw (classic docker, buildah, BuildKit).
_ARGS_PREFIX = re.compile(r"^\|(\d+)\s+")
_SHELL_PREFIX = re.compile(r"^(?:/bin/sh|/bin/bash|sh|bash|/bin/ash)\s+-c\s+|^cmd\s+/S\s+/C\s+")
# RUN flags buildah keeps in created_by and BuildKit drops (`--mount=…`, `--network=…`).
_RUN_FLAG = re.compile(r"^--(?:mount|network|security)=\S*\s*")
_COPY_SOURCE = re.compile(r"^(?:file|dir|multi):[0-9a-f]{64}\s+in\s+")
_SPACE = re.compile(r"\s+")
_CONTINUATION = re.compile(r"\\\r?\n")
_MAX_COMPARE = 600  # characters; long scripts are compared by their start, which is enough


class Confidence(enum.StrEnum):
    """How sure an attribution is."""

    HIGH = "high"      # order and text agree
    MEDIUM = "medium"  # order and instruction kind agree, text only partly
    LOW = "low"        # order only
    NONE = "none"      # no Dockerfile, or nothing fits


@dataclass(frozen=True)
class CreatedBy:
    """A ``created_by`` string taken apart: which instruction kind, and its comparable text."""

    keyword: str | None       # "RUN", "COPY", … or None when the writer cannot be told
    text: str                 # the command (RUN) or the arguments, whitespace collapsed
    dest: str | None = None   # COPY/ADD destination as recorded
    tool: str = "unknown"     # "buildkit" | "classic" (docker ≤ 22, buildah, podman) | "kaniko"


@dataclass(frozen=True)
class LayerAttribution:
    """One layer, its history entry, and the instruction that made it."""

    layer: int                          # index in the image's layers, oldest first
    history: int | None                 # index in config.history, None when missing
    created_by: str | None
    instruction: Instruction | None = None
    is_base: bool = False               # from the base image: attributed to the root FROM line
    confidence: Confidence = Confidence.NONE
    file: str | None = None             # the Dockerfile path, when there is one

    @property
    def location(self) -> Location | None:
        """Where in the Dockerfile this layer comes from, if known."""
        if self.instruction is None or self.file is None:
            return None
        ins = self.instruction
        return Location(self.file, ins.line, 1, ins.end_line, None)


@dataclass(frozen=True)
class Attribution:
    """Every layer's attribution; ``history_instructions`` maps history index → instruction."""

    layers: tuple[LayerAttribution, ...]
    history_instructions: Mapping[int, Instruction]
    base_history: int                   # number of history entries that belong to the base
    file: str | None = None

    def for_layer(self, index: int) -> LayerAttribution | None:
        """The attribution of layer ``index`` (None when out of range)."""
        if 0 <= index < len(self.layers):
            return self.layers[index]
        return None


def parse_created_by(created_by: str) -> CreatedBy:
    """Take apart a history ``created_by`` as written by BuildKit, buildah/podman, docker, kaniko.

    >>> parse_created_by("RUN /bin/sh -c apk add gcc # buildkit").text
    'apk add gcc'
    >>> parse_created_by("/bin/sh -c #(nop) COPY file:" + "0" * 64 + " in /app ").dest
    '/app'
    """
    text = created_by.strip()
    if _BUILDKIT_SUFFIX.search(text):
        body = _BUILDKIT_SUFFIX.sub("", text)
        keyword, _, rest = body.partition(" ")
        keyword = keyword.upper()
        if keyword not in _KEYWORDS:
            return CreatedBy(None, _norm(body), tool="buildkit")
        if keyword == "RUN":
            return CreatedBy("RUN", _norm(_strip_run(rest)), tool="buildkit")
        if keyword in ("COPY", "ADD"):
            words = _strip_flags(rest)
            return CreatedBy(keyword, _norm(words), dest=_last_word(words), tool="buildkit")
        return CreatedBy(keyword, _norm(rest), tool="buildkit")
    nop = _NOP.match(text)
    if nop:  # classic docker, buildah, podman: metadata and COPY/ADD
        body = text[nop.end():]
        keyword, _, rest = body.partition(" ")
        keyword = keyword.upper()
        if keyword in ("COPY", "ADD"):
            rest = _strip_flags(rest.strip())
            dest = _COPY_SOURCE.sub("", rest).strip()
            return CreatedBy(keyword, _norm(dest), dest=dest, tool="classic")
        return CreatedBy(keyword if keyword in _KEYWORDS else None, _norm(rest), tool="classic")
    if _ARGS_PREFIX.match(text) or _SHELL_PREFIX.match(text):
        return CreatedBy("RUN", _norm(_strip_run(text)), tool="classic")
    keyword, _, rest = text.partition(" ")
    if keyword in _KEYWORDS:  # kaniko: the instruction as written, upper-case keyword
        if keyword in ("COPY", "ADD"):
            words = _strip_flags(rest)
            return CreatedBy(keyword, _norm(words), dest=_last_word(words), tool="kaniko")
        if keyword == "RUN":
            return CreatedBy("RUN", _norm(_strip_run(rest)), tool="kaniko")
        return CreatedBy(keyword, _norm(rest), tool="kaniko")
    # Classic docker records an exec-form RUN as the bare argv joined by spaces.
    return CreatedBy(None, _norm(text))


def layer_history(history: Sequence[Mapping[str, Any]], layer_count: int) -> list[int | None]:
    """For each layer (oldest first), the index of its history entry, or None.

    The *i*-th non-empty history entry describes the *i*-th layer. When the counts disagree
    (hand-edited configs, some exporters), the newest ones are aligned, since those are the
    layers the Dockerfile made and the ones findings point at.
    """
    producing = [i for i, h in enumerate(history)
                 if isinstance(h, Mapping) and not h.get("empty_layer")]
    if len(producing) >= layer_count:
        return list(producing[len(producing) - layer_count:])
    missing = layer_count - len(producing)
    return [None] * missing + list(producing)


def attribute(
    history: Sequence[Mapping[str, Any]],
    layer_count: int,
    dockerfile: Dockerfile | None = None,
) -> Attribution:
    """Attribute every layer to its history entry and, given the Dockerfile, to its instruction.

    ``history`` is the image config's ``history`` list; ``dockerfile`` the model loaded with the
    same build args and target the image was built with.
    """
    history = [h if isinstance(h, Mapping) else {} for h in history]
    per_layer = layer_history(history, layer_count)
    if dockerfile is None:
        layers = tuple(
            LayerAttribution(i, h, _created_by(history, h)) for i, h in enumerate(per_layer))
        return Attribution(layers, {}, 0)

    instructions = [ins for ins in dockerfile.chain_instructions()
                    if ins.keyword not in ("FROM", "ONBUILD")]
    root = dockerfile.stages[dockerfile.chain[-1]].from_instruction
    parsed = [parse_created_by(str(h.get("created_by") or "")) for h in history]
    empty = [bool(h.get("empty_layer")) for h in history]
    base_count, matches = _align(parsed, empty, instructions, _workdirs(instructions))

    tail_layers = [h for h in per_layer if h is not None and h >= base_count]
    tail_ok = all(h in matches and matches[h][1] != Confidence.LOW for h in tail_layers)
    base_confidence = (Confidence.HIGH if tail_ok and tail_layers
                       else Confidence.MEDIUM if matches else Confidence.LOW)
    if base_count and not tail_layers and not matches:
        base_confidence = Confidence.LOW
    out = []
    for i, h in enumerate(per_layer):
        created = _created_by(history, h)
        if h is None:
            out.append(LayerAttribution(i, None, None, file=dockerfile.path))
        elif h < base_count:
            out.append(LayerAttribution(i, h, created, root, True, base_confidence,
                                        dockerfile.path))
        elif h in matches:
            ins, confidence = matches[h]
            out.append(LayerAttribution(i, h, created, ins, False, confidence, dockerfile.path))
        else:
            out.append(LayerAttribution(i, h, created, file=dockerfile.path))
    return Attribution(tuple(out), {h: m[0] for h, m in matches.items()}, base_count,
                       dockerfile.path)


# -- alignment ----------------------------------------------------------------------------

_NEG = float("-inf")


def _align(
    parsed: Sequence[CreatedBy],
    empty: Sequence[bool],
    instructions: Sequence[Instruction],
    workdirs: Sequence[str],
) -> tuple[int, dict[int, tuple[Instruction, Confidence]]]:
    """Semi-global alignment (Needleman-Wunsch with a free leading gap in the history: the base
    image). Returns how many leading history entries are the base, and history → instruction."""
    n, m = len(parsed), len(instructions)
    score = [[_NEG] * (m + 1) for _ in range(n + 1)]
    move = [[""] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        score[i][0], move[i][0] = 0.0, "base"          # any prefix of the history may be base
    for j in range(1, m + 1):
        score[0][j] = score[0][j - 1] + _skip_instruction(instructions[j - 1])
        move[0][j] = "skip_i"
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best, how = _NEG, ""
            pair = _match(parsed[i - 1], empty[i - 1], instructions[j - 1], workdirs[j - 1])[0]
            if pair != _NEG and score[i - 1][j - 1] != _NEG:
                best, how = score[i - 1][j - 1] + pair, "match"
            gap_h = score[i - 1][j] + _skip_history(parsed[i - 1], empty[i - 1])
            if gap_h > best:
                best, how = gap_h, "skip_h"
            gap_i = score[i][j - 1] + _skip_instruction(instructions[j - 1])
            if gap_i > best:
                best, how = gap_i, "skip_i"
            score[i][j], move[i][j] = best, how
    matches: dict[int, tuple[Instruction, Confidence]] = {}
    i, j = n, m
    while i > 0 and j > 0:
        how = move[i][j]
        if how == "match":
            ins = instructions[j - 1]
            matches[i - 1] = (ins, _match(parsed[i - 1], empty[i - 1], ins, workdirs[j - 1])[1])
            i, j = i - 1, j - 1
        elif how == "skip_h":
            i -= 1
        elif how == "skip_i":
            j -= 1
        else:  # "base": everything above is the base image's history
            break
    _prefer_exact_text(parsed, empty, instructions, workdirs, matches)
    return i, matches


def _prefer_exact_text(
    parsed: Sequence[CreatedBy],
    empty: Sequence[bool],
    instructions: Sequence[Instruction],
    workdirs: Sequence[str],
    matches: dict[int, tuple[Instruction, Confidence]],
) -> None:
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
        exact = [j for j, other in enumerate(instructions)
                 if _match(parsed[h], empty[h], other, workdirs[j])[1] == Confidence.HIGH]
        if len(exact) == 1 and id(instructions[exact[0]]) not in exact_owner:
            matches[h] = (instructions[exact[0]], Confidence.MEDIUM)
            exact_owner[id(instructions[exact[0]])] = h


def _skip_instruction(ins: Instruction) -> float:
    # An instruction with no history entry: normal for ARG (BuildKit) and metadata (kaniko),
    # suspicious for an instruction that must have made a layer.
    if ins.keyword == "ARG":
        return 0.0
    return -1.5 if ins.keyword in LAYER_KEYWORDS else -0.2


def _skip_history(entry: CreatedBy, is_empty: bool) -> float:
    # A history entry after the base that no instruction made (ONBUILD triggers, squash).
    return -1.0 if is_empty else -3.0


def _match(entry: CreatedBy, is_empty: bool, ins: Instruction,
           workdir: str) -> tuple[float, Confidence]:
    keyword = ins.keyword
    if entry.keyword is None:
        # Only a classic exec-form RUN is written without a recognisable prefix.
        if keyword != "RUN":
            return _NEG, Confidence.NONE
        sim = _similarity(entry.text, _run_text(ins))
        if sim < 0.5:
            return _NEG, Confidence.NONE
        return 1.0 + 3.0 * sim, _confidence(sim)
    if entry.keyword != keyword:
        return _NEG, Confidence.NONE
    if not is_empty and keyword not in LAYER_KEYWORDS and keyword != "WORKDIR":
        return _NEG, Confidence.NONE
    penalty = 1.0 if is_empty and keyword in LAYER_KEYWORDS else 0.0
    if keyword == "RUN":
        sim = _similarity(entry.text, _run_text(ins))
    elif keyword in ("COPY", "ADD"):
        sim = _copy_similarity(entry, ins, workdir)
    else:
        sim = _similarity(entry.text, _norm(" ".join(ins.raw_args or ins.args)))
        if entry.text == "" and keyword == "ARG":  # buildah writes `ARG ` for a bare ARG
            sim = 1.0
    return 2.0 + 3.0 * sim - penalty, _confidence(sim)


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
        full = _norm(" ".join(words))
        return max(0.9, _similarity(entry.text, full))
    return 0.3 * _similarity(entry.text, _norm(" ".join(words)))


def _same_dest(recorded: str, written: str, workdir: str) -> bool:
    def canon(path: str) -> str:
        if not path.startswith("/"):
            path = posixpath.join(workdir or "/", path)
        return posixpath.normpath(path)
    return recorded.rstrip("/") == written.rstrip("/") or canon(recorded) == canon(written)


def _workdirs(instructions: Sequence[Instruction]) -> list[str]:
    """The WORKDIR in effect at each instruction (relative COPY destinations resolve to it)."""
    current, out = "/", []
    for ins in instructions:
        out.append(current)
        if ins.keyword == "WORKDIR" and ins.args:
            current = posixpath.normpath(posixpath.join(current, ins.args[0]))
    return out


def _run_text(ins: Instruction) -> str:
    if ins.is_json:
        return _norm(" ".join(ins.raw_args or ins.args))
    parts = list(ins.raw_args or ins.args)
    parts.extend(doc.content for doc in ins.heredocs)
    return _norm(_strip_run(" ".join(parts)))


def _strip_run(text: str) -> str:
    text = text.strip()
    prefix = _ARGS_PREFIX.match(text)
    if prefix:
        # `|N K=V …`: drop exactly N build-arg words (values have no spaces: BuildKit and
        # docker join them unquoted, so a value with a space cannot be told apart anyway).
        rest = text[prefix.end():]
        for _ in range(int(prefix.group(1))):
            word = re.match(r"^\S*=\S*\s*", rest)
            if word is None:
                break
            rest = rest[word.end():]
        text = rest
    text = _SHELL_PREFIX.sub("", text, count=1)
    while _RUN_FLAG.match(text):
        text = _RUN_FLAG.sub("", text, count=1)
    if text.startswith("["):
        # buildah records an exec-form RUN as its JSON array after `/bin/sh -c`.
        try:
            argv = json.loads(text)
        except ValueError:
            argv = None
        if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
            text = " ".join(argv)
    return text


def _strip_flags(text: str) -> str:
    words = text.strip().split(" ")
    while words and words[0].startswith("--"):
        words.pop(0)
    return " ".join(words).strip()


def _last_word(text: str) -> str | None:
    words = text.split()
    return words[-1] if words else None


def _norm(text: str) -> str:
    return _SPACE.sub(" ", _CONTINUATION.sub(" ", text)).strip()


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


def _created_by(history: Sequence[Mapping[str, Any]], index: int | None) -> str | None:
    if index is None:
        return None
    value = history[index].get("created_by")
    return str(value) if value is not None else None


__all__ = [
    "LAYER_KEYWORDS",
    "Attribution",
    "Confidence",
    "CreatedBy",
    "LayerAttribution",
    "attribute",
    "layer_history",
    "parse_created_by",
]
