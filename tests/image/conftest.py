"""Shared fixtures for image tests: the corpus path and the tests/data builders on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "data"
if str(DATA) not in sys.path:
    sys.path.insert(0, str(DATA))

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus"
IMAGES = CORPUS / "images"


@pytest.fixture(scope="session")
def images_dir() -> Path:
    if not IMAGES.is_dir():
        pytest.skip(f"corpus not found at {IMAGES} (needs ../shared/corpus next to the repo)")
    return IMAGES.resolve()
