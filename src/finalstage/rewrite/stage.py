"""The structural rewrite: the final stage becomes ``build``, a runtime stage is appended.

Families are told by the chain's base and its build commands: Go (``go build -o OUT``),
Python (``pip install -r requirements.txt``) and Node (``npm ci``/``npm install``). The runtime
base comes from ``base`` when given, else from the SDK → runtime table below.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from finalstage.dockerfile.model import Dockerfile, Instruction
from finalstage.engine.fixes import apply_fixes
from finalstage.errors import UsageError
from finalstage.findings import Applicability, Edit, Fix
from finalstage.rewrite.node import SHELLY, NodeApp, is_npm_start, read_node_app

TODO = "# TODO(finalstage):"
NOBODY = "65534:65534"
# Runtime bases with no libc: a Go binary for them must be static.
_STATIC = re.compile(r"^(scratch|.*distroless/static.*|.*distroless/base-nossl.*)$")
_DISTRO = re.compile(r"(^|/)(debian|ubuntu)(:|$)")
_GO_BUILD = re.compile(r"\bgo\s+build\b")
_GO_OUT = re.compile(r"\bgo\s+build\b[^;&|]*?\s-o[ =](\S+)")
_DEV_FILE = re.compile(r"(^|[/_-])(dev|test|tests|testing|lint|ci|docs)([_.-]|$)", re.I)


@dataclass(frozen=True)
class Rewrite:
    """The rewritten Dockerfile: its text, the family, the runtime base, and what it noted."""

    text: str
    family: str
    base: str
    notes: tuple[str, ...]

    @property
    def todos(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.text.splitlines() if TODO in line)


@dataclass
class _Facts:
    """What the rewrite reads off the old final stage."""

    family: str
    workdir: str
    build_run: Instruction | None
    keep: list[Instruction]            # ENV, EXPOSE, USER, ENTRYPOINT, CMD to carry over
    node: NodeApp | None = None        # what package.json says `npm start` runs


def plan(df: Dockerfile, text: str, base: str | None = None,
         context: Path | None = None) -> Rewrite:
    """Rewrite ``df`` (parsed from ``text``) with a runtime stage on ``base`` (or the table's);
    ``context`` (the build context directory) lets it read what a Node app runs."""
    stage = df.final_stage
    facts = _read(df, context)
    runtime = base or _table(facts.family, df.root_base())
    edits = [] if stage.name else [_as_build(df, stage.from_instruction)]
    builder = stage.name or "build"
    notes: list[str] = []
    if facts.family == "go" and _STATIC.match(runtime) and facts.build_run is not None:
        cgo = _cgo_edit(df, facts.build_run)
        if cgo is None:
            raise UsageError(f"fix: {runtime} has no libc, so the Go build must be static, and "
                             f"the go build at line {facts.build_run.line} cannot be given "
                             "CGO_ENABLED=0 (a heredoc or a split command): add it, then rerun")
        edits.append(cgo)
        notes.append("CGO_ENABLED=0 added to go build: the runtime base has no libc")
    if facts.node is not None and any(_npm_start(facts, i) for i in facts.keep):
        notes.append(f"npm start runs {' '.join(facts.node.start)} directly: npm is a build "
                     "tool and does not pass SIGTERM on to the app")
    fixes = [Fix("rewrite", Applicability.UNSAFE, (e,)) for e in edits if e is not None]
    head, _ = apply_fixes(text, fixes)
    body = _runtime_stage(df, facts, runtime, builder)
    return Rewrite(head.rstrip("\n") + "\n\n" + "\n".join(body) + "\n", facts.family, runtime,
                   tuple(notes))


def _read(df: Dockerfile, context: Path | None) -> _Facts:
    family = _family(df)
    workdir, build_run, keep = "/", None, []
    for index in reversed(df.chain):
        for instr in df.stages[index].instructions:
            if instr.keyword == "WORKDIR" and instr.args:
                path = instr.args[0]
                workdir = path if path.startswith("/") else workdir.rstrip("/") + "/" + path
            elif instr.keyword == "RUN" and _builds(family, instr):
                build_run = instr
            elif instr.keyword in ("ENV", "EXPOSE", "USER", "ENTRYPOINT", "CMD"):
                keep.append(instr)
    node = read_node_app(context) if family == "node" else None
    return _Facts(family, workdir, build_run, keep, node)


def _family(df: Dockerfile) -> str:
    base = df.root_base().lower()
    runs = " ".join(i.original for i in df.chain_instructions() if i.keyword == "RUN")
    if re.search(r"(^|/)golang:", base) or _GO_BUILD.search(runs):
        return "go"
    if re.search(r"(^|/)node:", base) or re.search(r"\b(npm|yarn|pnpm)\s", runs):
        return "node"
    if re.search(r"(^|/)python:", base) or re.search(r"\bpip3?\s+install\b", runs):
        return "python"
    raise UsageError("fix: cannot tell the application's language (Go, Python or Node) from "
                     "the final stage: nothing to rewrite")


def _builds(family: str, instr: Instruction) -> bool:
    text = instr.original
    if family == "go":
        return _GO_BUILD.search(text) is not None
    if family == "python":
        return re.search(r"\bpip3?\s+install\b", text) is not None
    return re.search(r"\b(npm\s+(ci|install|i)|yarn|pnpm\s+(install|i))\b", text) is not None


def _table(family: str, sdk: str) -> str:
    """The runtime base for an SDK base: same family, same version and distro
    (``python:3.12-bookworm`` → ``python:3.12-slim-bookworm``)."""
    repo, _, tag = sdk.split("@", 1)[0].rpartition(":") if ":" in sdk else (sdk, "", "")
    version, _, distro = tag.partition("-") if tag[:1].isdigit() else ("", "", tag)
    distro = distro.removeprefix("slim-").removeprefix("slim").removesuffix("-slim")
    if family == "go":
        return "gcr.io/distroless/static-debian12:nonroot"
    if family in ("python", "node") and re.search(rf"(^|/){family}$", repo):
        # the official tags differ: python:3.12-slim-bookworm, node:20-bookworm-slim
        order = (version, "slim", distro) if family == "python" else (version, distro, "slim")
        parts = [p for p in order if p]
        return f"{repo}:{'-'.join(parts)}"
    raise UsageError(f"fix: no runtime base known for {sdk} ({family}): give one with --base")


def _as_build(df: Dockerfile, instr: Instruction) -> Edit:
    line = df.lines[instr.end_line - 1]
    return Edit.insert(instr.end_line, len(line.rstrip()), " AS build")


def _cgo_edit(df: Dockerfile, run: Instruction) -> Edit | None:
    if "CGO_ENABLED=0" in run.original:
        return None if run.heredocs else Edit.insert(run.line, 0, "")
    for number in range(run.line, run.end_line + 1):
        match = _GO_BUILD.search(df.lines[number - 1])
        if match and not run.heredocs:
            return Edit.insert(number, match.start(), "CGO_ENABLED=0 ")
    return None


def _runtime_stage(df: Dockerfile, facts: _Facts, base: str, builder: str) -> list[str]:
    out = [f"# finalstage fix: the stage above is now the builder '{builder}'; this runtime",
           f"# stage on {base} holds only the artefacts."]
    deps = _deps_stage(df, facts, base, builder)
    out += deps
    out.append(f"FROM {base}")
    out += _runtime_packages(facts.family, base)
    out.append(f"WORKDIR {facts.workdir}")
    out += _artefacts(df, facts, builder, bool(deps))
    out += _carried(df, facts)
    return out


def _deps_stage(df: Dockerfile, facts: _Facts, base: str, builder: str) -> list[str]:
    """A stage FROM the builder that installs the production dependencies only."""
    run = facts.build_run
    if facts.family == "node":
        return [f"FROM {builder} AS deps", "RUN npm prune --omit=dev", ""]
    if facts.family != "python":
        return []
    if run is None or run.heredocs:
        return [f"FROM {builder} AS deps", f"{TODO} install the production dependencies "
                "into /deps (pip install --target=/deps -r requirements.txt)", ""]
    text = " ".join(df.lines[n - 1].rstrip().removesuffix(df.escape)
                    for n in range(run.line, run.end_line + 1)
                    if not df.lines[n - 1].lstrip().startswith("#"))
    text = re.sub(r"\s+(-r|--requirement)[ =]?(\S+)",
                  lambda m: "" if _DEV_FILE.search(m.group(2).rsplit("/", 1)[-1]) else m.group(0),
                  text)
    text = re.sub(r"\b(pip3?\s+install)\b", r"\1 --no-cache-dir --target=/deps", text)
    # ARG values do not pass to a child stage: declare the ones the install could read again.
    args = [a.original for a in df.final_stage.instructions
            if a.keyword == "ARG" and a.line < run.line]
    return [f"FROM {builder} AS deps", *args, re.sub(r"\s{2,}", " ", text), ""]


def _runtime_packages(family: str, base: str) -> list[str]:
    if not _DISTRO.search(base.split("@", 1)[0]):
        return []
    package = {"python": "python3", "go": "ca-certificates"}.get(family)
    if package is None:
        raise UsageError(f"fix: {base} is a plain distro image and a {family} runtime from its "
                         "packages is not known: give a runtime base of the family with --base")
    # apt-get clean too: a base made by debootstrap keeps the .debs it downloads (the official
    # images' docker-clean hook is not there)
    return ["RUN apt-get update && apt-get install -y --no-install-recommends "
            f"{package} && apt-get clean && rm -rf /var/lib/apt/lists/*"]


def _artefacts(df: Dockerfile, facts: _Facts, builder: str, has_deps: bool) -> list[str]:
    wd = facts.workdir.rstrip("/") or ""
    if facts.family == "go":
        out = _go_output(facts)
        if out is None:
            return [f"{TODO} copy the binary your go build makes: "
                    f"COPY --from={builder} /path/to/binary /app"]
        return [f"COPY --from={builder} /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/",
                f"COPY --from={builder} {out} {out}"]
    if facts.family == "python":
        return ["COPY --from=deps /deps /opt/python-deps", "ENV PYTHONPATH=/opt/python-deps",
                f"COPY --from={builder} {wd}/*.py {wd}/",
                f"{TODO} copy any other files the app reads at run time (templates, data)"]
    if facts.node is not None:
        return [f"COPY --from=deps {wd}/node_modules {wd}/node_modules",
                *(f"COPY --from=deps {wd}/{p} {wd}/{p}" for p in facts.node.paths)]
    return [f"{TODO} the application's own files are not known: this copies the whole "
            "directory with the production node_modules; narrow it to what the app runs",
            f"COPY --from=deps {wd}/ {wd}/"]


def _go_output(facts: _Facts) -> str | None:
    if facts.build_run is None:
        return None
    match = _GO_OUT.search(facts.build_run.original)
    if match is None:
        return None
    out = match.group(1)
    return out if out.startswith("/") else f"{facts.workdir.rstrip('/')}/{out.removeprefix('./')}"


def _carried(df: Dockerfile, facts: _Facts) -> list[str]:
    """ENV, EXPOSE, USER and the entrypoint of the old final stage, as written; shell form
    turned into exec form when it needs no shell; a non-root USER when it had none."""
    out: list[str] = []
    has_user = False
    for instr in facts.keep:
        if instr.keyword == "USER":
            has_user = instr.args[0].split(":")[0] not in ("root", "0")
            if not has_user:
                continue
        text = "\n".join(df.lines[instr.line - 1: instr.end_line])
        if facts.node is not None and _npm_start(facts, instr):
            text = f"{instr.keyword} {json.dumps(list(facts.node.start))}"
        elif instr.keyword in ("ENTRYPOINT", "CMD") and not instr.is_json:
            command = " ".join(instr.args)
            if not SHELLY.search(command):
                text = f"{instr.keyword} {json.dumps(command.split())}"
        out.append(text)
    if not has_user:
        where = next((i for i, t in enumerate(out) if t.startswith(("ENTRYPOINT", "CMD"))),
                     len(out))
        out.insert(where, f"USER {NOBODY}")
    return out


def _npm_start(facts: _Facts, instr: Instruction) -> bool:
    return (facts.node is not None and instr.keyword in ("ENTRYPOINT", "CMD")
            and is_npm_start(" ".join(instr.args)))


__all__ = ["Rewrite", "plan"]
