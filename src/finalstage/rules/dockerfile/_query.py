"""Facts several Dockerfile rules share: image references, ENV/ARG pairs, the chain's ENV.

These read the model only; nothing here parses Dockerfile syntax.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.facts.dockerfile import DockerfileContext


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into repository (no registry), tag and digest."""

    registry: str | None
    repository: str           # "library/python" → "python"; "dotnet/sdk"
    tag: str | None
    digest: str | None

    @property
    def last(self) -> str:
        """The last path component of the repository: ``golang`` for ``docker.io/golang``."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def is_resolved(self) -> bool:
        """False when an ARG could not be expanded (``${BASE_IMAGE}``)."""
        text = f"{self.registry or ''}{self.repository}{self.tag or ''}{self.digest or ''}"
        return "$" not in text and bool(self.repository)


def parse_ref(text: str) -> ImageRef:
    """Split an image reference as the distribution reference grammar does."""
    ref = text.strip().strip("\"'")
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    registry = None
    first, sep, rest = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, ref = first, rest
    tag = None
    name, colon, maybe_tag = ref.rpartition(":")
    if colon and "/" not in maybe_tag:
        ref, tag = name, maybe_tag
    repository = ref.lower()
    repository = repository.removeprefix("library/")
    return ImageRef(registry, repository, tag, digest)


def chain_root(ctx: DockerfileContext) -> Stage:
    """The oldest stage of the final chain: the one whose FROM names an image."""
    return ctx.stage(ctx.dockerfile.chain[-1])


def via(ctx: DockerfileContext) -> str:
    """`` (via stage a -> b)`` when the final stage inherits its base, else ``""``."""
    chain = ctx.dockerfile.chain
    if len(chain) < 2:
        return ""
    labels = [ctx.stage(i).label for i in chain[:-1]]
    return f" (via stage {' -> '.join(labels)})"


def unquote(value: str) -> str:
    """Strip one level of matching quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def pairs(instr: Instruction) -> list[tuple[str, str | None]]:
    """``(name, value)`` of an ENV or ARG instruction (value None for ``ARG NAME``)."""
    args = list(instr.args)
    out: list[tuple[str, str | None]] = []
    if instr.keyword == "ARG":
        for word in args:
            name, eq, value = word.partition("=")
            out.append((name, unquote(value) if eq else None))
        return out
    # ENV: the model gives "K=V" words; raw BuildKit gives name, value, name, value….
    if args and all("=" in a for a in args):
        return [(n, unquote(v)) for n, _, v in (a.partition("=") for a in args)]
    for i in range(0, len(args) - 1, 2):
        out.append((args[i], unquote(args[i + 1])))
    return out


class EnvView(Mapping[str, str]):
    """ENV values in force at one instruction of the chain (later values win)."""

    def __init__(self, history: dict[str, list[tuple[int, str]]], position: int) -> None:
        self._history = history
        self._position = position

    def __getitem__(self, name: str) -> str:
        values = self._history.get(name, ())
        at = bisect.bisect_left(values, (self._position, "")) - 1
        if at < 0:
            raise KeyError(name)
        return values[at][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._history if name in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        try:
            self[name]  # type: ignore[index]
        except KeyError:
            return False
        return True


def env_before(ctx: DockerfileContext, target: Instruction) -> Mapping[str, str]:
    """ENV values set in the chain before ``target`` (build order; later values win)."""
    history = ctx.memo("env-history", lambda: _env_history(ctx))
    return EnvView(history, ctx.order(target))


def _env_history(ctx: DockerfileContext) -> dict[str, list[tuple[int, str]]]:
    history: dict[str, list[tuple[int, str]]] = {}
    for stage in ctx.chain_stages():
        for instr in stage.instructions:
            if instr.keyword == "ENV":
                for name, value in pairs(instr):
                    history.setdefault(name, []).append((ctx.order(instr), value or ""))
    return history


def first_run_mentioning(ctx: DockerfileContext, text: str) -> int | None:
    """Chain order of the first RUN whose body contains ``text`` (None when none does)."""
    def compute() -> int | None:
        for stage in ctx.chain_stages():
            for instr in stage.instructions:
                if instr.keyword == "RUN" and text in run_text(instr):
                    return ctx.order(instr)
        return None
    return ctx.memo(("run-mentioning", text), compute)


def run_text(instr: Instruction) -> str:
    """The RUN body as text, heredocs included (for the few text-level checks)."""
    return " ".join(instr.args) + "\n" + "\n".join(h.content for h in instr.heredocs)


def cache_mounts(instr: Instruction) -> tuple[str, ...]:
    """Targets of ``RUN --mount=type=cache,target=…`` (their contents never reach a layer)."""
    out = []
    for mount in instr.flag_values("mount"):
        fields = {key: value for key, _, value in (p.partition("=") for p in mount.split(","))}
        if fields.get("type") == "cache":
            target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
            out.append(target.rstrip("/"))
    return tuple(out)


def copy_sources(instr: Instruction) -> tuple[str, ...]:
    """The source words of a COPY/ADD (everything but the destination); none for heredocs."""
    args = tuple(unquote(a) for a in instr.args)
    if instr.heredocs or len(args) < 2:
        return ()
    return args[:-1]


_SLASHES = re.compile(r"/+")


def norm_path(path: str) -> str:
    """``./app/`` → ``app``; ``/`` stays ``/``; ``.`` and ``./`` become ``.``."""
    path = _SLASHES.sub("/", path.strip())
    if path in ("/", "/."):
        return "/"
    path = path.rstrip("/")
    while path.startswith("./"):
        path = path[2:]
    path = path.removesuffix("/.")
    return path or "."


__all__ = [
    "ImageRef",
    "cache_mounts",
    "chain_root",
    "copy_sources",
    "env_before",
    "first_run_mentioning",
    "norm_path",
    "pairs",
    "parse_ref",
    "run_text",
    "unquote",
    "via",
]
