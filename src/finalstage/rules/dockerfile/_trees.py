"""What each stage holds where, followed through the stage graph once per Dockerfile.

Three kinds of tree are tracked, because rules judge the final image by what reaches it rather
than by the syntax of one ``COPY``:

- ``context``: a directory that received the build context (``COPY . /app``: all of it, part
  ``"."``; ``COPY client ./client``: part ``"client"``);
- ``deps``: a dependency tree an install filled (``npm ci`` → ``<workdir>/node_modules``,
  ``composer install`` → ``vendor``, ``pip install`` → site-packages), with how it includes
  development dependencies, if it does;
- ``key``: a private key a ``RUN`` generated (``openssl genrsa -out key.pem``).

``WORKDIR`` and ``cd`` place them; ``FROM <stage>`` inherits them; ``COPY --from=<stage> <src>``
carries every tree at or under ``src`` (and the part of a tree that ``src`` lies in); ``rm -rf``
drops them; a prune or a production reinstall turns a dependency tree into a production one.
Compile and bundle steps (``cc``, ``go build``, ``npm run build``…) record the context parts they
read (``consumed``): shipping those parts ships what the build consumed.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace

from finalstage.dockerfile.model import Instruction, Stage
from finalstage.facts.dockerfile import DockerfileContext
from finalstage.rules._shell import Cmd, commands
from finalstage.rules.dockerfile._installs import dev_install, project_install, prunes, tree_path
from finalstage.rules.dockerfile._query import copy_sources, norm_path, run_text
from finalstage.rules.dockerfile._steps import build_step, key_output

__all__ = ["Consumed", "Graph", "Tree", "graph", "is_whole_context"]

# Sources that mean "the whole build context".
_WHOLE = {".", "*", "/", "./*", "**"}
# Trees kept per stage: a real stage holds a handful; a generated file of thousands of stages
# copying each other would otherwise make the walk quadratic.
_MAX_TREES = 256


@dataclass(frozen=True)
class Tree:
    kind: str                    # "context" | "deps" | "key"
    path: str                    # absolute path in the stage that holds it
    origin: Instruction          # the COPY, install RUN or key-generating RUN that made it
    stage: int                   # the stage of ``origin``
    part: str = "."              # context: the context-relative path it holds
    detail: str = ""             # deps: the manager; key: the command that generated it
    dev: str | None = None       # deps: how the install brings development dependencies
    guard: str | None = None     # deps: the undecided shell condition the install runs under


@dataclass(frozen=True)
class Consumed:
    """A part of the build context that a compile or bundle step read."""

    part: str
    step: str
    instr: Instruction
    guard: str | None = None     # the undecided shell condition the step runs under


@dataclass(frozen=True)
class Graph:
    ends: dict[int, tuple[Tree, ...]]          # stage index → its trees once built
    arrivals: dict[int, tuple[Tree, ...]]      # id(COPY/ADD) → the trees it brought
    consumed: tuple[Consumed, ...]


def is_whole_context(instr: Instruction) -> bool:
    """True for ``COPY . …`` / ``ADD ./ …`` / ``COPY * …`` from the build context."""
    if instr.keyword not in ("COPY", "ADD") or instr.flag("from") is not None:
        return False
    return any(norm_path(src) in _WHOLE for src in copy_sources(instr))


def graph(ctx: DockerfileContext) -> Graph:
    """The trees of every stage of ``ctx`` (computed once per Dockerfile)."""
    return ctx.memo("trees", lambda: _Builder(ctx).run())


def _join(base: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(base, path))


def _within(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")


class _Builder:
    def __init__(self, ctx: DockerfileContext):
        self.ctx = ctx
        self.ends: dict[int, tuple[Tree, ...]] = {}
        self.workdirs: dict[int, str] = {}
        self.arrivals: dict[int, tuple[Tree, ...]] = {}
        self.consumed: dict[str, Consumed] = {}   # context part → the surest step that read it

    def run(self) -> Graph:
        for index in _build_order(self.ctx.dockerfile.stages):
            self.stage(self.ctx.stage(index))
        return Graph(self.ends, self.arrivals, tuple(self.consumed.values()))

    def read_by(self, step: str, cmd: Cmd, cwd: str, trees: list[Tree],
                instr: Instruction) -> None:
        """Record the context parts the build step ``cmd`` reads (the surest step per part)."""
        for tree in trees:
            if tree.kind != "context":
                continue
            known = self.consumed.get(tree.part)
            if known is not None and (known.guard is None or cmd.guard is not None):
                continue
            if _reads(cmd, cwd, tree.path):
                self.consumed[tree.part] = Consumed(tree.part, step, instr, cmd.guard)

    def stage(self, stage: Stage) -> None:
        parent = stage.parent
        trees = list(self.ends.get(parent, ())) if parent is not None else []
        workdir = self.workdirs.get(parent, "/") if parent is not None else "/"
        for instr in stage.instructions[1:]:
            if instr.keyword == "WORKDIR" and instr.args:
                workdir = _join(workdir, instr.args[0])
            elif instr.keyword in ("COPY", "ADD"):
                new = self.copy(instr, workdir, stage)
                self.arrivals[id(instr)] = new
                trees.extend(new[:max(0, _MAX_TREES - len(trees))])
            elif instr.keyword == "RUN":
                trees = self.run_instruction(instr, workdir, trees, stage.index)
        self.ends[stage.index] = tuple(trees)
        self.workdirs[stage.index] = workdir

    def copy(self, instr: Instruction, workdir: str, stage: Stage) -> tuple[Tree, ...]:
        sources = copy_sources(instr)
        if not sources:
            return ()
        written = instr.args[-1]
        dest = _join(workdir, written)
        many = len(sources) > 1 or written.endswith("/")
        ref = instr.flag("from")
        if ref is None:
            return tuple(self._from_context(instr, stage, src, dest, many) for src in sources
                         if "://" not in src)
        source = self.ctx.dockerfile.stage_named(ref) or (
            self.ctx.stage(int(ref)) if ref.isdigit() and int(ref) < len(
                self.ctx.dockerfile.stages) else None)
        if source is None:
            return ()
        out: list[Tree] = []
        for src in sources:
            out.extend(_carried(self.ends.get(source.index, ()), src, dest, many))
        return tuple(out)

    @staticmethod
    def _from_context(instr: Instruction, stage: Stage, src: str, dest: str,
                      many: bool) -> Tree:
        path = norm_path(src)
        if path in _WHOLE:
            return Tree("context", dest, instr, stage.index)
        part = path.lstrip("/")
        # Into a directory (``COPY a b ./``): a file lands under its name, a directory written
        # ``dir/`` spreads its contents; one source without a slash becomes ``dest``.
        inside = many and not src.endswith("/")
        return Tree("context", _join(dest, posixpath.basename(part)) if inside else dest,
                    instr, stage.index, part=part)

    def run_instruction(self, instr: Instruction, workdir: str, trees: list[Tree],
                        index: int) -> list[Tree]:
        env = instr.vars
        text = run_text(instr)
        cwd = workdir
        for cmd in commands(instr):
            if cmd.name == "cd" and cmd.words() and "$" not in cmd.words()[0]:
                cwd = _join(cwd, cmd.words()[0])
                continue
            step = build_step(cmd)
            if step:
                self.read_by(step, cmd, cwd, trees, instr)
            trees = _installed(trees, cmd, cwd, env, text, instr, index)
            if cmd.name == "rm":
                gone = [_join(cwd, w) for w in cmd.words() if "$" not in w and "*" not in w]
                trees = [t for t in trees if not any(_within(t.path, g) for g in gone)]
            key = key_output(cmd, env.get("HOME", "/root"))
            if key and len(trees) < _MAX_TREES:
                trees.append(Tree("key", _join(cwd, key[0]), instr, index, detail=key[1]))
        return trees


def _reads(cmd: Cmd, cwd: str, path: str) -> bool:
    """Whether a build step run in ``cwd`` reads the tree at ``path``: it runs inside it, the
    tree lies in its (non-root) directory, or an argument names a place in it."""
    if _within(cwd, path) or (cwd != "/" and _within(path, cwd)):
        return True
    return any(_within(_join(cwd, a), path) for a in cmd.args
               if "/" in a and "$" not in a and not a.startswith("-"))


def _installed(trees: list[Tree], cmd: Cmd, cwd: str, env: dict[str, str], text: str,
               instr: Instruction, index: int) -> list[Tree]:
    """``trees`` after ``cmd``: an install fills its tree, a prune makes it production-only."""
    if prunes(cmd) and cmd.name != "yarn":
        where = _join(cwd, "node_modules")
        return [_cleaned(t, cmd.guard) if t.kind == "deps" and t.path == where else t
                for t in trees]
    manager = project_install(cmd)
    if manager is None:
        return trees
    path = tree_path(cmd, manager, cwd, env, text)
    dev = dev_install(cmd, env, text)
    earlier = next((t for t in trees if t.kind == "deps" and t.path == path), None)
    if earlier is not None and earlier.dev and not dev:
        if manager in ("pip", "poetry", "bundle"):
            return trees                 # additive installers keep the development packages
        if cmd.guard is not None:        # a production reinstall that may not run
            return [_cleaned(t, cmd.guard) if t is earlier else t for t in trees]
    kept = [t for t in trees if not (t.kind == "deps" and t.path == path)]
    return [*kept, Tree("deps", path, instr, index, detail=manager, dev=dev,
                        guard=cmd.guard if dev else None)]


def _cleaned(tree: Tree, guard: str | None) -> Tree:
    """``tree`` after a prune or a production reinstall that runs under ``guard``."""
    if guard is None or not tree.dev:
        return replace(tree, dev=None, guard=None)
    return replace(tree, guard=tree.guard or f"not {guard}")


def _carried(trees: tuple[Tree, ...], src: str, dest: str, many: bool) -> list[Tree]:
    """The trees a ``COPY --from`` of ``src`` (relative to the source stage's root) brings."""
    source = _join("/", src)
    if source.endswith("/*"):
        source = source[:-2] or "/"
    out: list[Tree] = []
    for tree in trees:
        if _within(tree.path, source):
            if tree.path == source and tree.kind == "key":
                path = _join(dest, posixpath.basename(source)) if many else dest
            else:
                path = _join(dest, posixpath.relpath(tree.path, source))
            out.append(replace(tree, path=path))
        elif _within(source, tree.path) and tree.kind != "key":
            inner = posixpath.relpath(source, tree.path)
            part = tree.part if tree.kind != "context" else _join(tree.part, inner).lstrip("/")
            out.append(replace(tree, path=dest, part=part or "."))
    return out


def _build_order(stages: tuple[Stage, ...]) -> list[int]:
    """Stage indexes, each after the stages it is built FROM or copies from (no recursion)."""
    order: list[int] = []
    state = [0] * len(stages)
    for root in range(len(stages)):
        if state[root]:
            continue
        stack = [root]
        while stack:
            index = stack[-1]
            if state[index] == 0:
                state[index] = 1
                parent = stages[index].parent
                deps = [*stages[index].copies_from, *(() if parent is None else (parent,))]
                stack.extend(d for d in deps if state[d] == 0)
            else:
                stack.pop()
                if state[index] == 1:
                    state[index] = 2
                    order.append(index)
    return order
