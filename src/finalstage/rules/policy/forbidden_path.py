"""FS906 forbidden-path (policy `forbidden-paths`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._helpers import plural
from finalstage.rules._options import Option
from finalstage.rules.policy._budget import PolicyRule, by_layer, files, top
from finalstage.units import format_size
from finalstage.facts import Facts



@lru_cache(maxsize=256)
def _glob_regex(glob: str) -> re.Pattern[str]:
    """``**`` crosses ``/``, ``*`` and ``?`` do not; a glob naming a directory forbids what is
    under it too."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] in "*?":
            out.append("[^/]*" if glob[i] == "*" else "[^/]")
            i += 1
        elif glob[i] == "[" and glob.find("]", i + 1) != -1:
            end = glob.find("]", i + 1)
            body = glob[i + 1:end].replace("\\", "\\\\")
            out.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile(f"^{''.join(out).rstrip('/')}(?:/.*)?$")


def path_matches(glob: str, path: str) -> bool:
    """Whether ``path`` (absolute) is matched by a forbidden-paths ``glob``."""
    return _glob_regex(glob).match(path) is not None


class ForbiddenPath(PolicyRule):
    """The image ships a path the policy forbids

    ## What it does
    Reports, per glob and per layer, the paths of the merged filesystem that match one of
    `paths`. `**` crosses directories, `*` and `?` do not; a glob that names a directory
    forbids everything under it.

    ## Why is this bad?
    Some paths must never ship: a `.git` directory, a test fixture with real data, a
    `/root/.ssh`. A ban in the policy catches them whatever copied them in.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY . /app
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    COPY --from=build /app/dist /app
    ```

    ## Options
    - `paths`: absolute path globs that must not appear (policy `forbidden-paths`).
    """

    code = "FS906"
    name = "forbidden-path"
    severity = Severity.ERROR
    groups = ("policy", "content")
    setting = "paths"
    options: ClassVar[Mapping[str, Option]] = {
        "paths": Option((), "Absolute path globs that must not appear"),
    }

    def check_facts(self, facts: Facts) -> Iterator[Finding]:
        listed = list(files(facts))
        for glob in self.settings["paths"]:
            hits = [f for f in listed if path_matches(glob, f.path)]
            for layer, found in sorted(by_layer(hits).items()):
                total = sum(f.size for f in found)
                yield self.located(
                    facts, f"{plural(len(found), 'path')} matching forbidden {glob!r} "
                    f"({format_size(total)}), added by layer {layer}", layer=layer,
                    nbytes=total, paths=top(found), subjects=(f"path:{glob}",),
                    fix_hint="do not copy or create these paths in the final stage")
