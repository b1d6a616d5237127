"""Which files of an application directory ship: everything but what only development needs.

Left out: tests, sources that do not run (C, Go, TypeScript…), VCS metadata, docs, caches,
secrets, lockfiles, requirement files and tool configuration (linters, formatters, compilers).
The categories are finalstage's own (``analysis.categories``), so ``check`` and ``slim`` agree
on what a test or a secret is.
"""

from __future__ import annotations

from finalstage.analysis.categories import Category
from finalstage.analysis.classify import classify_path
from finalstage.analysis.secrets import path_secret

DROP = frozenset({Category.TESTS, Category.SOURCE, Category.DOCS, Category.SECRET,
                  Category.CACHE, Category.DEV_DEPENDENCY, Category.HEADERS, Category.DEBUG,
                  Category.COMPILER, Category.BUILD_TOOL})
_DEV_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
    ".package-lock.json", ".npmrc", ".nvmrc", ".npmignore", ".yarnrc", ".yarnrc.yml",
    ".eslintignore", ".prettierignore", ".node-version", ".travis.yml", "Pipfile",
    "Pipfile.lock", "poetry.lock", "pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in",
    ".python-version", "uv.lock", "pdm.lock", "Procfile", "docker-compose.yml",
    "docker-compose.yaml", "compose.yaml", "compose.yml", ".env.example",
})
_DEV_PREFIXES = (".eslintrc", ".prettierrc", "tsconfig", "jest.config", ".babelrc",
                 "requirements", "vitest.config", "karma.conf", ".stylelintrc", ".flake8",
                 ".pylintrc", "mypy.ini", ".mocharc")
_SYSTEM_PREFIXES = ("usr/", "etc/", "lib/", "lib64/", "bin/", "sbin/", "proc/", "sys/",
                    "dev/", "run/", "boot/", "var/lib/", "var/cache/", "var/log/")
# Top-level system directories: a WorkingDir there is no application directory.
SYSTEM_DIRS = frozenset({"", "usr", "etc", "var", "lib", "lib32", "lib64", "bin", "sbin",
                         "proc", "sys", "dev", "run", "boot", "tmp", "usr/local", "usr/lib",
                         "usr/share", "usr/bin", "opt"})


def is_app_dir(directory: str) -> bool:
    """True for a directory that may hold an application (``/app``, ``/srv/site``,
    ``/usr/src/app``), false for system and program directories (``/usr/local/bin``)."""
    if directory in SYSTEM_DIRS or directory.rsplit("/", 1)[-1] in ("bin", "sbin", "libexec"):
        return False
    return not directory.startswith(_SYSTEM_PREFIXES) or directory.startswith("usr/src/")


def drop_reason(path: str, root: str = "") -> str | None:
    """Why a file of the application or package directory ``root`` is left out (None: it
    ships). It is judged by its path inside ``root``: an application under ``/usr/src`` is not
    a header, a package under ``/usr/share/nodejs`` is not documentation."""
    if root and path.startswith(root + "/"):
        path = path[len(root) + 1:]
    name = path.rsplit("/", 1)[-1]
    if name in _DEV_FILES or (name.startswith(_DEV_PREFIXES) and "." in name):
        return "development configuration"
    if name.startswith(("Dockerfile", "Containerfile")) or name.endswith(".dockerfile"):
        return "source file (container build recipe)"
    if name.endswith((".ts", ".tsx", ".mts", ".cts")) and not name.endswith(".d.ts"):
        return "TypeScript source (the compiled JavaScript runs)"
    if path_secret(path) is not None:
        return "possible secret (by its name)"
    category = classify_path(path)
    if category in DROP and category is not None:
        return f"{category.value} file"
    inside = classify_path(f"{path}/_")  # a directory named tests/, .git/, …
    if inside in (Category.TESTS, Category.SOURCE, Category.CACHE) and inside is not None \
            and classify_path(f"{path.rpartition('/')[0]}/_") is None:
        return f"{inside.value} directory"
    return None


__all__ = ["DROP", "SYSTEM_DIRS", "drop_reason", "is_app_dir"]
