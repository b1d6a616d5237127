"""Run a function over items on a few threads and hand the results out in item order.

``Image.scan`` reads two layers at a time (hashing and inflating release the GIL, so a second
thread overlaps them). This is the small part of ``concurrent.futures`` it needs, on
``threading`` alone: importing ``concurrent.futures`` pulls in ``logging`` (~5 ms) at every
start of the command line, even when the layer cache answers and no layer is read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
I = TypeVar("I")


class _Slot(Generic[T]):
    """One item's result: set once by the worker that ran it."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.value: T | None = None


class _Queue:
    """Hands out item positions in order until stopped."""

    __slots__ = ("lock", "next", "size", "stopped")

    def __init__(self, size: int) -> None:
        self.lock = threading.Lock()
        self.next = 0
        self.size = size
        self.stopped = False

    def take(self) -> int | None:
        with self.lock:
            if self.stopped or self.next >= self.size:
                return None
            self.next += 1
            return self.next - 1

    def stop(self) -> None:
        with self.lock:
            self.stopped = True


def ordered(
    fn: Callable[[I], T],
    items: Sequence[I],
    workers: int,
    *,
    discard: Callable[[T], object],
    name: str,
) -> Iterator[tuple[I, T]]:
    """``(item, fn(item))`` in item order, ``fn`` running on up to ``workers`` threads.

    The first failure in item order raises (later items' errors wait their turn, as if each
    item were done before the next). Items not started when the caller stops (a failure, or the
    caller closing the iterator) are never started; results computed but never handed out go
    to ``discard`` (a pending layer releases its file).
    """
    queue = _Queue(len(items))
    slots: list[_Slot[T]] = [_Slot() for _ in items]

    def work() -> None:
        while (k := queue.take()) is not None:
            slot = slots[k]
            try:
                slot.value = fn(items[k])
            except BaseException as err:  # handed to the caller in item order
                slot.error = err
            finally:
                slot.done.set()

    threads = [threading.Thread(target=work, name=f"{name}_{n}", daemon=True)
               for n in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    handed = 0
    try:
        for item, slot in zip(items, slots):
            slot.done.wait()
            if slot.error is not None:
                raise slot.error
            handed += 1
            yield item, slot.value  # type: ignore[misc]
    finally:
        queue.stop()
        for thread in threads:
            thread.join()
        for slot in slots[handed:]:
            if slot.done.is_set() and slot.error is None:
                discard(slot.value)  # type: ignore[arg-type]
