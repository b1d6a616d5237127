"""FS907 forbidden-package (policy `forbidden-packages`)."""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import ClassVar

from finalstage.analysis.packages.model import Ecosystem, Package
from finalstage.findings import Finding, Severity
from finalstage.rules._options import Option
from finalstage.rules.policy._budget import PolicyRule, TOP
from finalstage.facts import Facts


ECOSYSTEMS = tuple(e.value for e in Ecosystem)
_PEP503 = re.compile(r"[-_.]+")


def parse_pattern(pattern: str) -> tuple[str | None, str]:
    """``"pypi:flask"`` → ("pypi", "flask"), ``"gcc*"`` → (None, "gcc*"). ValueError for an
    unknown ecosystem prefix, naming the known ones (and the likely one)."""
    prefix, sep, name = pattern.partition(":")
    # "org.apache:commons" (a Maven coordinate) or "@scope/x" is a name, not a prefix.
    if not sep or "." in prefix or "/" in prefix or prefix.startswith("@"):
        return None, pattern
    key = prefix.lower()
    if key not in ECOSYSTEMS:
        close = difflib.get_close_matches(key, ECOSYSTEMS + ("pip", "node"), n=1)
        guess = {"pip": "pypi", "node": "npm"}.get(close[0], close[0]) if close else None
        hint = f"; did you mean {guess!r}?" if guess else ""
        raise ValueError(f"unknown package ecosystem {prefix!r} in {pattern!r} (known: "
                         f"{', '.join(ECOSYSTEMS)}){hint}")
    if not name:
        raise ValueError(f"no package name after {prefix!r} in {pattern!r}")
    return key, name


def _normal(ecosystem: str, name: str) -> str:
    """A package name as its ecosystem compares it: PyPI by PEP 503 (case-insensitive, ``-``,
    ``_`` and ``.`` alike), Debian case-insensitively, npm, apk, rpm and the rest exactly."""
    if ecosystem == Ecosystem.PYPI:
        return _PEP503.sub("-", name).lower()
    if ecosystem == Ecosystem.DEB:
        return name.lower()
    return name


def package_matches(pattern: str, package: Package) -> bool:
    """``"gcc*"`` matches by name in any ecosystem; ``"npm:typescript"`` only in npm."""
    ecosystem, name = parse_pattern(pattern)
    eco = str(package.ecosystem)
    if ecosystem is not None and ecosystem != eco:
        return False
    return fnmatch.fnmatchcase(_normal(eco, package.name), _normal(eco, name))


def _main_category(facts: Facts, pkg: Package) -> tuple[str, ...]:
    """The category holding most of the package's bytes, if any: gcc the package and gcc's
    compiler files are one fact, so the package merges with the rule that reports those files
    (its man pages are not what the finding is about)."""
    category_of, entries = facts.analysis.category_of, facts.tree.entries
    weight: dict[str, int] = {}
    for path in pkg.files:
        category = category_of.get(path)
        entry = entries.get(path)
        if category is not None and entry is not None:
            weight[str(category)] = weight.get(str(category), 0) + entry.size
    return (max(weight, key=lambda c: (weight[c], c)),) if weight else ()


class ForbiddenPackage(PolicyRule):
    """The image ships a package the policy forbids

    ## What it does
    Reports every installed package (dpkg, apk, rpm, pip, npm, Go modules, gems, Maven) whose
    name matches one of `packages`. A pattern is a glob on the name (`"gcc-1?"`), optionally
    scoped to an ecosystem (`"pypi:pytest"`, `"npm:typescript"`, `"deb:gcc-12"`). Names compare
    as each ecosystem compares them: PyPI case-insensitively with `-`, `_` and `.` alike
    (PEP 503), Debian case-insensitively, the others exactly.

    ## Why is this bad?
    A package the team has banned from production (a test runner, a compiler, a library with a
    known problem) should fail the build the moment any layer brings it in.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN pip install -r requirements-dev.txt
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## Known problems
    A broad glob catches runtime packages too: `gcc*` matches `gcc-12-base`, a runtime library
    every Debian image has. Ban the compiler with `deb:gcc-1?` or with the `compiler` category.

    ## Options
    - `packages`: package globs, optionally `ecosystem:`-prefixed (policy `forbidden-packages`).
    """

    code = "FS907"
    name = "forbidden-package"
    severity = Severity.ERROR
    groups = ("policy", "packages")
    setting = "packages"
    options: ClassVar[Mapping[str, Option]] = {
        "packages": Option((), "Package globs that must not be installed"),
    }

    def check_facts(self, facts: Facts) -> Iterator[Finding]:
        packages = sorted(facts.analysis.packages,
                          key=lambda p: (str(p.ecosystem), p.name, p.version or ""))
        for pattern in self.settings["packages"]:
            for pkg in (p for p in packages if package_matches(pattern, p)):
                label = f"{pkg.ecosystem}:{pkg.name}"
                version = f" {pkg.version}" if pkg.version else ""
                paths = ("/" + pkg.location.lstrip("/"),) if pkg.location else ()
                kinds = _main_category(facts, pkg)
                yield self.located(
                    facts, f"forbidden package {label}{version} is installed (matches "
                    f"{pattern!r})", layer=min(pkg.layers) if pkg.layers else None,
                    nbytes=None, paths=paths[:TOP],
                    subjects=(f"package:{label}", *(f"category:{k}" for k in kinds)),
                    fix_hint="install it in a builder stage only, or remove it in the same RUN")
