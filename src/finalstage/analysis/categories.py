"""Content categories and the path tables that define them (data, not code).

Every table here is plain data so that a reviewer can read what finalstage calls a compiler or a
cache without reading the matcher. ``classify.py`` compiles these tables once, at import, into
dict lookups; nothing here is evaluated per entry.

Path patterns are relative to the image root, ``/``-separated, and match the named directory (or
file) and everything below it. A component may end in ``*`` (``usr/lib/llvm-*``) or be exactly ``*``
(any one component). ``~`` stands for a home directory: ``root`` or ``home/<user>``.
"""

from __future__ import annotations

import enum


class Category(enum.StrEnum):
    """What a file is for, from the point of view of a final runtime image."""

    COMPILER = "compiler"                # compilers and toolchains (gcc, go, rustc, JDK, dotnet SDK)
    BUILD_TOOL = "build-tool"            # make, cmake, maven, gradle, setuptools…
    PACKAGE_MANAGER = "package-manager"  # dpkg/apt, apk, rpm/dnf, pip, npm, gem, composer
    SHELL = "shell"                      # shells and coreutils: information only
    HEADERS = "headers"                  # C headers, static libraries, pkg-config files
    DEBUG = "debug"                      # debug info: /usr/lib/debug, *.debug, unstripped ELF
    DOCS = "docs"                        # docs, man and info pages, locales
    CACHE = "cache"                      # package manager and build caches
    SOURCE = "source"                    # source code, build files and VCS metadata
    TESTS = "tests"                      # test suites and test files
    DEV_DEPENDENCY = "dev-dependency"    # development dependencies (npm dev, pytest, mypy…)
    SECRET = "secret"                    # private keys, credentials, .env (paths only)

    @property
    def label(self) -> str:
        """A short human title for tables and reports."""
        return _TITLES[self]


_TITLES = {
    Category.COMPILER: "compilers and toolchains",
    Category.BUILD_TOOL: "build tools",
    Category.PACKAGE_MANAGER: "package managers",
    Category.SHELL: "shells and coreutils",
    Category.HEADERS: "headers and static libraries",
    Category.DEBUG: "debug information",
    Category.DOCS: "documentation, man pages and locales",
    Category.CACHE: "caches",
    Category.SOURCE: "source code and VCS",
    Category.TESTS: "tests",
    Category.DEV_DEPENDENCY: "development dependencies",
    Category.SECRET: "secrets",
}

# Directory trees, by category. Earlier categories in PREFIX_PRECEDENCE win when two patterns match
# the same path (the Go toolchain's *.go files are the compiler, not "source").
PREFIXES: dict[Category, tuple[str, ...]] = {
    Category.CACHE: (
        "var/cache/apt", "var/lib/apt/lists", "var/cache/apk", "etc/apk/cache",
        "var/cache/dnf", "var/cache/yum", "var/cache/zypp",
        "~/.cache", "~/.npm", "~/.yarn/cache", "~/.yarn-cache", "usr/local/share/.cache",
        "~/.pnpm-store", "~/.local/share/pnpm/store",
        "go/pkg/mod", "~/go/pkg/mod", "go/pkg/sumdb",
        "~/.m2/repository", "~/.gradle/caches", "~/.gradle/daemon", "~/.gradle/native",
        "~/.cargo/registry", "~/.cargo/git", "usr/local/cargo/registry", "usr/local/cargo/git",
        "~/.composer/cache", "~/.bundle/cache", "~/.gem/specs", "~/.nuget/packages",
        "tmp/.cache",
    ),
    Category.COMPILER: (
        "usr/lib/gcc", "usr/libexec/gcc", "usr/lib/gcc-cross", "usr/lib/llvm-*", "usr/lib/clang",
        "usr/local/go", "usr/lib/go", "usr/lib/go-*", "usr/share/go-*",
        "usr/local/rustup", "usr/local/cargo/bin", "~/.rustup", "~/.cargo/bin",
        "usr/lib/jvm/*/jmods", "usr/lib/jvm/*/bin/javac", "usr/lib/jvm/*/lib/tools.jar",
        "opt/java/openjdk/jmods", "opt/java/openjdk/bin/javac", "usr/local/openjdk-*/jmods",
        "usr/local/openjdk-*/bin/javac",
        "usr/share/dotnet/sdk", "usr/share/dotnet/sdk-manifests", "usr/share/dotnet/templates",
        "usr/lib/dotnet/sdk", "usr/lib/dotnet/sdk-manifests", "usr/lib/dotnet/templates",
        "~/.cache/node-gyp", "~/.node-gyp",
    ),
    Category.BUILD_TOOL: (
        "usr/share/maven", "usr/share/gradle", "opt/gradle", "opt/maven", "usr/share/java/maven*",
        "usr/share/cmake", "usr/share/cmake-*", "usr/share/automake-*", "usr/share/autoconf",
        "usr/share/aclocal", "usr/share/aclocal-*", "usr/share/libtool", "usr/share/meson",
        "~/.m2", "~/.gradle", "usr/lib/node_modules/node-gyp", "usr/local/lib/node_modules/node-gyp",
    ),
    Category.PACKAGE_MANAGER: (
        "usr/lib/apt", "usr/lib/dpkg", "usr/share/dpkg", "usr/libexec/dpkg",
        "usr/lib/rpm", "usr/lib/yum-plugins", "usr/share/yum-cli",
        "usr/local/lib/node_modules/npm", "usr/lib/node_modules/npm",
        "usr/local/lib/node_modules/corepack", "usr/lib/node_modules/corepack",
        "usr/local/lib/node_modules/yarn", "usr/local/lib/node_modules/pnpm", "opt/yarn-*",
        "~/.local/share/pnpm", "usr/share/composer",
    ),
    Category.DEBUG: ("usr/lib/debug",),
    Category.DOCS: (
        "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/i18n",
        "usr/share/gtk-doc", "usr/share/help", "usr/share/lintian", "usr/share/linda",
        "usr/local/share/man", "usr/local/share/doc", "usr/lib/locale", "usr/share/doc-base",
        "usr/local/man",
    ),
    Category.HEADERS: ("usr/include", "usr/local/include", "usr/src",
                       "usr/lib/python3*/config-*", "usr/local/lib/python3*/config-*"),
}

PREFIX_PRECEDENCE: tuple[Category, ...] = (
    Category.CACHE, Category.COMPILER, Category.PACKAGE_MANAGER, Category.BUILD_TOOL,
    Category.DEBUG, Category.DOCS, Category.HEADERS,
)

# Executables, by base name, when they sit in a bin/sbin directory. Names are matched as they are,
# then with a target-triple prefix and a version suffix removed (x86_64-linux-gnu-gcc-12 → gcc).
BIN_NAMES: dict[Category, tuple[str, ...]] = {
    Category.COMPILER: (
        "gcc", "g++", "cc", "c++", "cpp", "cc1", "cc1plus", "gfortran", "clang", "clang++",
        "clang-cpp", "tcc", "as", "ld", "ld.bfd", "ld.gold", "ld.lld", "lld", "gold", "objdump",
        "objcopy", "strip", "ar", "ranlib", "nm", "readelf", "go", "gofmt", "rustc", "cargo",
        "rustup", "rustdoc", "javac", "jlink", "jar", "jdeps", "jmod", "kotlinc", "scalac",
        "dotnet-sdk", "node-gyp", "tsc", "swiftc", "zig", "musl-gcc",
    ),
    Category.BUILD_TOOL: (
        "make", "gmake", "cmake", "ctest", "cpack", "ninja", "meson", "scons", "bazel",
        "bazelisk", "autoconf", "autoreconf", "autoheader", "automake", "aclocal", "libtool",
        "libtoolize", "m4", "pkg-config", "pkgconf", "mvn", "mvnw", "gradle", "gradlew", "ant",
        "sbt", "bison", "flex", "yacc", "lex", "patch", "dpkg-buildpackage", "rpmbuild",
    ),
    Category.PACKAGE_MANAGER: (
        "dpkg", "apt", "apt-get", "apt-cache", "apt-config", "apt-key", "apt-mark", "aptitude",
        "apk", "rpm", "rpmdb", "rpmkeys", "dnf", "yum", "microdnf", "tdnf", "zypper",
        "pip", "pipx", "pipenv", "poetry", "uv", "conda", "mamba", "micromamba",
        "npm", "npx", "yarn", "yarnpkg", "pnpm", "pnpx", "corepack", "bun",
        "gem", "bundle", "bundler", "composer", "nuget", "cpan", "cpanm",
    ),
    Category.DEV_DEPENDENCY: (
        "pytest", "py.test", "mypy", "dmypy", "stubgen", "black", "ruff", "flake8", "pylint",
        "isort", "coverage", "tox", "nox", "pre-commit", "ipython", "bandit", "pyright",
        "eslint", "prettier", "jest", "mocha", "nodemon", "ts-node",
    ),
    Category.SHELL: (
        "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "busybox",
        "ls", "cp", "mv", "rm", "cat", "chmod", "chown", "ln", "mkdir", "rmdir", "touch", "echo",
        "env", "head", "tail", "sort", "uniq", "wc", "cut", "tr", "tee", "date", "dd", "df", "du",
        "id", "whoami", "uname", "sleep", "true", "false", "test", "[", "printf", "pwd", "stat",
        "basename", "dirname", "readlink", "realpath", "sed", "grep", "egrep", "fgrep", "awk",
        "gawk", "mawk", "find", "xargs", "tar", "gzip", "gunzip", "zcat", "ps", "kill", "mount",
        "umount", "su", "login", "more", "less", "vi", "chgrp", "md5sum", "sha256sum", "install",
        "mktemp", "nohup", "seq", "split", "yes", "diff", "cmp", "which", "hostname", "nproc",
    ),
}

# Families: names starting with "<family>-" (gcc-ar, dpkg-query, apt-ftparchive, llvm-ar).
BIN_FAMILIES: dict[str, Category] = {
    "gcc": Category.COMPILER, "clang": Category.COMPILER, "llvm": Category.COMPILER,
    "cargo": Category.COMPILER, "rust": Category.COMPILER,
    "dpkg": Category.PACKAGE_MANAGER, "apt": Category.PACKAGE_MANAGER,
    "rpm": Category.PACKAGE_MANAGER, "dnf": Category.PACKAGE_MANAGER,
    "yum": Category.PACKAGE_MANAGER, "pip": Category.PACKAGE_MANAGER,
    "debconf": Category.PACKAGE_MANAGER, "automake": Category.BUILD_TOOL,
    "aclocal": Category.BUILD_TOOL, "autoconf": Category.BUILD_TOOL,
}

# Directories whose children are executables looked up in BIN_NAMES.
BIN_DIRS: frozenset[str] = frozenset({"bin", "sbin", "libexec"})

# Python distributions (the directory under site-packages / dist-packages, or the name part of
# NAME-VERSION.dist-info), normalised to lower case with "-" for "_".
PYTHON_PACKAGES: dict[Category, tuple[str, ...]] = {
    Category.PACKAGE_MANAGER: ("pip", "pipenv", "poetry", "pipx", "uv", "conda", "dnf", "yum",
                               "rpm", "apt", "apt-pkg", "aptsources", "debconf"),
    Category.BUILD_TOOL: ("setuptools", "wheel", "distutils-precedence.pth", "-distutils-hack",
                          "cython", "meson", "mesonbuild", "scikit-build", "maturin",
                          "hatchling", "flit-core", "poetry-core", "pdm-backend", "build",
                          "pkg-resources"),
    Category.DEV_DEPENDENCY: (
        "pytest", "-pytest", "py", "pluggy", "iniconfig", "mypy", "mypyc", "black", "blib2to3",
        "ruff", "flake8", "pyflakes", "pycodestyle", "pylint", "astroid", "isort", "coverage",
        "pytest-cov", "pytest-mock", "pytest-asyncio", "pytest-xdist", "tox", "nox", "pre-commit",
        "hypothesis", "ipython", "ipdb", "pdbpp", "bandit", "pyright", "twine", "virtualenv",
        "mccabe", "pydocstyle", "freezegun",
    ),
}

PYTHON_SITE_DIRS: frozenset[str] = frozenset({"site-packages", "dist-packages"})

# Any path component with one of these names marks the rest of the path.
COMPONENTS: dict[str, Category] = {
    ".git": Category.SOURCE, ".hg": Category.SOURCE, ".svn": Category.SOURCE,
    ".github": Category.SOURCE, ".gitlab": Category.SOURCE, ".circleci": Category.SOURCE,
    ".vscode": Category.SOURCE, ".idea": Category.SOURCE,
    "tests": Category.TESTS, "test": Category.TESTS, "__tests__": Category.TESTS,
    "spec": Category.TESTS, "testdata": Category.TESTS, "__mocks__": Category.TESTS,
    "__snapshots__": Category.TESTS,
    ".pytest_cache": Category.CACHE, ".mypy_cache": Category.CACHE, ".ruff_cache": Category.CACHE,
    ".tox": Category.CACHE, ".nox": Category.CACHE,
    ".parcel-cache": Category.CACHE, ".eslintcache": Category.CACHE, ".gradle": Category.CACHE,
    ".terraform": Category.CACHE,
}

# Base names of files (exact).
FILE_NAMES: dict[str, Category] = {
    "Dockerfile": Category.SOURCE, "Containerfile": Category.SOURCE,
    ".dockerignore": Category.SOURCE, ".gitignore": Category.SOURCE,
    ".gitattributes": Category.SOURCE, ".gitmodules": Category.SOURCE,
    ".editorconfig": Category.SOURCE, "Makefile": Category.SOURCE, "makefile": Category.SOURCE,
    "GNUmakefile": Category.SOURCE, "CMakeLists.txt": Category.SOURCE,
    "go.mod": Category.SOURCE, "go.sum": Category.SOURCE, "go.work": Category.SOURCE,
    "Cargo.toml": Category.SOURCE, "Cargo.lock": Category.SOURCE,
    "pom.xml": Category.SOURCE, "build.gradle": Category.SOURCE,
    "build.gradle.kts": Category.SOURCE, "settings.gradle": Category.SOURCE,
    "settings.gradle.kts": Category.SOURCE, "tsconfig.json": Category.SOURCE,
    "tsconfig.build.json": Category.SOURCE, "webpack.config.js": Category.SOURCE,
    "vite.config.js": Category.SOURCE, "vite.config.ts": Category.SOURCE,
    "babel.config.js": Category.SOURCE, ".babelrc": Category.SOURCE,
    ".eslintrc": Category.SOURCE, ".eslintrc.js": Category.SOURCE,
    ".eslintrc.json": Category.SOURCE, ".eslintrc.yml": Category.SOURCE,
    ".prettierrc": Category.SOURCE, ".travis.yml": Category.SOURCE,
    "jest.config.js": Category.SOURCE, "jest.config.ts": Category.SOURCE,
    "conftest.py": Category.TESTS, "pytest.ini": Category.TESTS, "tox.ini": Category.TESTS,
    ".coveragerc": Category.TESTS, "noxfile.py": Category.TESTS,
    "README": Category.DOCS, "README.md": Category.DOCS, "README.rst": Category.DOCS,
    "README.txt": Category.DOCS, "readme.md": Category.DOCS, "Readme.md": Category.DOCS,
    "CHANGELOG": Category.DOCS, "CHANGELOG.md": Category.DOCS, "CHANGES.md": Category.DOCS,
    "CHANGES": Category.DOCS, "HISTORY.md": Category.DOCS, "History.md": Category.DOCS,
    "CONTRIBUTING.md": Category.DOCS, "changelog.md": Category.DOCS, "NEWS": Category.DOCS,
}

# File name suffixes (the longest matching suffix wins; matched on the lower-cased last one or
# two dot-separated parts).
SUFFIXES: dict[str, Category] = {
    # source code of compiled or transpiled languages (interpreted code is the runtime itself)
    ".c": Category.SOURCE, ".cc": Category.SOURCE, ".cpp": Category.SOURCE,
    ".cxx": Category.SOURCE, ".go": Category.SOURCE, ".rs": Category.SOURCE,
    ".java": Category.SOURCE, ".kt": Category.SOURCE, ".kts": Category.SOURCE,
    ".scala": Category.SOURCE, ".cs": Category.SOURCE, ".fs": Category.SOURCE,
    ".vb": Category.SOURCE, ".swift": Category.SOURCE, ".m": Category.SOURCE,
    ".mm": Category.SOURCE, ".ts": Category.SOURCE, ".tsx": Category.SOURCE,
    ".mts": Category.SOURCE, ".cts": Category.SOURCE, ".jsx": Category.SOURCE,
    ".vue": Category.SOURCE, ".svelte": Category.SOURCE, ".zig": Category.SOURCE,
    ".hs": Category.SOURCE, ".elm": Category.SOURCE, ".scss": Category.SOURCE,
    ".sass": Category.SOURCE, ".less": Category.SOURCE, ".coffee": Category.SOURCE,
    ".d.ts": Category.HEADERS, ".d.mts": Category.HEADERS, ".d.cts": Category.HEADERS,
    ".ts.map": Category.DEBUG, ".js.map": Category.DEBUG, ".css.map": Category.DEBUG,
    ".mjs.map": Category.DEBUG, ".cjs.map": Category.DEBUG,
    # headers and static libraries
    ".h": Category.HEADERS, ".hh": Category.HEADERS, ".hpp": Category.HEADERS,
    ".hxx": Category.HEADERS, ".a": Category.HEADERS, ".la": Category.HEADERS,
    ".pc": Category.HEADERS, ".prl": Category.HEADERS,
    # debug information
    ".debug": Category.DEBUG, ".pdb": Category.DEBUG, ".dwo": Category.DEBUG,
    ".dwp": Category.DEBUG,
    # documentation and man pages
    ".md": Category.DOCS, ".markdown": Category.DOCS, ".rst": Category.DOCS,
    ".1.gz": Category.DOCS, ".8.gz": Category.DOCS, ".info.gz": Category.DOCS,
    # tests
    "_test.go": Category.TESTS, ".test.js": Category.TESTS, ".spec.js": Category.TESTS,
    ".test.ts": Category.TESTS, ".spec.ts": Category.TESTS, ".test.jsx": Category.TESTS,
    ".test.tsx": Category.TESTS, ".spec.tsx": Category.TESTS, ".test.mjs": Category.TESTS,
    ".spec.mjs": Category.TESTS, ".test.cjs": Category.TESTS, "_test.py": Category.TESTS,
    "_spec.rb": Category.TESTS, "_test.rb": Category.TESTS,
    # package-manager leftovers
    ".deb": Category.CACHE, ".rpm": Category.CACHE, ".apk": Category.CACHE,
    ".whl": Category.CACHE,
}

# Base-name prefixes for tests (test_foo.py).
TEST_FILE_PREFIXES: tuple[str, ...] = ("test_",)
TEST_FILE_PREFIX_SUFFIXES: tuple[str, ...] = (".py",)

# Tool-owned caches of compiled Python (pip's own __pycache__ is a package-manager byte; an
# application's __pycache__ is a startup optimisation and stays unclassified).
PYCACHE = "__pycache__"
