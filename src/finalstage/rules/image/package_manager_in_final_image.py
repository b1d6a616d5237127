"""FS203 package-manager-in-final-image."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

from finalstage.findings import Finding, Severity
from finalstage.rules._base import ImageRule, Option
from finalstage.facts.image import FileRef, ImageContext
from finalstage.rules._helpers import command_words, plural

# Package-manager families, by the command names that run them.
COMMANDS: dict[str, str] = {
    "npm": "npm", "npx": "npm", "corepack": "npm", "yarn": "yarn", "yarnpkg": "yarn",
    "pnpm": "pnpm", "pnpx": "pnpm", "pip": "pip", "pip3": "pip", "pipenv": "pip",
    "poetry": "pip", "uv": "pip", "pipx": "pip", "conda": "pip", "gem": "gem", "bundle": "gem",
    "bundler": "gem", "composer": "composer", "apt": "os", "apt-get": "os", "dpkg": "os",
    "apk": "os", "yum": "os", "dnf": "os", "microdnf": "os", "rpm": "os", "zypper": "os",
}
# Path markers of each family (first match wins); everything else is the OS package manager.
_PATH_FAMILIES = (
    ("node_modules/npm/", "npm"), ("node_modules/corepack/", "npm"), ("/bin/npm", "npm"),
    ("/bin/npx", "npm"), ("/bin/corepack", "npm"), ("yarn", "yarn"), ("pnpm", "pnpm"),
    ("/pip/", "pip"), ("/pip-", "pip"), ("/bin/pip", "pip"), ("pipenv", "pip"),
    ("poetry", "pip"), ("/bin/uv", "pip"), ("/bin/gem", "gem"), ("/bin/bundle", "gem"),
    ("composer", "composer"),
)
_LABELS = {"os": "the OS package manager (dpkg/apt, apk, rpm)", "npm": "npm", "yarn": "yarn",
           "pnpm": "pnpm", "pip": "pip", "gem": "gem/bundler", "composer": "composer"}


def family_of(path: str) -> str:
    """The package-manager family a path of the ``package-manager`` category belongs to."""
    probe = "/" + path
    return next((fam for marker, fam in _PATH_FAMILIES if marker in probe), "os")


def needed_families(argv: Sequence[str]) -> set[str]:
    """Families the runtime command itself runs (``npm start``, ``python -m pip``…)."""
    words = command_words(argv)
    out: set[str] = set()
    for n, word in enumerate(words):
        base = word.rsplit("/", 1)[-1]
        if base in COMMANDS:
            out.add(COMMANDS[base])
        if word == "-m" and n + 1 < len(words) and words[n + 1] in ("pip", "pipx", "poetry"):
            out.add("pip")
    return out


class PackageManagerInFinalImage(ImageRule):
    """Package manager the application does not run is in the final image

    ## What it does
    Reports each package manager present in the image (dpkg/apt, apk, rpm/dnf/yum, pip, npm,
    yarn, pnpm, gem/bundler, composer) that the image's own command does not run. The command is
    the config's `Entrypoint` + `Cmd`, shell form split as the shell would: `CMD npm start`
    needs npm, so npm is not reported in that image; `CMD ["node", "server.js"]` does not.

    ## Why is this bad?
    A package manager in a running container lets anyone with a shell there install tools
    (compilers, scanners, miners), and it brings its own code, metadata and vulnerabilities.
    Distroless and chiseled bases ship none; `-slim` bases keep dpkg/apt, which is why this is
    a warning.

    ## Example
    ```dockerfile
    FROM node:20-bookworm-slim
    COPY . /app
    CMD ["node", "/app/server.js"]
    ```

    Use instead:
    ```dockerfile
    FROM gcr.io/distroless/nodejs20-debian12
    COPY . /app
    CMD ["/app/server.js"]
    ```

    ## Known problems
    An entrypoint script that calls the package manager is not read: list the package manager
    in `needed`.

    ## Options
    - `needed`: package-manager families the application runs (`os`, `npm`, `yarn`, `pnpm`,
      `pip`, `gem`, `composer`); never reported.
    """

    code = "FS203"
    name = "package-manager-in-final-image"
    severity = Severity.WARNING
    groups = ("packages", "content")
    subjects = ("category:package-manager",)
    options: ClassVar[Mapping[str, Option]] = {
        "needed": Option((), "Package-manager families the application runs"),
    }

    def check_image(self, ctx: ImageContext) -> Iterator[Finding]:
        needed = needed_families(ctx.runtime_argv()) | set(self.settings["needed"])
        families: dict[str, list[FileRef]] = {}
        for f in ctx.files_of("package-manager"):
            if f.size > 0:
                families.setdefault(family_of(f.path), []).append(f)
        for family in sorted(families):
            if family in needed:
                continue
            summary = ctx.summarize(families[family])
            yield self.image_finding(
                f"{_LABELS.get(family, family)} is in the final image but its command does not "
                f"run it ({plural(summary.files, 'file')})",
                summary,
                fix_hint="use a runtime base without a package manager (distroless, chiseled) "
                         "or remove it in the stage that builds the final image",
            )
