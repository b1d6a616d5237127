"""npm: manifests, lockfiles v1/v2/v3, dev flags, malformed and oversized input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import ALL, reduce, wants
from finalstage.analysis.categories import Category
from finalstage.analysis.entry import Entry
from finalstage.analysis.packages.model import Ecosystem
from finalstage.analysis.capture import CAP_LOCKFILE
from finalstage.analysis.packages import node

LOCK_V3 = {
    "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
    "packages": {
        "": {"name": "app", "dependencies": {"express": "4.21.2"},
             "devDependencies": {"jest": "29.7.0"}},
        "node_modules/express": {"version": "4.21.2"},
        "node_modules/jest": {"version": "29.7.0", "dev": True},
        "node_modules/@jest/core": {"version": "29.7.0", "dev": True},
        "node_modules/jest/node_modules/ms": {"version": "2.1.3", "dev": True},
        "node_modules/ms": {"version": "2.0.0"},
    },
}
LOCK_V1 = {
    "name": "app", "lockfileVersion": 1,
    "dependencies": {
        "express": {"version": "4.17.1", "dependencies": {"ms": {"version": "2.0.0"}}},
        "mocha": {"version": "10.0.0", "dev": True},
    },
}


def _manifest(name: str, version: str) -> bytes:
    return json.dumps({"name": name, "version": version}).encode()


def test_lockfile_v3() -> None:
    entries = node.parse_lockfile(json.dumps(LOCK_V3).encode(), "app/package-lock.json")
    by_path = {e.path: e for e in entries}
    assert by_path["node_modules/jest"].is_dev
    assert by_path["node_modules/@jest/core"].name == "@jest/core"
    assert not by_path["node_modules/express"].is_dev
    assert by_path["node_modules/jest/node_modules/ms"].name == "ms"


def test_lockfile_v1_nested() -> None:
    entries = node.parse_lockfile(json.dumps(LOCK_V1).encode(), "package-lock.json")
    assert {(e.path, e.is_dev) for e in entries} == {
        ("node_modules/express", False), ("node_modules/express/node_modules/ms", False),
        ("node_modules/mocha", True)}


@pytest.mark.parametrize(("path", "expected"), [
    ("app/node_modules/express/lib/router.js", "app/node_modules/express"),
    ("app/node_modules/@jest/core/build/x.js", "app/node_modules/@jest/core"),
    ("node_modules/a/node_modules/b/package.json", "node_modules/a/node_modules/b"),
    ("node_modules/a", "node_modules/a"),
    ("app/src/index.js", None),
    ("my_node_modules/a/b.js", None),
])
def test_package_dir(path: str, expected: str | None) -> None:
    assert node.package_dir(path) == expected


def _image(lock: bytes | None, *, app_manifest: bytes | None = None,
           lock_name: str = "app/package-lock.json") -> tuple[list[Entry], dict[str, object]]:
    files = {
        "app/node_modules/express/package.json": _manifest("express", "4.21.2"),
        "app/node_modules/express/index.js": b"x" * 1000,
        "app/node_modules/ms/package.json": _manifest("ms", "2.0.0"),
        "app/node_modules/jest/package.json": _manifest("jest", "29.7.0"),
        "app/node_modules/jest/README.md": b"r" * 300,
        "app/node_modules/jest/build/jest.js": b"j" * 5000,
        "app/node_modules/jest/node_modules/ms/package.json": _manifest("ms", "2.1.3"),
        "app/node_modules/@jest/core/package.json": _manifest("@jest/core", "29.7.0"),
        "app/node_modules/@jest/core/build/index.js": b"c" * 7000,
        "app/node_modules/express/lib/package.json": b'{"type": "commonjs"}',
        "app/server.js": b"s" * 100,
    }
    if lock is not None:
        files[lock_name] = lock
    if app_manifest is not None:
        files["app/package.json"] = app_manifest
    entries = [Entry(p, size=len(d)) for p, d in files.items()]
    captured: dict[str, object] = {}
    for path, data in files.items():
        want = wants(path, len(data))
        if want:
            kept = reduce(path, data if want == ALL else data[:want])
            if kept is not None:
                captured[path] = kept
    return entries, captured


def test_dev_dependencies_from_lockfile() -> None:
    analysis = analyze(*_image(json.dumps(LOCK_V3).encode()))
    npm = {(p.location, p.name): p for p in analysis.packages if p.ecosystem == Ecosystem.NPM}
    assert len(npm) == 5  # the nested lib/package.json is not a package
    dev = {p.name for p in npm.values() if p.is_dev}
    assert dev == {"jest", "@jest/core", "ms"}  # ms here is jest's nested 2.1.3 copy
    assert not npm[("app/node_modules/ms/package.json", "ms")].is_dev
    stats = analysis.categories[Category.DEV_DEPENDENCY]
    # all files of dev packages, README included: 3 manifests + README + 2 build files
    assert stats.bytes == 300 + 5000 + 7000 + sum(
        len(_manifest(n, v)) for n, v in [("jest", "29.7.0"), ("@jest/core", "29.7.0"),
                                          ("ms", "2.1.3")])
    assert npm[("app/node_modules/jest/package.json", "jest")].bytes == (
        300 + 5000 + len(_manifest("jest", "29.7.0")))


def test_hidden_lockfile_is_used() -> None:
    analysis = analyze(*_image(json.dumps(LOCK_V3).encode(),
                               lock_name="app/node_modules/.package-lock.json"))
    assert {p.name for p in analysis.packages if p.is_dev} == {"jest", "@jest/core", "ms"}


def test_dev_dependencies_without_lockfile_use_app_manifest() -> None:
    app = json.dumps({"name": "app", "dependencies": {"express": "*"},
                      "devDependencies": {"jest": "*"}}).encode()
    analysis = analyze(*_image(None, app_manifest=app))
    # without a lockfile only top-level devDependencies are known
    assert {p.name for p in analysis.packages if p.is_dev} == {"jest"}


@pytest.mark.parametrize("garbage", [
    b"\x00\x01\x02\xff" * 64, b"", b"[1, 2, 3]", b'{"packages": 12}', b"{" * 100_000,
    b'{"lockfileVersion": 3, "packages": {"node_modules/x": "not an object"}}',
])
def test_garbage_lockfile_is_a_warning(garbage: bytes) -> None:
    analysis = analyze(*_image(garbage))
    assert len([p for p in analysis.packages if p.ecosystem == Ecosystem.NPM]) == 5
    if garbage.startswith(b'{"lockfileVersion"'):
        assert analysis.warnings == ()
    else:
        assert any("app/package-lock.json" in w for w in analysis.warnings)


def test_garbage_package_json_is_a_warning() -> None:
    path = "app/node_modules/bad/package.json"
    analysis = analyze([Entry(path, size=6)], {path: b"\xff\xfe{{{{"})
    assert analysis.packages == ()
    assert len(analysis.warnings) == 1
    assert analysis.warnings[0].startswith("/app/node_modules/bad/package.json: invalid json: ")


def test_huge_lockfile_is_not_captured_and_warned() -> None:
    size = CAP_LOCKFILE + 1
    assert wants("app/package-lock.json", size) == 0
    analysis = analyze([Entry("app/package-lock.json", size=size)], {})
    assert len(analysis.warnings) == 1
    assert "over the" in analysis.warnings[0] and "cap" in analysis.warnings[0]


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=30))
def test_any_json_lockfile_never_raises(doc: object) -> None:
    data = json.dumps({"lockfileVersion": 2, "packages": doc, "dependencies": doc}).encode()
    analysis = analyze([Entry("package-lock.json", size=len(data))], {"package-lock.json": data})
    assert isinstance(analysis.warnings, tuple)
