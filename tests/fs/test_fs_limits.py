"""The path and per-image limits, and the ``--limit NAME=VALUE`` option that raises or lowers
any limit on ``inspect``, ``ls`` and ``check``.

Each limit is tripped with a tiny archive built here (``tarfile``, tests/data/make_layers.py) and
a lowered limit, through the library and through the CLI; raising the limit lets the same
archive through.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from make_layers import F, docker_archive, layer

from finalstage.errors import UnsafeArchiveError, UsageError
from finalstage.fs.merge import merged_tree
from finalstage.image.image import Image
from finalstage.image.open import open_core
from finalstage.limits import DEFAULT_LIMITS, LIMIT_KEYS, Limits, parse_limits

pytestmark = pytest.mark.timeout(120)

LONG = "é" * 100  # 100 characters, 200 bytes in UTF-8: the limit counts bytes
DEEP = "/".join(["d"] * 10) + "/leaf"  # 11 components
LAYER_A = layer([F("a1", b"1"), F(LONG, b"2"), F("a3", b"3")])
LAYER_B = layer([F("b1", b"1"), F(DEEP, b"2"), F("b3", b"3")])


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits") / "image.tar"
    docker_archive(str(path), [LAYER_A, LAYER_B])
    return path


def read(path: Path, limits: Limits) -> int:
    tree = merged_tree(Image(open_core(f"docker-archive:{path}"), limits=limits))
    return sum(1 for _ in tree.walk(""))


# (limits that trip, words in the error, the same limit raised just enough)
CASES = {
    "max-path-length": (Limits(max_path_length=199), "path of 200 bytes exceeds limit 199",
                        Limits(max_path_length=200)),
    "max-path-depth": (Limits(max_path_depth=10), "path of 11 components exceeds limit 10",
                       Limits(max_path_depth=11)),
    "max-image-entries": (Limits(max_image_entries=5), "more than 5 entries in all layers",
                          Limits(max_image_entries=6)),
    "max-image-decompressed": (
        Limits(max_image_decompressed=len(LAYER_A) + len(LAYER_B) - 1),
        f"layers decompress past {len(LAYER_A) + len(LAYER_B) - 1} bytes in all",
        Limits(max_image_decompressed=len(LAYER_A) + len(LAYER_B)),
    ),
}


@pytest.mark.parametrize("key", list(CASES))
def test_limit_trips_and_raising_it_passes(archive: Path, key: str) -> None:
    low, words, enough = CASES[key]
    with pytest.raises(UnsafeArchiveError) as info:
        read(archive, low)
    message = str(info.value)
    assert words in message
    assert f"--limit {key}=" in message
    assert "\n" not in message
    assert read(archive, enough) > 6


def test_defaults_pass_a_normal_image(archive: Path) -> None:
    assert read(archive, DEFAULT_LIMITS) > 6


def test_default_path_limits(tmp_path: Path) -> None:
    # 4096 bytes and 256 components pass; one more byte or component does not.
    ok = docker_archive(str(tmp_path / "ok.tar"), [layer([
        F("p" * 4096), F("/".join(["d"] * 255) + "/x"),
    ])])
    assert read(Path(ok), DEFAULT_LIMITS) > 2
    for name, words in (("p" * 4097, "4097 bytes exceeds limit 4096"),
                        ("/".join(["d"] * 256) + "/x", "257 components exceeds limit 256")):
        bad = docker_archive(str(tmp_path / "bad.tar"), [layer([F(name)])])
        with pytest.raises(UnsafeArchiveError, match=words):
            read(Path(bad), DEFAULT_LIMITS)


def test_per_layer_entries_error_names_its_key(archive: Path) -> None:
    with pytest.raises(UnsafeArchiveError, match="--limit max-entries="):
        read(archive, Limits(max_entries=2))


# -- parse_limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(("specs", "want"), [
    (["max-entries=10000000"], {"max_entries": 10_000_000}),
    (["max-entries=10_000_000"], {"max_entries": 10_000_000}),
    (["max-decompressed=512GiB"], {"max_decompressed": 512 << 30}),
    (["max-image-decompressed=2TB"], {"max_image_decompressed": 2 * 10**12}),
    (["max-path-length=8KiB", "max-path-depth=1024"],
     {"max_path_length": 8192, "max_path_depth": 1024}),
    (["ratio-after=64MB", "max-ratio=1000"], {"ratio_after": 64 * 10**6, "max_ratio": 1000}),
    (["MAX-Header-Bytes = 4 mib"], {"max_header_bytes": 4 << 20}),
    ([], {}),
])
def test_parse_limits(specs: list[str], want: dict[str, int]) -> None:
    got = parse_limits(specs)
    for field in Limits.__dataclass_fields__:
        assert getattr(got, field) == want.get(field, getattr(DEFAULT_LIMITS, field))


@pytest.mark.parametrize(("spec", "words"), [
    ("max-files=10", "max-entries, "),
    ("max-entries", "expected NAME=VALUE"),
    ("max-entries=", "a whole number"),
    ("max-entries=ten", "a whole number"),
    ("max-entries=10MiB", "a whole number"),
    ("max-entries=-5", "a whole number"),
    ("max-entries=0", "must be above 0"),
    ("max-decompressed=10XB", "a size like"),
    ("max-decompressed=1.5GiB", "a size like"),
])
def test_parse_limits_rejects(spec: str, words: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_limits([spec])
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_every_field_has_a_key() -> None:
    assert sorted(LIMIT_KEYS.values()) == sorted(Limits.__dataclass_fields__)


# -- the CLI option ---------------------------------------------------------------------------


def cli(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FINALSTAGE_CACHE_DIR": str(tmp / "cache"), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "finalstage", *args], capture_output=True,
                          text=True, timeout=60, env=env, check=False)


def _spec(limits: Limits, key: str) -> str:
    return f"{key}={getattr(limits, LIMIT_KEYS[key])}"


@pytest.mark.parametrize("key", list(CASES))
def test_cli_limit_flag(archive: Path, tmp_path: Path, key: str) -> None:
    low, words, enough = CASES[key]
    ref = f"docker-archive:{archive}"
    run = cli("ls", "-R", "--no-cache", "--limit", _spec(low, key), ref, tmp=tmp_path)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("finalstage: ")
    assert words in run.stderr and f"--limit {key}=" in run.stderr
    assert "Traceback" not in run.stderr
    run = cli("ls", "-R", "--no-cache", "--limit", _spec(enough, key), ref, tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "leaf" in run.stdout


@pytest.mark.parametrize("command", ["inspect", "check"])
def test_cli_limit_flag_other_commands(archive: Path, tmp_path: Path, command: str) -> None:
    ref = f"docker-archive:{archive}"
    run = cli(command, "--limit", "max-path-depth=10", ref, tmp=tmp_path)
    assert run.returncode == 2
    assert "--limit max-path-depth=" in run.stderr and run.stderr.count("\n") == 1
    extra = ["--no-cache"] if command == "inspect" else []
    run = cli(command, *extra, "--limit", "max-path-depth=11", "--limit", "max-entries=10000000",
              ref, tmp=tmp_path)
    assert run.returncode in (0, 1), run.stderr  # check may fail its policy; not on the limit
    assert "finalstage: " not in run.stderr


@pytest.mark.parametrize("command", ["inspect", "ls", "check"])
@pytest.mark.parametrize("spec", ["max-files=10", "max-entries=lots", "max-entries"])
def test_cli_bad_limit_is_a_usage_error(archive: Path, tmp_path: Path, command: str,
                                        spec: str) -> None:
    run = cli(command, "--limit", spec, f"docker-archive:{archive}", tmp=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("finalstage: invalid --limit")
    assert run.stderr.count("\n") == 1
    if spec == "max-files=10":
        assert "max-image-decompressed" in run.stderr  # the valid names are listed


@pytest.mark.parametrize("command", ["inspect", "ls", "check"])
def test_cli_help_documents_limit(tmp_path: Path, command: str) -> None:
    run = cli(command, "--help", tmp=tmp_path)
    assert run.returncode == 0
    # help text is wrapped to the terminal width, which may split a name at its dash
    flat = re.sub(r"-\n\s*", "-", run.stdout)
    assert "--limit" in flat and "max-image-entries" in flat


@pytest.mark.parametrize("command", ["inspect", "ls"])
def test_cli_lowered_limit_is_not_bypassed_by_the_cache(archive: Path, tmp_path: Path,
                                                        command: str) -> None:
    ref = f"docker-archive:{archive}"
    assert cli(command, ref, tmp=tmp_path).returncode == 0  # fills the layer and report caches
    run = cli(command, "--limit", "max-path-depth=10", ref, tmp=tmp_path)
    assert run.returncode == 2
    assert "--limit max-path-depth=" in run.stderr
