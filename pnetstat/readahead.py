"""Blocking reads on a thread of their own, so that the kernel's work overlaps the decoding.

Producing a large socket table is work the kernel does inside ``read``/``recv`` with the GIL
released: about a third of a 200k-socket listing here. A reader thread keeps a bounded number
of chunks ahead of the caller, who decodes the previous one meanwhile.

The thread needs the GIL once per chunk, but under the default 5 ms switch interval each of
those waits stalls it behind the busy caller (a 200k-socket dump is ~800 datagrams), and the
overlap is lost. While a reader runs, the interpreter's switch interval is lowered to 0.1 ms,
and put back when it ends (unless somebody else changed it meanwhile).
"""

import sys
import threading
from collections.abc import Callable, Iterator
from queue import Queue

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
    answers: Queue[bytes | BaseException] = Queue(depth)
    stop = threading.Event()
    reader = threading.Thread(
        target=_read, args=(read, last, close, answers, stop), name="pnetstat-reader", daemon=True
    )
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, _SWITCH_INTERVAL))
    lowered = sys.getswitchinterval()  # as stored (whole microseconds)
    try:
        reader.start()
        while chunk := answers.get():  # an empty chunk: the end
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk
    finally:
        stop.set()
        while not answers.empty():  # a reader blocked on a full queue then sees the stop
            answers.get_nowait()
        if sys.getswitchinterval() == lowered:
            sys.setswitchinterval(interval)


def _read(
    read: Callable[[], bytes],
    last: Callable[[bytes], bool] | None,
    close: Callable[[], None] | None,
    answers: "Queue[bytes | BaseException]",
    stop: threading.Event,
) -> None:
    try:
        while not stop.is_set():
            chunk = read()
            if not chunk:
                break
            answers.put(chunk)
            if last is not None and last(chunk):
                break
    except BaseException as exc:  # handed to the caller's thread
        answers.put(exc)
        return
    finally:
        if close is not None:
            close()
    answers.put(b"")
