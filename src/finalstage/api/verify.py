"""``fix --verify``: build the original and the rewritten Dockerfile, gate and compare them.

Both are built with buildah (``rewrite.build``), the new image is gated by ``check`` with a
strict policy (non-root, exec form, no compiler, build tool, development dependency, secret or
tests), and the two are compared: size, and the probe whose exit code and standard output
must match: ``--probe-http PORT/PATH`` (both images started, the same GETs as ``slim``'s
probe), else ``--probe-cmd`` (arguments to the entrypoint), else ``--version``.
``Verification.why_not`` says why the rewrite may not be written (None: it may).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from finalstage.api.check import check
from finalstage.findings import Report
from finalstage.rewrite.build import Built, Probe, build, probe, size
from finalstage.settings import load_settings
from finalstage.slimming.probe import http_probe, run_http
from finalstage.units import format_size

STRICT = """[policy]
require-non-root = true
require-exec-form = true
forbidden-categories = ["compiler", "build-tool", "dev-dependency", "secret", "tests"]
"""


@dataclass(frozen=True)
class Verification:
    """The before/after comparison of one rewrite."""

    before: Built
    after: Built
    before_size: int | None = None
    after_size: int | None = None
    gate: Report | None = None
    probes: tuple[Probe, Probe] | None = None

    @property
    def why_not(self) -> str | None:
        """Why the rewrite must not be written (None: it may)."""
        if not self.before.ok:
            return f"the original does not build:\n{self.before.log_tail}"
        if not self.after.ok:
            return f"the rewritten Dockerfile does not build:\n{self.after.log_tail}"
        if self.gate is not None and self.gate.is_failed:
            failed = sorted({f.rule for f in self.gate.findings
                             if f.severity >= self.gate.fail_on})
            return f"the new image fails the strict check: {', '.join(failed)}"
        if self.probes is not None and (self.probes[0].exit, self.probes[0].output) != (
                self.probes[1].exit, self.probes[1].output):
            return (f"the probe {self.probes[0].command!r} differs: before exit "
                    f"{self.probes[0].exit}: {self.probes[0].output[:300]!r}; after exit "
                    f"{self.probes[1].exit}: {self.probes[1].output[:300]!r}")
        return None

    def table(self) -> str:
        """The before/after table, for people."""
        rows = [("image", "before", "after")]
        if self.before_size is not None and self.after_size is not None:
            ratio = self.before_size / self.after_size if self.after_size else 0.0
            rows.append(("size", format_size(self.before_size),
                         f"{format_size(self.after_size)} ({ratio:.1f}x smaller)"))
        if self.probes is not None:
            rows.append((f"probe {self.probes[0].command}", f"exit {self.probes[0].exit}",
                         f"exit {self.probes[1].exit}, "
                         f"{'same' if self.probes[0].output == self.probes[1].output else 'different'}"
                         " output"))
        if self.gate is not None:
            rows.append(("strict check", "", "fail" if self.gate.is_failed else "pass"))
        width = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, width)).rstrip() for r in rows)


def verify(dockerfile: str | Path, new_text: str, *, probe_cmd: str | None = None,
           probe_http: Sequence[str] = (), tag: str | None = None,
           build_opts: Sequence[str] = ()) -> Verification:
    """Build ``dockerfile`` and ``new_text`` (same context: the Dockerfile's directory) with
    the buildah options ``build_opts`` (``rewrite.build.build_options``)."""
    runner = _http_runner(probe_http) if probe_http else (
        lambda tag: probe(tag, probe_cmd if probe_cmd is not None else "--version"))
    path = Path(dockerfile)
    context = str(path.parent.resolve())
    name = tag or f"localhost/finalstage-fix/{path.parent.resolve().name.lower() or 'app'}"
    with tempfile.TemporaryDirectory(prefix="finalstage-fix-") as tmp:
        new_file = os.path.join(tmp, "Dockerfile")
        Path(new_file).write_text(new_text, encoding="utf-8")
        before = build(str(path), context, f"{name}:before", build_opts)
        if not before.ok:
            return Verification(before, Built(f"{name}:after", False, "not built"))
        after = build(new_file, context, f"{name}:after", build_opts)
        if not after.ok:
            return Verification(before, after)
        policy = os.path.join(tmp, "finalstage.toml")
        Path(policy).write_text(STRICT, encoding="utf-8")
        gate = check(f"containers-storage:{after.tag}", dockerfile=new_file,
                     policy=load_settings(policy))
    return Verification(before, after, size(before.tag), size(after.tag), gate,
                        (runner(before.tag), runner(after.tag)))


def _http_runner(values: Sequence[str]) -> Callable[[str], Probe]:
    spec = http_probe(values)  # a bad PORT/PATH fails here, before anything is built

    def run(tag: str) -> Probe:
        done = run_http(tag, spec, (), None)
        output = done.stdout + (f"\n{done.error}" if done.error else "")
        return Probe(spec.describe(), 0 if done.error is None else None, output)
    return run


__all__ = ["STRICT", "Verification", "verify"]
