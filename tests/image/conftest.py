"""Shared fixtures for image tests: the image corpus of ../shared/corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpus"
IMAGES = CORPUS / "images"


@pytest.fixture(scope="session")
def images_dir() -> Path:
    if not IMAGES.is_dir():
        pytest.skip(f"corpus not found at {IMAGES} (needs ../shared/corpus next to the repo)")
    return IMAGES.resolve()
