"""Python distributions: the venv's own real dist-info dirs vs importlib.metadata; samples."""

from __future__ import annotations

import importlib.metadata
import sysconfig
from pathlib import Path

import pytest

from finalstage.analysis.analyze import analyze
from finalstage.analysis.capture import ALL, reduce, wants
from finalstage.analysis.categories import Category
from finalstage.analysis.entry import Entry
from finalstage.analysis.packages import python


def test_venv_dist_info_matches_importlib_metadata() -> None:
    site = Path(sysconfig.get_paths()["purelib"])
    root = Path("/")
    entries: list[Entry] = []
    captured: dict[str, object] = {}
    for dist_info in sorted(site.glob("*.dist-info")):
        for name in ("METADATA", "RECORD"):
            file = dist_info / name
            if not file.exists():
                continue
            path = str(file.relative_to(root))
            data = file.read_bytes()
            entries.append(Entry(path, size=len(data)))
            want = wants(path, len(data))
            assert want, path
            kept = reduce(path, data if want == ALL else data[:want])
            captured[path] = kept
    analysis = analyze(entries, captured)
    ours = {(python.normalize_name(p.name), p.version) for p in analysis.packages}
    expected = {
        (python.normalize_name(d.metadata["Name"]), d.version)
        for d in importlib.metadata.distributions(path=[str(site)])
        if d.metadata["Name"] and Path(str(d._path)).suffix == ".dist-info"  # type: ignore[attr-defined]
    }
    assert len(expected) > 10
    assert ours == expected
    pytest_dist = next(p for p in analysis.packages if p.name == "pytest")
    assert pytest_dist.is_dev
    # RECORD paths are resolved against site-packages (the venv lives under /work/main)
    assert any(f.endswith("/_pytest/python.py") for f in pytest_dist.files)
    assert not next(p for p in analysis.packages if p.name.lower() == "httpx").is_dev


def test_metadata_headers_only() -> None:
    data = b"Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.3\n\nName: not-this\n"
    assert python.parse_metadata(data) == ("Flask", "3.0.3")
    assert python.parse_metadata(b"\xff\xfe garbage") == ("", "")


def test_record_paths_and_sizes() -> None:
    record = (b"flask/__init__.py,sha256=abc,2603\n"
              b"../../../bin/flask,sha256=def,220\n"
              b"flask-3.0.3.dist-info/RECORD,,\n"
              b"../../../../../../../../etc/passwd,,\n")
    files, total = python.parse_record(record, "usr/local/lib/python3.12/site-packages")
    assert files == ("usr/local/lib/python3.12/site-packages/flask/__init__.py",
                     "usr/local/bin/flask",
                     "usr/local/lib/python3.12/site-packages/flask-3.0.3.dist-info/RECORD")
    assert total == 2823


def test_dev_requirements_mark_packages_dev() -> None:
    site = "usr/local/lib/python3.12/site-packages"
    files = {
        f"{site}/factory_boy-3.3.0.dist-info/METADATA": b"Name: factory_boy\nVersion: 3.3.0\n",
        f"{site}/flask-3.0.3.dist-info/METADATA": b"Name: Flask\nVersion: 3.0.3\n",
        f"{site}/broken-1.0.dist-info/METADATA": b"Version: 1.0\n",
        "app/requirements-dev.txt": b"-r requirements.txt\nfactory-boy==3.3.0  # fixtures\n",
        f"{site}/factory/__init__.py": b"x" * 10,
    }
    files[f"{site}/factory_boy-3.3.0.dist-info/RECORD"] = b"factory/__init__.py,,10\n"
    entries = [Entry(p, size=len(d)) for p, d in files.items()]
    captured = {p: reduce(p, d) for p, d in files.items() if wants(p, len(d))}
    analysis = analyze(entries, captured)
    by_name = {p.name: p for p in analysis.packages}
    assert by_name["factory_boy"].is_dev and not by_name["Flask"].is_dev
    assert analysis.category_of[f"{site}/factory/__init__.py"] == Category.DEV_DEPENDENCY
    expected = f"/{site}/broken-1.0.dist-info/METADATA: no Name header: distribution skipped"
    assert analysis.warnings == (expected,)


@pytest.mark.parametrize("text,names", [
    (b"pytest==8.0\nblack>=24 ; python_version>'3.8'\n# c\n-e .\ngit+https://x/y.git\n",
     {"pytest", "black"}),
    (b"\xff\xfe\x00", set()),
    (b"Django_Extensions[all]~=3.2\n", {"django-extensions"}),
])
def test_parse_requirements(text: bytes, names: set[str]) -> None:
    assert python.parse_requirements(text) == frozenset(names)
