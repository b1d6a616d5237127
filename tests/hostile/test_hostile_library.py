"""Every crafted hostile input through the library: the exact error class, or a safe listing.

``expect`` in the corpus is the exact ``finalstage.errors`` class (``type(err) is``, so a
``DigestMismatchError`` never passes for a ``CorruptImageError`` or the reverse), or ``ok`` for a
legal-but-nasty input, which must then list without any path leaving the image root.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.hostile import _support

from finalstage import errors
from finalstage.dockerfile import load
from finalstage.errors import FinalstageError
from finalstage.fs.merge import merged_tree
from finalstage.image.open import open_image
from finalstage.settings import load_settings as load_policy

pytestmark = pytest.mark.timeout(120)

# Files a traversal sample would create if a path ever escaped (nothing is extracted, but
# "never" deserves a check).
ESCAPE_TARGETS = ("/tmp/finalstage-pwned", "/etc/finalstage-abs", "/etc/cron.d/x", "/etc/x")


class Hang(BaseException):
    """Raised by the alarm; a BaseException so no ``except OSError`` can swallow it."""


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    def fire(signum: int, frame: Any) -> None:
        raise Hang(f"no result after {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def outcome(action: Any, seconds: float = 30.0) -> tuple[str, str, Any]:
    """(class name or "ok" / "hang" / "crash:<type>", message, result)."""
    try:
        with alarm(seconds):
            result = action()
    except Hang as err:
        return "hang", str(err), None
    except FinalstageError as err:
        return type(err).__name__, str(err), None
    except Exception as err:  # noqa: BLE001 - a crash is exactly what this test looks for
        return f"crash:{type(err).__name__}", str(err), None
    return "ok", "", result


def check_error_message(message: str) -> None:
    assert message and "\n" not in message, f"error message must be one line: {message!r}"
    assert "Traceback" not in message


def check_inside_root(paths: list[str]) -> None:
    for p in paths:
        assert not p.startswith("/"), p
        assert ".." not in p.split("/"), p
        assert "" not in p.split("/") or p == "", p
    for target in ESCAPE_TARGETS:
        assert not Path(target).exists(), f"{target} exists: something escaped"


def test_expected_class_exists(hostile_root: Path) -> None:
    for s in _support.samples_cached(hostile_root):
        if s["expect"] != "ok":
            assert isinstance(getattr(errors, s["expect"], None), type), s


def test_image_sample(image_sample: dict[str, Any], hostile_root: Path) -> None:
    ref = _support.reference(hostile_root, image_sample)

    def read() -> Any:
        img = open_image(ref)
        tree = merged_tree(img)
        return [e.path for e in tree.walk()]

    seconds = 5.0 if image_sample["name"] in _support.HANGS else 30.0
    got, message, paths = outcome(read, seconds)
    assert got == image_sample["expect"], f"{image_sample['note']}: got {got}: {message}"
    if got == "ok":
        check_inside_root(paths)
    else:
        check_error_message(message)


def test_dockerfile_sample(dockerfile_sample: dict[str, Any], hostile_root: Path) -> None:
    path = hostile_root / dockerfile_sample["path"]
    got, message, _ = outcome(lambda: load(path))
    assert got == dockerfile_sample["expect"], f"{dockerfile_sample['note']}: got {got}: {message}"
    if got != "ok":
        check_error_message(message)


def test_policy_sample(policy_sample: dict[str, Any], hostile_root: Path) -> None:
    path = hostile_root / policy_sample["path"]
    got, message, _ = outcome(lambda: load_policy(path))
    assert got == policy_sample["expect"], f"{policy_sample['note']}: got {got}: {message}"
    check_error_message(message)


def test_config_file_sample(config_file_sample: dict[str, Any], hostile_root: Path) -> None:
    from finalstage.image.registry.auth import find_credentials
    from finalstage.cst import load_cst
    from finalstage.engine.baseline import read_baseline

    path = str(hostile_root / config_file_sample["path"])
    action = {
        "authfile": lambda: find_credentials("127.0.0.1:5000", "hostile/app", auth_file=path),
        "baseline": lambda: read_baseline(path),
        "cst": lambda: load_cst(path),
    }[config_file_sample["format"]]
    got, message, _ = outcome(action)
    assert got == config_file_sample["expect"], f"{config_file_sample['note']}: got {got}: {message}"
    check_error_message(message)
