"""Classification by path: hand-checked table of real-world paths → category."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finalstage.analysis.classify import classify
from finalstage.analysis.categories import Category
from finalstage.analysis.classify import classify_path
from finalstage.analysis.entry import Entry
from finalstage.analysis.classify import bin_category

C = Category

CASES = [
    # compilers and toolchains
    ("usr/bin/gcc-12", C.COMPILER),
    ("usr/bin/x86_64-linux-gnu-gcc-12", C.COMPILER),
    ("usr/bin/x86_64-alpine-linux-musl-gcc", C.COMPILER),
    ("usr/lib/gcc/x86_64-linux-gnu/12/cc1", C.COMPILER),
    ("usr/libexec/gcc/x86_64-alpine-linux-musl/12.2.1/cc1plus", C.COMPILER),
    ("usr/bin/clang++-14", C.COMPILER),
    ("usr/lib/llvm-14/bin/clang", C.COMPILER),
    ("usr/local/go/src/net/http/server.go", C.COMPILER),
    ("usr/local/go/bin/go", C.COMPILER),
    ("usr/lib/go-1.19/pkg/tool/linux_amd64/compile", C.COMPILER),
    ("usr/local/cargo/bin/rustc", C.COMPILER),
    ("root/.rustup/toolchains/stable/lib/librustc_driver.so", C.COMPILER),
    ("usr/lib/jvm/java-17-openjdk-amd64/jmods/java.base.jmod", C.COMPILER),
    ("usr/lib/jvm/java-17-openjdk-amd64/bin/javac", C.COMPILER),
    ("opt/java/openjdk/jmods/java.sql.jmod", C.COMPILER),
    ("usr/share/dotnet/sdk/8.0.100/Roslyn/bincore/csc.dll", C.COMPILER),
    ("usr/bin/ld.bfd", C.COMPILER),
    # not a compiler: the JRE's java launcher and the dotnet runtime
    ("usr/lib/jvm/java-17-openjdk-amd64/bin/java", None),
    ("usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/System.Private.CoreLib.dll", None),
    # build tools
    ("usr/bin/make", C.BUILD_TOOL),
    ("usr/bin/cmake", C.BUILD_TOOL),
    ("usr/share/cmake-3.25/Modules/FindZLIB.cmake", C.BUILD_TOOL),
    ("usr/bin/pkg-config", C.BUILD_TOOL),
    ("usr/share/maven/lib/maven-core-3.8.7.jar", C.BUILD_TOOL),
    ("root/.m2/settings-security.xml", C.BUILD_TOOL),
    ("home/app/.gradle/wrapper/dists/gradle-8.5-bin/gradle-8.5/lib/gradle-core.jar", C.BUILD_TOOL),
    ("usr/local/lib/python3.12/site-packages/setuptools/dist.py", C.BUILD_TOOL),
    ("usr/lib/python3/dist-packages/wheel-0.38.4.dist-info/METADATA", C.BUILD_TOOL),
    # package managers
    ("usr/bin/dpkg", C.PACKAGE_MANAGER),
    ("usr/bin/dpkg-query", C.PACKAGE_MANAGER),
    ("usr/bin/apt-get", C.PACKAGE_MANAGER),
    ("usr/lib/apt/methods/http", C.PACKAGE_MANAGER),
    ("sbin/apk", C.PACKAGE_MANAGER),
    ("usr/bin/microdnf", C.PACKAGE_MANAGER),
    ("usr/local/bin/pip3.12", C.PACKAGE_MANAGER),
    ("usr/local/lib/python3.12/site-packages/pip/_internal/cli/main.py", C.PACKAGE_MANAGER),
    ("usr/local/lib/python3.12/site-packages/pip/__pycache__/__init__.cpython-312.pyc",
     C.PACKAGE_MANAGER),
    ("usr/local/lib/node_modules/npm/lib/npm.js", C.PACKAGE_MANAGER),
    ("usr/local/lib/node_modules/corepack/dist/corepack.js", C.PACKAGE_MANAGER),
    ("opt/yarn-v1.22.19/bin/yarn.js", C.PACKAGE_MANAGER),
    ("usr/local/bin/bundle", C.PACKAGE_MANAGER),
    ("usr/bin/composer", C.PACKAGE_MANAGER),
    # shells and coreutils (information only)
    ("bin/sh", C.SHELL),
    ("bin/bash", C.SHELL),
    ("bin/busybox", C.SHELL),
    ("usr/bin/test", C.SHELL),
    # headers and static libraries
    ("usr/include/stdio.h", C.HEADERS),
    ("usr/lib/x86_64-linux-gnu/libc.a", C.HEADERS),
    ("usr/lib/x86_64-linux-gnu/pkgconfig/zlib.pc", C.HEADERS),
    ("app/node_modules/@types/node/fs.d.ts", C.HEADERS),
    ("usr/src/linux-headers-6.1.0-50-common/Makefile", C.HEADERS),
    ("usr/lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a", C.HEADERS),
    ("usr/lib/python3.11/config-3.11-x86_64-linux-gnu/Makefile", C.HEADERS),
    # debug info
    ("usr/lib/debug/.build-id/ab/cdef.debug", C.DEBUG),
    ("opt/app/libfoo.so.debug", C.DEBUG),
    ("app/dist/main.js.map", C.DEBUG),
    # docs, man pages, locales
    ("usr/share/doc/bash/copyright", C.DOCS),
    ("usr/share/man/man1/ls.1.gz", C.DOCS),
    ("usr/share/info/bash.info.gz", C.DOCS),
    ("usr/share/locale/de/LC_MESSAGES/coreutils.mo", C.DOCS),
    ("usr/lib/locale/locale-archive", C.DOCS),
    ("app/node_modules/express/README.md", C.DOCS),
    # caches
    ("var/cache/apt/archives/curl_7.88.1-10_amd64.deb", C.CACHE),
    ("var/lib/apt/lists/mirror.example_debian_dists_bookworm_InRelease", C.CACHE),
    ("var/cache/apk/APKINDEX.abc.tar.gz", C.CACHE),
    ("root/.cache/pip/http-v2/a/b/c", C.CACHE),
    ("root/.npm/_cacache/index-v5/00/11", C.CACHE),
    ("usr/local/share/.cache/yarn/v6/npm-lodash-4.17.21/package.json", C.CACHE),
    ("root/.cache/go-build/00/0a1b-d", C.CACHE),
    ("go/pkg/mod/github.com/gin-gonic/gin@v1.9.1/gin.go", C.CACHE),
    ("root/.m2/repository/org/slf4j/slf4j-api/2.0.9/slf4j-api-2.0.9.jar", C.CACHE),
    ("home/gradle/.gradle/caches/modules-2/files-2.1/x.jar", C.CACHE),
    ("app/.pytest_cache/v/cache/nodeids", C.CACHE),
    ("root/.cache/node-gyp/20.10.0/include/node/node.h", C.COMPILER),  # deeper pattern wins
    # source code and VCS
    ("app/.git/objects/pack/pack-1234.pack", C.SOURCE),
    ("src/main.go", C.SOURCE),
    ("app/src/index.ts", C.SOURCE),
    ("build/src/lib.rs", C.SOURCE),
    ("app/Dockerfile", C.SOURCE),
    ("app/go.mod", C.SOURCE),
    ("app/tsconfig.json", C.SOURCE),
    # tests
    ("app/tests/test_api.py", C.TESTS),
    ("app/src/__tests__/App.test.tsx", C.TESTS),
    ("app/pkg/server/server_test.go", C.TESTS),
    ("app/spec/models/user_spec.rb", C.TESTS),
    ("app/test_smoke.py", C.TESTS),
    ("app/src/app.spec.ts", C.TESTS),
    ("usr/lib/python3.11/test/test_os.py", C.TESTS),
    ("app/node_modules/qs/test/parse.js", C.TESTS),
    ("app/conftest.py", C.TESTS),
    # Python dev tools by name
    ("usr/local/lib/python3.12/site-packages/pytest/__init__.py", C.DEV_DEPENDENCY),
    ("usr/local/lib/python3.12/site-packages/_pytest/python.py", C.DEV_DEPENDENCY),
    ("usr/local/lib/python3.12/site-packages/mypy-1.8.0.dist-info/RECORD", C.DEV_DEPENDENCY),
    ("usr/local/lib/python3.12/site-packages/black/__init__.py", C.DEV_DEPENDENCY),
    ("usr/local/bin/pytest", C.DEV_DEPENDENCY),
    # secrets that need no content to be secrets
    ("root/.ssh/id_rsa", C.SECRET),
    ("home/app/.ssh/id_ed25519", C.SECRET),
    ("root/.aws/credentials", C.SECRET),
    ("app/.git-credentials", C.SECRET),
    ("app/certs/server.p12", C.SECRET),
    # runtime content: nothing to report
    ("app/server.js", None),
    ("app/main.py", None),
    ("app/__pycache__/main.cpython-312.pyc", None),
    ("usr/lib/x86_64-linux-gnu/libssl.so.3", None),
    ("usr/local/bin/node", None),
    ("usr/bin/python3.11", None),
    ("etc/passwd", None),
    ("usr/share/zoneinfo/Europe/Paris", None),
    ("etc/ssl/certs/ca-certificates.crt", None),
    ("app/node_modules/express/lib/router/index.js", None),
    ("usr/local/lib/python3.12/site-packages/flask/app.py", None),
    # content-checked secret candidates are not secrets by name alone
    ("app/.env", None),
    ("app/config/tls.key", None),
    ("root/.npmrc", None),
    ("etc/ssl/certs/ISRG_Root_X1.pem", None),
    # public keys are not secrets
    ("root/.ssh/id_rsa.pub", None),
    ("app/.env.example", None),
]


@pytest.mark.parametrize(("path", "expected"), CASES, ids=[c[0] for c in CASES])
def test_classify_path(path: str, expected: Category | None) -> None:
    assert classify_path(path) == expected


@pytest.mark.parametrize("prefix", ["", "/", "./"])
def test_classify_accepts_leading_slash_and_dot(prefix: str) -> None:
    assert classify(Entry(prefix + "usr/bin/gcc")) == Category.COMPILER


def test_directories_classified_by_their_own_name() -> None:
    assert classify(Entry("app/tests", kind="dir")) == Category.TESTS
    assert classify(Entry("app/.git", kind="dir")) == Category.SOURCE
    assert classify(Entry("usr/share/doc", kind="dir")) == Category.DOCS
    # a directory is never a secret, whatever its name
    assert classify(Entry("root/.ssh/id_rsa", kind="dir")) is None


def test_bin_name_normalisation() -> None:
    assert bin_category("aarch64-linux-gnu-g++-12") == Category.COMPILER
    assert bin_category("x86_64-pc-linux-gnu-gcc") == Category.COMPILER
    assert bin_category("llvm-ar-14") == Category.COMPILER
    assert bin_category("python3.12") is None
    assert bin_category("node") is None


def test_empty_and_odd_paths_do_not_crash() -> None:
    for path in ["", ".", "/", "a//b", "\udcff\udcfe", "x" * 5000, "node_modules", "~"]:
        classify_path(path.strip("/"))


def test_categories_have_titles() -> None:
    assert all(c.label for c in Category)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["usr", "lib", "bin", "root", "home", "node_modules", "tests",
                                 "site-packages", "pip", ".git", "~", "", "go", "*", "x.py",
                                 "a.d.ts", ".env", "id_rsa", "gcc-12", "llvm-14", "jvm"])
                | st.text(max_size=6), max_size=8),
       st.sampled_from(["file", "dir", "symlink", "f", "d"]))
def test_classify_never_raises_and_is_stable(parts: list[str], kind: str) -> None:
    path = "/".join(parts)
    first = classify_path(path, kind)
    assert first is None or isinstance(first, Category)
    assert classify_path(path, kind) == first  # the directory cache does not change answers


_ORDER_PATHS = [
    "root/.cache/pip/http-v2/a/b", "home/alice/.npm/_cacache/x", "home/alice/notes.md",
    "home/x", "root/.rustup/toolchains/x.so", "usr/lib/python3/site-packages/pytest/x.py",
    "usr/lib/python3/site-packages/foo/tests/x.py", "usr/lib/python3/site-packages/x.py",
    "usr/lib/python3/dist-packages/pip-23.0.dist-info/RECORD", "usr/lib/llvm-14/bin/clang",
    "usr/local/go/src/net/http/server.go", "app/.git/objects/ab/cd", "app/node_modules/a/b.js",
    "usr/lib/jvm/java-17/jmods/java.base.jmod", "usr/bin/x86_64-linux-gnu-gcc-12",
]


@settings(max_examples=60, deadline=None)
@given(st.permutations(_ORDER_PATHS))
def test_directory_facts_do_not_depend_on_the_order_directories_are_seen(
        order: list[str]) -> None:
    """A directory's facts are derived from its parent's, cached: whichever directory is seen
    first (a deep one before its parents, or after), each path gets the same category."""
    import sys

    module = sys.modules["finalstage.analysis.classify"]  # (the package re-exports a function)
    module._DIR_CACHE.clear()
    module._NAME_CACHE.clear()
    expected = {path: classify_path(path) for path in _ORDER_PATHS}
    module._DIR_CACHE.clear()
    module._NAME_CACHE.clear()
    assert {path: classify_path(path) for path in order} == expected
    assert expected["home/alice/.npm/_cacache/x"] == Category.CACHE
    assert expected["usr/lib/python3/site-packages/foo/tests/x.py"] == Category.TESTS
    assert expected["usr/lib/python3/site-packages/pytest/x.py"] == Category.DEV_DEPENDENCY
