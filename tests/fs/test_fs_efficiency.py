"""dive's efficiency score on small layers computed by hand (the bench images are checked
against dive itself in tests/image/test_image_dive.py)."""

from __future__ import annotations

from finalstage.fs.efficiency import dive_efficiency
from finalstage.image.tarheader import DIR, REG, RawEntry


def e(path: str, size: int = 0, kind: str = REG) -> RawEntry:
    return RawEntry(path, kind, 0o644, 0, 0, size, 0, None, 0, 0)


BASE = [e("a", kind=DIR), e("a/f", 100), e("a/g", 50)]


def test_rewritten_file_and_deleted_file() -> None:
    # leaves: a/f 100 + 100, a/g 50 + 0 (a whiteout of a file weighs 0): min 100 + 0 of 250
    upper = [e("a", kind=DIR), e("a/f", 100), e("a/.wh.g")]
    assert dive_efficiency([BASE, upper], {}) == 100 / 250


def test_deleted_and_added_again_in_one_layer_counts_the_last_member() -> None:
    upper = [e("a", kind=DIR), e("a/.wh.g"), e("a/g", 50)]
    # a/f 100 once; a/g 50 + 50: min 100 + 50 of 200
    assert dive_efficiency([BASE, upper], {}) == 150 / 200


def test_deleted_directory_weighs_what_it_held() -> None:
    upper = [e(".wh.a")]
    # layer 0: a/f 100, a/g 50; layer 1: a weighs 150 (its bytes); a is not a leaf of layer 0
    assert dive_efficiency([BASE, upper], {(1, "a"): 150}) == (100 + 50 + 150) / 300


def test_opaque_marker_is_not_a_leaf_and_empty_image_is_efficient() -> None:
    assert dive_efficiency([BASE, [e("a", kind=DIR), e("a/.wh..wh..opq")]], {}) == 1.0
    assert dive_efficiency([], {}) == 1.0
