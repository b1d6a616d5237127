"""The static closure of an image: one streaming pass, then the closure over the merged tree.

``plan(facts, options)`` reads every layer once (the ``capture`` hooks keep what the closure
needs), starts from the config (``Entrypoint`` + ``Cmd``, ``Healthcheck``, ``User``,
``WorkingDir``, ``Env``) and the probe command, follows programs, libraries, interpreters and
imports, applies ``--include``/``--exclude``, and returns the plan: every kept path with its
reason chain, and the bytes removed by content category.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from finalstage.analysis.classify import classify_path
from finalstage.errors import UsageError
from finalstage.facts import Facts
from finalstage.fs.entry import KIND_NAMES
from finalstage.fs.merge import visible_captures
from finalstage.image.tarheader import HARDLINK, REG
from finalstage.slimming import capture
from finalstage.slimming.closure import Closure, show
from finalstage.slimming.commands import Commands, argv_of, healthcheck_argv
from finalstage.slimming.fsview import TreeView, norm
from finalstage.slimming.jvm import Jvm
from finalstage.slimming.loader import Loader
from finalstage.slimming.model import CategoryBytes, Explanation, KeptPath, SlimPlan
from finalstage.slimming.node import Node
from finalstage.slimming.python import Python
from finalstage.slimming.runtime import keep_runtime


@dataclass(frozen=True)
class PlanOptions:
    """What the user asked for besides the image."""

    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    keep_shell: bool = False
    probe_args: tuple[str, ...] | None = None   # --probe-cmd: run as ENTRYPOINT + these
    explain: tuple[str, ...] = ()
    learned: tuple[str, ...] = ()               # paths the probe's trace added (--learn)


def read_captured(facts: Facts, progress: Any = None) -> dict[str, object]:
    """One pass over the layers with slim's hooks; the captured value of every file of the
    merged tree, taken from the layer its visible version came from."""
    image = facts.image
    assert image is not None
    want, keep = capture.hooks()
    scans = image.scan(want=want, keep=keep, progress=progress, tag=capture.slim_tag(),
                       wait=False)
    return visible_captures(facts.tree, scans)


def build_closure(facts: Facts, captured: Mapping[str, object],
                  options: PlanOptions) -> tuple[Closure, list[str]]:
    """The closure of the image's config (and the probe); returns it and the argv it runs."""
    image = facts.image
    assert image is not None
    cfg = image.config
    argv = argv_of(cfg.entrypoint, cfg.cmd)
    if not argv:
        raise UsageError(f"{image.reference}: the image has no ENTRYPOINT or CMD: nothing "
                         "tells slim what the image runs")
    closure = Closure(TreeView(facts.tree), captured, dict(cfg.env), cfg.workdir or "/")
    loader = Loader(closure)
    commands = Commands(closure)
    python, node, jvm = Python(closure, loader), Node(closure), Jvm(closure)
    commands.handlers = {"python": python.run, "node": node.run, "nodejs": node.run,
                         "java": jvm.run}
    commands.run(argv, "ENTRYPOINT" if cfg.entrypoint else "CMD")
    check = healthcheck_argv(_healthcheck(cfg.raw))
    if check:
        commands.run(check, "HEALTHCHECK")
    if options.probe_args is not None:
        commands.run(argv_of(cfg.entrypoint, options.probe_args) or list(options.probe_args),
                     "the probe command")
    if options.keep_shell:
        commands.run(["/bin/sh"], "--keep-shell")
    keep_runtime(closure, cfg.user, cfg.workdir)
    for path in options.learned:
        closure.keep(path, "opened by the fat image's probe run (--learn)")
    _include(closure, options.includes)
    closure.run()
    _exclude(closure, options.excludes)
    return closure, argv


def _healthcheck(raw: Mapping[str, Any]) -> list[str]:
    config = raw.get("config") if isinstance(raw, Mapping) else None
    check = config.get("Healthcheck") if isinstance(config, Mapping) else None
    test = check.get("Test") if isinstance(check, Mapping) else None
    return [str(t) for t in test] if isinstance(test, list) else []


def glob_regex(pattern: str) -> re.Pattern[str]:
    """``**`` any path, ``*`` within one component, ``?`` one character (absolute or not)."""
    body = norm(pattern) if pattern.strip() not in ("/", "") else ""
    out = ""
    i = 0
    while i < len(body):
        if body.startswith("**", i):
            out += ".*"
            i += 2
        else:
            out += {"*": "[^/]*", "?": "[^/]"}.get(body[i], re.escape(body[i]))
            i += 1
    return re.compile(f"(?s){out}$")


def _include(c: Closure, patterns: Sequence[str]) -> None:
    for pattern in patterns:
        regex = glob_regex(pattern)
        hits = [p for p in c.view.entries if p and regex.match(p)]
        if not hits:
            c.warn(f"--include {pattern!r} matches nothing in the image")
        for path in hits:
            if c.is_dir(path):
                c.keep_tree(path, f"--include {pattern}")
            else:
                c.keep(path, f"--include {pattern}")


def _exclude(c: Closure, patterns: Sequence[str]) -> None:
    for pattern in patterns:
        regex = glob_regex(pattern)
        gone = [p for p in c.kept if regex.match(p)]
        for path in gone:
            for kept in [k for k in c.kept if k == path or k.startswith(path + "/")]:
                del c.kept[kept]
                c.dropped[kept] = f"--exclude {pattern}"


def make_plan(facts: Facts, c: Closure, argv: Sequence[str],
              explain: Sequence[str]) -> SlimPlan:
    """The plan's frozen form: kept paths with chains, removed bytes by category."""
    image = facts.image
    assert image is not None
    tree = facts.tree
    kept: list[KeptPath] = []
    kept_bytes = 0
    for path in sorted(c.kept):
        entry = tree.entries[path]
        size = entry.size if entry.kind == REG else 0
        kept_bytes += size
        kept.append(KeptPath(show(path), KIND_NAMES.get(entry.kind, entry.kind), size,
                             c.chain(path)))
    removed: dict[str, list[int]] = {}
    files = 0
    for path, entry in tree.entries.items():
        if entry.kind not in (REG, HARDLINK):
            continue
        files += 1
        if path not in c.kept and entry.kind == REG:
            category = classify_path(path)
            slot = removed.setdefault(category.value if category else "other", [0, 0])
            slot[0] += entry.size
            slot[1] += 1
    by_category = tuple(CategoryBytes(k, v[0], v[1]) for k, v in
                        sorted(removed.items(), key=lambda kv: (-kv[1][0], kv[0])))
    return SlimPlan(
        source=image.reference, source_digest=image.digest or image.config_digest,
        argv=tuple(argv), kept=tuple(kept), kept_bytes=kept_bytes, source_bytes=tree.total_size,
        source_files=files, removed=by_category, warnings=tuple(c.warnings),
        dynamic_sites=tuple(dict.fromkeys(c.sites)),
        explanations=tuple(explain_path(facts, c, p) for p in explain))


def explain_path(facts: Facts, c: Closure, path: str) -> Explanation:
    """Why ``path`` was kept, or why it was dropped."""
    tree_path = norm(path)
    if tree_path in c.kept:
        return Explanation(show(tree_path), True, c.chain(tree_path))
    entry = facts.tree.entries.get(tree_path)
    if entry is None:
        return Explanation(show(tree_path), False, (), "not in the image")
    current = tree_path
    while current:
        if current in c.dropped:
            reason = c.dropped[current]
            if current.endswith("node_modules") and current != tree_path:
                reason = ("not in the dependencies closure of the application "
                          "(devDependencies and what only they need are not kept)")
            return Explanation(show(tree_path), False, (), reason)
        current = current.rpartition("/")[0]
    category = classify_path(tree_path, KIND_NAMES.get(entry.kind, "file"))
    what = f" ({category.value})" if category else ""
    return Explanation(show(tree_path), False, (),
                       f"not reached from the entrypoint, healthcheck or probe{what}")


def matches(patterns: Sequence[str], path: str) -> bool:
    """True when ``path`` matches one of the ``fnmatch`` patterns."""
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


__all__ = ["PlanOptions", "build_closure", "explain_path", "glob_regex", "make_plan",
           "read_captured"]
