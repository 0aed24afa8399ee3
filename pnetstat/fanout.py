"""Work on a stream of byte strings shared with one forked worker process, results in order.

A socket listing of 100k+ rows is CPU-bound in one interpreter: decoding and rendering cost a
few microseconds a row, while the kernel makes the rows in a fraction of that. ``ordered``
forks one worker after the first few items, hands it items through a pipe while it has room,
does the others itself, and yields every item with its result in the input order.

The result of ``work`` is an optimisation the caller checks, not an answer it must trust:
``None`` comes back for an item whose work raised (in either process) or whose worker died,
and the caller then does that item the ordinary way (which raises the error, if there is
one, at its place in the stream). So ``work`` must return something other than ``None``,
and its result must survive ``marshal`` (plain containers of str, bytes, int, sets).

Items go down a pipe, answers come back up another. The parent never waits to send: the
bytes it has sent and not yet had answered are kept within the pipe's capacity, so they fit
even while the worker waits for the parent to read an answer. The worker ignores SIGINT (the
parent handles it) and ends at the end of its input, or when the parent is gone; ``fork``
is used only when this process has no other thread (a forked child holds only the thread
that forked).
"""

from __future__ import annotations

import marshal
import os
from collections import deque
from itertools import chain

from ._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

__all__ = ["Chunk", "ordered"]

_PIPE_SIZE = 1 << 20  # asked for (the usual pipe-max-size); what the kernel grants is used
_MARGIN = 8192  # pipe bytes kept free below its capacity: two pages of slack
_READ = 1 << 18  # bytes asked for per read of answers
_HEADER = 4  # bytes of length before each message; an empty message is a failure
# Items the worker may hold unanswered: beyond that the parent works on items itself. (On
# 100k UNIX sockets in 16 KiB blocks, 8 gave medians of 0.33-0.35 s a listing here and 3 gave
# 0.35-0.38; 64 KiB blocks with 3, 0.46. On 10k TCP pairs the depth made no clear difference.)
_DEPTH = 8
_PATIENCE = 30.0  # seconds without an answer after which the worker is given up
_AHEAD = 64  # items waiting behind an unanswered one before the parent waits for it
Chunk = bytes | bytearray | memoryview  # an item (the worker is handed it as bytes)
if TYPE_CHECKING:
    _Entry = list[Any]  # [item, result, settled]


def ordered(
    items: Iterable[Chunk], work: Callable[[Chunk], Any], *, local: int = 8
) -> Iterator[tuple[Chunk, Any]]:
    """``(item, work(item))`` for each item, in order, sharing the work with a worker.

    The first ``local`` items are done here, so a short stream never forks; the worker is
    forked only if more follow. A result is ``None`` where the work failed.
    """
    stream = iter(items)
    for _ in range(local):
        item = next(stream, None)
        if item is None:
            return
        yield item, _attempt(work, item)
    following = next(stream, None)
    if following is None:
        return
    stream = chain((following,), stream)
    worker = _Worker.start(work)
    if worker is None:
        for item in stream:
            yield item, _attempt(work, item)
        return
    finished, error = False, None
    try:
        pending: deque[_Entry] = deque()
        while True:
            try:
                item = next(stream)
            except StopIteration:
                break
            except Exception as exc:  # raised after the items before it, as without a worker
                error = exc
                break
            worker.collect(block=len(pending) >= _AHEAD and not pending[0][2])
            yield from _settled(pending)
            if worker.room(item):
                pending.append(worker.send(item))
            else:
                pending.append([item, _attempt(work, item), True])
                yield from _settled(pending)
        worker.close_input()
        while pending:
            if not pending[0][2]:
                worker.collect(block=True)
            yield from _settled(pending)
        finished = True
    finally:
        worker.stop(finished)
    if error is not None:
        raise error


def _attempt(work: Callable[[Chunk], Any], item: Chunk) -> Any:
    try:
        return work(item)
    except Exception:  # the caller does the item again, the ordinary way
        return None


def _settled(pending: deque[_Entry]) -> Iterator[tuple[Chunk, Any]]:
    while pending and pending[0][2]:
        item, result, _ = pending.popleft()
        yield item, result


class _Worker:
    """The parent's end of one forked worker: a pipe to it, a pipe back, what it owes."""

    def __init__(self, pid: int, down: tuple[int, int], up: int, capacity: int) -> None:
        self.pid, self.down, self.up = pid, down, up
        self.budget = capacity - _MARGIN  # unanswered bytes the pipe down can always hold
        self.owed: deque[_Entry] = deque()
        self.unanswered = 0
        self.buffer = bytearray()
        self.alive = True

    @classmethod
    def start(cls, work: Callable[[Chunk], Any]) -> _Worker | None:
        """Fork a worker for ``work``; None where that cannot be done (then work at home)."""
        import threading  # here: a short listing imports this module but never forks

        if threading.active_count() > 1:
            return None
        try:
            down = os.pipe2(os.O_CLOEXEC)
        except OSError:
            return None
        try:
            up = os.pipe2(os.O_CLOEXEC)
        except OSError:
            _close(*down)
            return None
        capacity = _grow(down[1])
        try:
            pid = os.fork()
        except OSError:
            _close(*down, *up)
            return None
        if pid == 0:  # the worker: never returns
            _close(down[1], up[0])
            _serve(work, down[0], up[1])
        # The parent keeps the read end of the pipe down open: a write to a dead worker then
        # fills the pipe (within the budget) instead of raising the SIGPIPE that would end
        # this process (the CLI restores SIGPIPE's default action). No socket is used: a
        # socketpair would show in the UNIX listing being made.
        os.close(up[1])
        os.set_blocking(up[0], False)
        return cls(pid, down, up[0], capacity)

    def room(self, item: Chunk) -> bool:
        """Whether the worker can take ``item`` without the parent ever waiting to send."""
        if len(self.owed) >= _DEPTH:
            return False
        return self.alive and self.unanswered + _HEADER + len(item) <= self.budget

    def send(self, item: Chunk) -> _Entry:
        """Hand ``item`` over; its entry is settled when the answer comes."""
        entry: _Entry = [item, None, False]
        _write_all(self.down[1], len(item).to_bytes(_HEADER, "little") + item)
        self.unanswered += _HEADER + len(item)
        self.owed.append(entry)
        return entry

    def collect(self, *, block: bool) -> None:
        """Take the answers that have arrived; with ``block``, wait for at least one."""
        while self.owed:
            try:
                data = os.read(self.up, _READ)
            except BlockingIOError:
                if not block:
                    return
                import select

                if not select.select([self.up], [], [], _PATIENCE)[0]:
                    os.kill(self.pid, 9)  # a worker that hangs is treated as dead
                    self._lost()
                    return
                continue
            if not data:  # the worker died: what it owes is done at home
                self._lost()
                return
            self.buffer += data
            if self._unpack():
                block = False

    def _unpack(self) -> bool:
        """Settle the entries whose answers are complete in the buffer; whether any was."""
        buffer, offset, settled = self.buffer, 0, False
        while len(buffer) - offset >= _HEADER and self.owed:
            start = offset + _HEADER
            size = int.from_bytes(buffer[offset:start], "little")
            if len(buffer) - start < size:
                break
            entry = self.owed.popleft()
            self.unanswered -= _HEADER + len(entry[0])
            entry[1] = marshal.loads(buffer[start : start + size]) if size else None
            entry[2] = settled = True
            offset = start + size
        del buffer[:offset]
        return settled

    def _lost(self) -> None:
        self.alive = False
        while self.owed:
            entry = self.owed.popleft()
            entry[1], entry[2] = None, True

    def close_input(self) -> None:
        """No more items: the worker ends after answering what it has."""
        if self.down[1] >= 0:
            os.close(self.down[1])
            self.down = (self.down[0], -1)

    def stop(self, finished: bool) -> None:
        """Close the pipes and reap the worker (killed first if the caller stopped early)."""
        self.close_input()
        _close(self.down[0], self.up)
        if not finished:
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
        os.waitpid(self.pid, 0)


def _grow(fd: int) -> int:
    """Ask for a larger pipe; the capacity it has."""
    import fcntl

    try:
        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except OSError:
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)


def _write_all(fd: int, *parts: bytes) -> None:
    data = b"".join(parts) if len(parts) > 1 else parts[0]
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _close(*fds: int) -> None:
    for fd in fds:
        os.close(fd)


def _serve(work: Callable[[Chunk], Any], down: int, up: int) -> None:
    """The worker's loop: read an item, answer with its marshalled result (empty on failure)."""
    status = 0
    try:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with os.fdopen(down, "rb", buffering=1 << 16) as items:
            while head := items.read(_HEADER):
                item = items.read(int.from_bytes(head, "little"))
                try:
                    answer = marshal.dumps(work(item))
                except Exception:
                    answer = b""
                _write_all(up, len(answer).to_bytes(_HEADER, "little"), answer)
    except BaseException:  # a broken pipe (the parent is gone) or anything else: just end
        status = 1
    finally:
        os._exit(status)
