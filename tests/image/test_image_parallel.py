"""``parallel.ordered`` (two layers at a time) when its caller stops early, and what the layer
reader asks of a source: a remote layer is never opened for a fingerprint."""

from __future__ import annotations

import threading
import time

import pytest

from finalstage.image.core import LayerHandle
from finalstage.image.layers import fingerprint
from finalstage.image.parallel import GRACE, ordered


def test_results_in_order_and_first_failure_in_order_wins() -> None:
    def fn(i: int) -> int:
        time.sleep(0.01 * (3 - i))  # later items finish first
        if i == 2:
            raise ValueError("two")
        return i * 10

    got = []
    with pytest.raises(ValueError, match="two"):
        for item, value in ordered(fn, [0, 1, 2, 3], 2, discard=lambda v: None, name="t"):
            got.append((item, value))
    assert got == [(0, 0), (1, 10)]


def test_a_caller_that_leaves_does_not_wait_for_a_blocked_worker() -> None:
    # Item 1 blocks (a read on a stalled connection); the caller leaves after item 0 (Ctrl-C,
    # or a consumer closing the iterator). It must be back within GRACE, having asked the
    # running work to stop; the late result is discarded by its worker.
    release = threading.Event()
    cancelled = threading.Event()
    discarded: list[int] = []

    def fn(i: int) -> int:
        if i == 1:
            release.wait(10)
        return i

    it = ordered(fn, [0, 1, 2], 2, discard=discarded.append, name="t", cancel=cancelled.set)
    assert next(it) == (0, 0)
    start = time.monotonic()
    it.close()
    assert time.monotonic() - start < GRACE + 0.3
    assert cancelled.is_set()
    # Item 2 ran on the other worker meanwhile: finished, never handed out, discarded.
    assert discarded == [2]
    release.set()
    deadline = time.monotonic() + 5
    while len(discarded) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert discarded == [2, 1]  # item 1, by its own worker once its read returned


def test_after_a_failure_finished_results_are_discarded_and_workers_joined() -> None:
    discarded: list[int] = []

    def fn(i: int) -> int:
        if i == 0:
            time.sleep(0.05)
            raise ValueError("zero")
        return i

    before = threading.active_count()
    with pytest.raises(ValueError):
        list(ordered(fn, [0, 1], 2, discard=discarded.append, name="t"))
    assert discarded == [1]
    assert threading.active_count() == before


def test_a_remote_layer_is_never_opened_for_a_fingerprint() -> None:
    def download() -> object:
        raise AssertionError("a registry blob was downloaded to compute a fingerprint")

    remote = LayerHandle("application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + "a" * 64,
                         "sha256:" + "b" * 64, 10, download, is_remote=True)  # type: ignore[arg-type]
    assert fingerprint(remote) is None
