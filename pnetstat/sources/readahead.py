"""Blocking reads on a thread of their own, so that the kernel's work overlaps the decoding.

Producing a large socket table is work the kernel does inside ``read``/``recv`` with the GIL
released: about a third of a 200k-socket listing here. A reader thread keeps a bounded number
of chunks ahead of the caller, who decodes the previous one meanwhile.

The thread needs the GIL once per chunk, but under the default 5 ms switch interval each of
those waits stalls it behind the busy caller (a 200k-socket dump is ~800 datagrams), and the
overlap is lost. While a reader runs, the interpreter's switch interval is lowered to 0.1 ms,
and put back when it ends (unless somebody else changed it meanwhile).

The hand-over is a deque guarded by two semaphores (free slots, ready chunks) rather than
``queue.Queue``, whose import (heapq and friends) costs more than the rest of this module.
"""

import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator

__all__ = ["read_ahead"]

_SWITCH_INTERVAL = 1e-4  # seconds


def read_ahead(
    read: Callable[[], bytes],
    *,
    last: Callable[[bytes], bool] | None = None,
    close: Callable[[], None] | None = None,
    depth: int = 16,
) -> Iterator[bytes]:
    """Yield what ``read()`` returns, called on a thread up to ``depth`` chunks ahead.

    Reading ends after an empty chunk (not yielded) or a chunk for which ``last`` is true;
    ``close`` is called on the reader thread when it ends. An exception raised by ``read``
    is raised here, in the caller's thread, after the chunks read before it. If the caller
    stops early (closes the generator), the thread stops after at most one more read.

    >>> chunks = iter([b"a", b"b", b""])
    >>> list(read_ahead(lambda: next(chunks)))
    [b'a', b'b']
    >>> list(read_ahead(iter([b"x", b"end", b"never"]).__next__, last=lambda c: c == b"end"))
    [b'x', b'end']
    """
    box = _Box(depth)
    reader = threading.Thread(
        target=_read, args=(read, last, close, box), name="pnetstat-reader", daemon=True
    )
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, _SWITCH_INTERVAL))
    lowered = sys.getswitchinterval()  # as stored (whole microseconds)
    try:
        reader.start()
        while chunk := box.get():  # an empty chunk: the end
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk
    finally:
        box.stop()
        if sys.getswitchinterval() == lowered:
            sys.setswitchinterval(interval)


class _Box:
    """A bounded hand-over from one reader thread to one consumer."""

    __slots__ = ("_chunks", "_free", "_ready", "stopped")

    def __init__(self, depth: int) -> None:
        self._chunks: deque[bytes | BaseException] = deque()
        self._free = threading.Semaphore(depth)
        self._ready = threading.Semaphore(0)
        self.stopped = False

    def put(self, chunk: bytes | BaseException) -> None:
        """Wait for a free slot (the reader's side); a no-op once the consumer is gone."""
        self._free.acquire()
        if self.stopped:
            self._free.release()  # for the next put, which returns at once as well
            return
        self._chunks.append(chunk)
        self._ready.release()

    def get(self) -> bytes | BaseException:
        """Wait for the next chunk (the consumer's side)."""
        self._ready.acquire()
        self._free.release()
        return self._chunks.popleft()

    def stop(self) -> None:
        """The consumer is gone: a reader waiting for a slot gets one and then sees this."""
        self.stopped = True
        self._chunks.clear()
        self._free.release()


def _read(
    read: Callable[[], bytes],
    last: Callable[[bytes], bool] | None,
    close: Callable[[], None] | None,
    box: _Box,
) -> None:
    try:
        while not box.stopped:
            chunk = read()
            if not chunk:
                break
            box.put(chunk)
            if last is not None and last(chunk):
                break
    except BaseException as exc:  # handed to the caller's thread
        box.put(exc)
        return
    finally:
        if close is not None:
            close()
    box.put(b"")
