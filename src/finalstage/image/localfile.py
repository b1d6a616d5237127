"""A layer stored uncompressed in a local file: where it lies, and hashing it on a side thread.

An uncompressed layer in a local file (an OCI blob, a member of a docker-archive) is read twice
at once: a ``SideHash`` thread hashes the file's bytes with ``preadv`` into one reused buffer
(hashlib releases the GIL, so this runs on another core), while the tar reader reads only the
headers and seeks past file data, as ``tar -t`` does. The file's identity (inode, size, mtime,
ctime) is checked before and after, so a file rewritten during the read is an error, not a
mixed verdict.
"""

from __future__ import annotations

import io
import mmap
import os
import stat
import sys
import threading
from typing import Any, BinaryIO

from finalstage.errors import CorruptImageError


def file_region(raw: BinaryIO) -> tuple[int, int, int] | None:
    """``(fd, start, length)`` when ``raw`` is a window of a regular local file, else None."""
    fd = getattr(raw, "_fd", None)  # tarindex._Slice: a window of an outer archive
    if fd is not None:
        return fd, raw._start, raw._size  # type: ignore[attr-defined]
    try:
        fd = raw.fileno()
        st = os.fstat(fd)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return (fd, 0, st.st_size) if stat.S_ISREG(st.st_mode) else None


def identity(fd: int) -> tuple[int, int, int, int]:
    st = os.fstat(fd)
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


_HASH_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


class _QuickSwitch:
    """While any side hash runs, the interpreter's GIL switch interval is short.

    A hashing thread holds no GIL while ``preadv`` and ``update`` run, but needs it back between
    the two, and the parse thread, busy in Python, gives it up only when the switch interval
    (5 ms by default) runs out: the hash waits up to that long per call, a convoy that made
    hashing fat-python's 738 MB layer beside a busy Python thread 7x slower than alone
    (``bench/gil-convoy.py``). With 8 MiB buffers (fewer calls) and a 0.2 ms interval it is
    1.2x.
    """

    INTERVAL = 0.0002

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._saved: float | None = None

    def __enter__(self) -> None:
        with self._lock:
            self._active += 1
            if self._active == 1:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, self.INTERVAL))

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._saved is not None:
                sys.setswitchinterval(self._saved)
                self._saved = None


_QUICK_SWITCH = _QuickSwitch()


class SideHash:
    """Hashes ``length`` bytes of ``fd`` from ``start`` on its own thread (see the module doc).

    ``wait()`` (while the file is still open) joins the thread and raises ``CorruptImageError``
    when the file was shorter than the window or changed meanwhile; ``view(i)`` is what the
    stream holds in place of the i-th hash object.
    """

    # Large enough that the GIL is taken back rarely (twice per buffer: see _QuickSwitch); alone,
    # a 1 MiB buffer hashed as fast, but beside a busy parse thread every call waits for the GIL.
    BUFFER = 8 << 20

    def __init__(
        self, fd: int, start: int, length: int, hashers: list[Any], context: str
    ) -> None:
        self.fd, self.start, self.length = fd, start, length
        self.hashers = hashers
        self.context = context
        self.hashed = 0
        self.error: str | None = None
        self._stop = False
        self._digests: list[str] | None = None
        self._before = identity(fd)
        self._thread = threading.Thread(target=self._run, name="layer-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        updates = [h.update for h in self.hashers]
        pos, end = self.start, self.start + self.length
        # One hashing thread per core at a time: an image of 100 small layers would otherwise
        # hold 100 buffers at once (measured +100 MiB on 100k entries in 100 layers).
        with _HASH_SLOTS, _QUICK_SWITCH:
            # An anonymous mapping, not a bytearray: unmapped when done, so the process's
            # memory falls back (glibc keeps freed 8 MiB heap blocks: +34 MiB on wasteful).
            area: mmap.mmap | None = None
            try:
                area = mmap.mmap(-1, min(self.BUFFER, max(self.length, 1)))
                with memoryview(area) as buf:
                    self._hash_into(buf, updates, pos, end)
            except OSError as err:
                self.error = str(err.strerror or err).lower()
            finally:
                if area is not None:
                    area.close()  # before the slot is freed: at most one buffer per slot

    def _hash_into(self, buf: memoryview, updates: list[Any], pos: int, end: int) -> None:
        """Read ``[pos, end)`` into ``buf`` piece by piece and feed every hasher; ``hashed``
        says how far it got (short of the end at end of file, on an error or ``close()``)."""
        while pos < end and not self._stop:
            n = os.preadv(self.fd, [buf[: min(len(buf), end - pos)]], pos)
            if n <= 0:
                break
            with buf[:n] as chunk:
                for update in updates:
                    update(chunk)
            pos += n
            self.hashed = pos - self.start

    def close(self) -> None:
        """Stop early (the parse failed) and wait for the thread."""
        self._stop = True
        self._thread.join()

    def wait(self) -> None:
        if self._digests is not None:
            return
        self._thread.join()
        if self.error is not None:
            raise CorruptImageError(f"{self.context}: {self.error}")
        if self.hashed != self.length:
            raise CorruptImageError(f"{self.context}: unexpected end of file while hashing")
        try:
            changed = identity(self.fd) != self._before
        except OSError:
            changed = True
        if changed:
            raise CorruptImageError(f"{self.context}: file changed while it was read")
        self._digests = [h.hexdigest() for h in self.hashers]

    def view(self, i: int) -> SideView:
        return SideView(self, i)


class SideView:
    """The i-th digest of a ``SideHash``, in the shape of a hash object (the parse thread never
    feeds it: ``update`` is a no-op)."""

    def __init__(self, side: SideHash, i: int) -> None:
        self.side, self.i = side, i

    def update(self, data: bytes) -> None:
        pass

    def hexdigest(self) -> str:
        self.side.wait()
        assert self.side._digests is not None
        return self.side._digests[self.i]
