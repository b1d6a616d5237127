"""Taking apart a history ``created_by`` string, as each builder writes it.

- BuildKit: the instruction as written, with a ``# buildkit`` suffix (``RUN /bin/sh -c … #
  buildkit``, ``COPY src dst # buildkit``);
- classic docker (≤ 22), buildah, podman: ``/bin/sh -c #(nop) <KEYWORD> …`` for metadata and
  COPY/ADD (the sources replaced by ``file:<sha256> in``), ``/bin/sh -c …`` for RUN;
- kaniko: the instruction as written, upper-case keyword, no suffix.

Every RUN may carry a ``|N K=V …`` prefix: the build args it saw.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_KEYWORDS = frozenset({
    "RUN", "COPY", "ADD", "ENV", "LABEL", "WORKDIR", "USER", "CMD", "ENTRYPOINT", "EXPOSE",
    "VOLUME", "ARG", "SHELL", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD", "MAINTAINER",
})
_BUILDKIT_SUFFIX = re.compile(r"\s*#\s*buildkit\s*$")
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
# `|2 A=1 B=2 /bin/sh -c …`: the build args a RUN saw (classic docker, buildah, BuildKit).
_ARGS_PREFIX = re.compile(r"^\|(\d+)\s+")
_BUILD_ARG_WORD = re.compile(r"^\S*=\S*\s*")
_SHELL_PREFIX = re.compile(r"^(?:/bin/sh|/bin/bash|sh|bash|/bin/ash)\s+-c\s+|^cmd\s+/S\s+/C\s+")
# RUN flags buildah keeps in created_by and BuildKit drops (`--mount=…`, `--network=…`).
_RUN_FLAG = re.compile(r"^--(?:mount|network|security)=\S*\s*")
_COPY_SOURCE = re.compile(r"^(?:file|dir|multi):[0-9a-f]{64}\s+in\s+")
_SPACE = re.compile(r"\s+")
_CONTINUATION = re.compile(r"\\\r?\n")


@dataclass(frozen=True)
class CreatedBy:
    """A ``created_by`` string taken apart: which instruction kind, and its comparable text."""

    keyword: str | None       # "RUN", "COPY", … or None when the writer cannot be told
    text: str                 # the command (RUN) or the arguments, whitespace collapsed
    dest: str | None = None   # COPY/ADD destination as recorded
    tool: str = "unknown"     # "buildkit" | "classic" (docker ≤ 22, buildah, podman) | "kaniko"


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
            return CreatedBy(None, norm(body), tool="buildkit")
        return _as_written(keyword, rest, "buildkit")
    nop = _NOP.match(text)
    if nop:  # classic docker, buildah, podman: metadata and COPY/ADD
        return _classic_nop(text[nop.end():])
    if _ARGS_PREFIX.match(text) or _SHELL_PREFIX.match(text):
        return CreatedBy("RUN", norm(strip_run(text)), tool="classic")
    keyword, _, rest = text.partition(" ")
    if keyword in _KEYWORDS:  # kaniko: the instruction as written, upper-case keyword
        return _as_written(keyword, rest, "kaniko")
    # Classic docker records an exec-form RUN as the bare argv joined by spaces.
    return CreatedBy(None, norm(text))


def _as_written(keyword: str, rest: str, tool: str) -> CreatedBy:
    """An instruction recorded as written (BuildKit, kaniko): ``keyword`` and its arguments."""
    if keyword == "RUN":
        return CreatedBy("RUN", norm(strip_run(rest)), tool=tool)
    if keyword in ("COPY", "ADD"):
        words = _strip_flags(rest)
        return CreatedBy(keyword, norm(words), dest=_last_word(words), tool=tool)
    return CreatedBy(keyword, norm(rest), tool=tool)


def _classic_nop(body: str) -> CreatedBy:
    """What follows ``/bin/sh -c #(nop)``: a metadata instruction, or COPY/ADD to a destination."""
    keyword, _, rest = body.partition(" ")
    keyword = keyword.upper()
    if keyword in ("COPY", "ADD"):
        rest = _strip_flags(rest.strip())
        dest = _COPY_SOURCE.sub("", rest).strip()
        return CreatedBy(keyword, norm(dest), dest=dest, tool="classic")
    return CreatedBy(keyword if keyword in _KEYWORDS else None, norm(rest), tool="classic")


def strip_run(text: str) -> str:
    """The command of a RUN: without build-arg prefix, shell prefix and RUN flags; an exec-form
    JSON array joined by spaces."""
    text = text.strip()
    prefix = _ARGS_PREFIX.match(text)
    if prefix:
        # `|N K=V …`: drop exactly N build-arg words (values have no spaces: BuildKit and
        # docker join them unquoted, so a value with a space cannot be told apart anyway).
        rest = text[prefix.end():]
        for _ in range(int(prefix.group(1))):
            word = _BUILD_ARG_WORD.match(rest)
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


def norm(text: str) -> str:
    """``text`` with line continuations and runs of whitespace collapsed to one space."""
    return _SPACE.sub(" ", _CONTINUATION.sub(" ", text)).strip()


def _strip_flags(text: str) -> str:
    words = text.strip().split(" ")
    while words and words[0].startswith("--"):
        words.pop(0)
    return " ".join(words).strip()


def _last_word(text: str) -> str | None:
    words = text.split()
    return words[-1] if words else None


__all__ = ["CreatedBy", "norm", "parse_created_by", "strip_run"]
