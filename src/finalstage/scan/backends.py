"""Where the per-layer and per-image tasks run: a local process pool (the default) or Ray.

Both take the same top-level functions of ``tasks`` and small picklable task values, and hand
results back as they complete; the scan's own process merges them (and is the only writer of
the store), so the report does not depend on which backend ran or in which order tasks ended.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol, TypeVar

from finalstage.errors import UsageError

T = TypeVar("T")
R = TypeVar("R")
BACKENDS = ("process", "ray")


class Backend(Protocol):
    """Runs ``fn`` over ``tasks``, yielding results as they complete."""

    name: str

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


class ProcessBackend:
    """A pool of ``workers`` processes (spawned: no state of the scan's threads is inherited),
    started on first use and kept for both phases. At most ``2 × workers`` tasks are queued at
    once, so an interrupted scan leaves little half-done work."""

    name = "process"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if not tasks:
            return
        if len(tasks) == 1 and self._pool is None:
            # One task (the usual leftover of a warm rerun): starting processes would cost
            # more than the task; it runs here, bounded like a worker's.
            yield fn(tasks[0])
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("spawn"))
        todo = list(reversed(tasks))
        running: set[Future[R]] = set()
        while todo or running:
            while todo and len(running) < 2 * self.workers:
                running.add(self._pool.submit(fn, todo.pop()))
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayBackend:
    """The same tasks as Ray remote functions, on the cluster at ``address`` or, without one,
    on a local Ray of ``workers`` CPUs (started here and stopped by ``close``). A Ray already
    initialised by the caller is used as it is and left running."""

    name = "ray"

    def __init__(self, address: str | None, workers: int) -> None:
        try:
            # heavy optional dependency: ray (the finalstage[ray] extra) only for --backend ray
            import ray  # noqa: PLC0415
        except ImportError as err:
            raise UsageError("--backend ray needs the ray package: "
                             "pip install 'finalstage[ray]'") from err
        self._ray: Any = ray
        self._started = False
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if address:
                ray.init(address=address, **options)
            else:
                ray.init(num_cpus=max(1, workers), **options)
            self._started = True

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if not tasks:
            return
        remote = self._ray.remote(num_cpus=1, max_retries=0)(fn)
        pending = [remote.remote(task) for task in tasks]
        while pending:
            done, pending = self._ray.wait(pending, num_returns=1)
            for ref in done:
                yield self._ray.get(ref)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False


def make_backend(name: str, *, workers: int, address: str | None = None) -> Backend:
    """The backend called ``name`` (``process`` or ``ray``)."""
    if name == "process":
        if address:
            raise UsageError("--ray-address needs --backend ray")
        return ProcessBackend(workers)
    if name == "ray":
        return RayBackend(address, workers)
    raise UsageError(f"unknown backend {name!r}: use {'|'.join(BACKENDS)}")


__all__ = ["BACKENDS", "Backend", "ProcessBackend", "RayBackend", "make_backend"]
