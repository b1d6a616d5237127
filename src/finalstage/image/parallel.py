"""Run a function over items on a few threads and hand the results out in item order.

``Image.scan`` reads two layers at a time (hashing and inflating release the GIL, so a second
thread overlaps them). This is the small part of ``concurrent.futures`` it needs, on
``threading`` alone: importing ``concurrent.futures`` pulls in ``logging`` (~5 ms) at every
start of the command line, even when the layer cache answers and no layer is read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
I = TypeVar("I")

GRACE = 0.5  # seconds an interrupted caller waits for its workers to stop


class _Slot(Generic[T]):
    """One item's result: set once by the worker that ran it."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.value: T | None = None


class _Queue:
    """Hands out item positions in ``order`` until stopped; ``closed`` once the caller is gone."""

    __slots__ = ("closed", "lock", "next", "order", "stopped")

    def __init__(self, order: Sequence[int]) -> None:
        self.lock = threading.Lock()
        self.next = 0
        self.order = order
        self.stopped = False
        self.closed = False

    def take(self) -> int | None:
        with self.lock:
            if self.stopped or self.next >= len(self.order):
                return None
            self.next += 1
            return self.order[self.next - 1]


def ordered(
    fn: Callable[[I], T],
    items: Sequence[I],
    workers: int,
    *,
    discard: Callable[[T], object],
    name: str,
    cancel: Callable[[], object] | None = None,
    start: Sequence[int] | None = None,
) -> Iterator[tuple[I, T]]:
    """``(item, fn(item))`` in item order, ``fn`` running on up to ``workers`` threads, started
    in the order of ``start`` (positions in ``items``, each once) when it is given.

    The first failure in item order raises (later items' errors wait their turn, as if each
    item were done before the next). Items not started when the caller stops (a failure, or the
    caller closing the iterator) are never started, ``cancel()`` asks the running ones to stop,
    and results computed but never handed out go to ``discard`` (a pending layer releases its
    file). After a failure the workers are waited for; after an interrupt (Ctrl-C, or the
    caller leaving) at most ``GRACE`` seconds: a worker still blocked in a read then finishes
    on its own and discards its own result.
    """
    queue = _Queue(range(len(items)) if start is None else start)
    slots: list[_Slot[T]] = [_Slot() for _ in items]

    def work() -> None:
        while (k := queue.take()) is not None:
            value: T | None = None
            error: BaseException | None = None
            try:
                value = fn(items[k])
            except BaseException as err:  # handed to the caller in item order
                error = err
            with queue.lock:
                slots[k].value, slots[k].error = value, error
                slots[k].done.set()
                is_late = queue.closed  # nobody will take it any more
            if is_late and error is None:
                discard(value)  # type: ignore[arg-type]

    threads = [threading.Thread(target=work, name=f"{name}_{n}", daemon=True)
               for n in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    handed = 0
    is_interrupted = False
    try:
        for item, slot in zip(items, slots):
            slot.done.wait()
            if slot.error is not None:
                raise slot.error
            handed += 1
            yield item, slot.value  # type: ignore[misc]
    except BaseException as err:
        is_interrupted = not isinstance(err, Exception)  # KeyboardInterrupt, GeneratorExit
        raise
    finally:
        _close(queue, slots[handed:], cancel, discard)
        deadline = time.monotonic() + GRACE if is_interrupted else None
        for thread in threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))


def _close(queue: _Queue, rest: Sequence[_Slot[T]], cancel: Callable[[], object] | None,
           discard: Callable[[T], object]) -> None:
    """Stop handing out items, cancel the running ones and discard the finished ones that were
    never handed out (the ones still running discard their own: ``closed``)."""
    with queue.lock:
        queue.stopped = queue.closed = True
        leftovers = [slot for slot in rest if slot.done.is_set() and slot.error is None]
    if cancel is not None and len(rest) > len(leftovers):
        cancel()
    for slot in leftovers:
        discard(slot.value)  # type: ignore[arg-type]
