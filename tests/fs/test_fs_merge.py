"""Merging layers: whiteouts, opaque dirs, replacements, hardlinks, per-layer stats and waste."""

from __future__ import annotations

import io

from make_layers import F, layer

from finalstage.fs.merge import MergedTree, merge
from finalstage.image.tarstream import iter_tar


class _Scan:
    def __init__(self, index: int, data: bytes) -> None:
        self.index = index
        src = io.BytesIO(data)

        class S:
            def read(self, n: int) -> bytes:
                return src.read(n)

            def skip(self, n: int) -> int:
                b = src.tell()
                src.seek(min(b + n, len(data)))
                return src.tell() - b

        self.entries = list(iter_tar(S(), context=f"layer {index}"))


def build(*layers: list[F]) -> MergedTree:
    return merge([_Scan(i, layer(ms)) for i, ms in enumerate(layers)])


def paths(tree: MergedTree) -> set[str]:
    return {p for p in tree.entries if p}


def test_whiteout_deletes_file_and_counts_waste_once() -> None:
    t = build(
        [F("a/", kind="d"), F("a/big", b"x" * 100), F("a/keep", b"k")],
        [F("a/.wh.big")],
    )
    assert paths(t) == {"a", "a/keep"}
    assert t.waste_bytes == 100
    assert t.layers[1].deleted == 1 and t.layers[1].whiteouts == 1
    assert t.layers[0].hidden_bytes == 100
    assert t.wasted["a/big"].copies == 1


def test_whiteout_of_directory_removes_subtree() -> None:
    t = build(
        [F("d/", kind="d"), F("d/x", b"12"), F("d/sub/y", b"345")],
        [F(".wh.d")],
    )
    assert paths(t) == set()
    assert t.waste_bytes == 5
    assert t.layers[1].deleted == 4  # d, d/x, d/sub (implicit), d/sub/y


def test_opaque_dir_hides_lower_content_but_keeps_same_layer_content() -> None:
    t = build(
        [F("o/", kind="d"), F("o/old", b"old"), F("other", b"z")],
        # The marker may come after the layer's own files in tar order: still only lower layers.
        [F("o/", kind="d"), F("o/new", b"new!"), F("o/.wh..wh..opq")],
    )
    assert paths(t) == {"o", "o/new", "other"}
    assert t.waste_bytes == 3


def test_overwrite_counts_every_hidden_copy_once() -> None:
    t = build([F("f", b"1" * 10)], [F("f", b"2" * 20)], [F("f", b"3" * 30)])
    assert t.get("f").size == 30 and t.get("f").layer == 2
    assert t.waste_bytes == 30
    assert t.wasted["f"].copies == 2 and t.wasted["f"].layers == [0, 1]
    assert (t.layers[1].changed, t.layers[2].changed) == (1, 1)
    assert t.layers[0].added == 1


def test_file_replacing_directory_hides_lower_subtree() -> None:
    t = build([F("p/", kind="d"), F("p/inner", b"1234")], [F("p", b"now a file")])
    assert paths(t) == {"p"}
    assert t.get("p").kind == "f"
    assert t.waste_bytes == 4


def test_directory_over_directory_merges() -> None:
    t = build(
        [F("d/", kind="d", mode=0o700), F("d/a", b"a")],
        [F("d/", kind="d", mode=0o755), F("d/b", b"b")],
    )
    assert paths(t) == {"d", "d/a", "d/b"}
    assert t.get("d").mode == 0o755 and t.get("d").layer == 1
    assert t.waste_bytes == 0


def test_same_layer_duplicate_last_wins() -> None:
    t = build([F("x", b"first"), F("x", b"second!")])
    assert t.get("x").size == 7
    assert t.waste_bytes == 5


def test_implicit_parents_and_du() -> None:
    t = build([F("usr/lib/libc.so", b"c" * 1000), F("usr/bin/app", b"a" * 10)])
    assert t.get("usr").is_implicit and t.get("usr/lib").kind == "d"
    assert t.du("usr") == 1010 and t.du("usr/lib") == 1000 and t.du("") == 1010
    assert t.count("usr") == 4
    assert [e.name for e in t.listdir("usr")] == ["bin", "lib"]
    assert [e.path for e in t.walk("usr")] == [
        "usr",
        "usr/bin",
        "usr/bin/app",
        "usr/lib",
        "usr/lib/libc.so",
    ]


def test_hardlinks_share_bytes() -> None:
    t = build([F("bin/busybox", b"b" * 500), F("bin/ls", kind="h", link="bin/busybox")])
    assert t.get("bin/ls").kind == "h" and t.get("bin/ls").link == "bin/busybox"
    assert t.total_size == 500  # the link adds no bytes


def test_aufs_metadata_whiteouts_are_ignored() -> None:
    t = build([F("a", b"1")], [F(".wh..wh.aufs"), F("b", b"2")])
    assert paths(t) == {"a", "b"} and t.waste_bytes == 0
    assert t.layers[1].whiteouts == 1


def test_whiteout_of_missing_path_is_harmless() -> None:
    t = build([F("a", b"1")], [F(".wh.nothere")])
    assert paths(t) == {"a"} and t.layers[1].deleted == 0


def test_largest_and_top_wasted_are_sorted() -> None:
    t = build([F("s", b"1"), F("m", b"1" * 5), F("l", b"1" * 9)], [F(".wh.l"), F(".wh.s")])
    assert [e.path for e in t.largest(2)] == ["m"]
    assert [w.path for w in t.top_wasted(5)] == ["l", "s"]


def test_hardlink_targets_must_exist_and_not_be_directories() -> None:
    import pytest

    from finalstage.errors import CorruptImageError

    build([F("a", b"1")], [F("b", kind="h", link="a")])  # to a lower layer: fine
    for bad in (
        [F("x", kind="h", link="nowhere")],
        [F("x", kind="h", link="y"), F("y", b"later")],  # to a later entry of the same tar
        [F("x", kind="h", link="y"), F("y", kind="h", link="x")],  # a cycle
        [F("d/", kind="d"), F("x", kind="h", link="d")],  # to a directory
    ):
        with pytest.raises(CorruptImageError, match="hard link 'x' points to"):
            build(bad)


def test_whiteouts_of_root_dot_and_dotdot_are_refused() -> None:
    import pytest

    from finalstage.errors import UnsafeArchiveError

    for name in (".wh.", "a/.wh..", "a/.wh..."):
        with pytest.raises(UnsafeArchiveError, match="invalid whiteout"):
            build([F("a/f", b"1")], [F(name)])
