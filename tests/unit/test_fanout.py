"""fanout.ordered: work shared with a forked worker comes back complete and in order."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from pnetstat import fanout


def items(count: int) -> list[bytes]:
    return [b"item %d " % i * (i % 7 + 1) for i in range(count)]


def work(item: bytes) -> tuple[int, bytes]:
    """The pid that did the work, and a result that depends on the item."""
    return os.getpid(), item.upper()


def no_child_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_results_come_back_in_order_and_a_worker_did_part_of_the_work() -> None:
    given = items(3000)
    got = list(fanout.ordered(given, work, local=2))
    assert [item for item, _ in got] == given
    assert [result[1] for _, result in got] == [item.upper() for item in given]
    pids = {result[0] for _, result in got}
    assert os.getpid() in pids and len(pids) == 2  # the first two at least are done here
    assert all(result[0] == os.getpid() for _, result in got[:2])
    assert no_child_left()


def test_a_short_stream_never_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(fanout._Worker, "start", staticmethod(started.append))
    got = list(fanout.ordered(items(8), work, local=8))
    assert len(got) == 8 and {result[0] for _, result in got} == {os.getpid()}
    assert started == []  # not even for a stream of exactly ``local`` items
    assert len(list(fanout.ordered(items(9), work, local=8))) == 9 and len(started) == 1


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        got = list(fanout.ordered(items(500), work, local=1))
    finally:
        stop.set()
        other.join()
    assert len(got) == 500 and {result[0] for _, result in got} == {os.getpid()}


def test_failed_work_comes_back_as_none_in_its_place() -> None:
    def picky(item: bytes) -> tuple[int, bytes]:
        if item.startswith(b"item 1"):  # 1, 10-19, 100-199, 1000-...
            raise ValueError(item)
        return work(item)

    given = items(1500)
    got = list(fanout.ordered(given, picky, local=3))
    assert [item for item, _ in got] == given
    for item, result in got:
        assert (result is None) == item.startswith(b"item 1")
    assert len({result[0] for _, result in got if result is not None}) == 2


def test_a_dead_worker_leaves_its_items_to_the_caller() -> None:
    parent = os.getpid()

    calls = [0]  # counted in the worker's copy

    def fatal(item: bytes) -> tuple[int, bytes]:
        if os.getpid() != parent:
            calls[0] += 1
            if calls[0] == 5:
                os._exit(3)  # the worker dies on its fifth item
        return work(item)

    given = items(2000)
    # As the CLI runs: a write to a dead reader would kill this process, not raise.
    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        got = list(fanout.ordered(given, fatal, local=1))
    finally:
        signal.signal(signal.SIGPIPE, previous)
    assert [item for item, _ in got] == given
    lost = [item for item, result in got if result is None]
    assert lost  # at least the item it died on; everything after is done here
    after = got[given.index(lost[-1]) + 1 :]
    assert after and all(result[0] == parent for _, result in after)
    assert no_child_left()


def test_a_worker_that_hangs_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    monkeypatch.setattr(fanout, "_PATIENCE", 0.5)

    def stuck(item: bytes) -> tuple[int, bytes]:
        if os.getpid() != parent:
            signal.pause()  # never answers (SIGKILL ends it)
        return work(item)

    given = items(100)
    got = list(fanout.ordered(given, stuck, local=1))
    assert [item for item, _ in got] == given
    lost = [item for item, result in got if result is None]
    assert 0 < len(lost) <= fanout._DEPTH  # what the worker held: done here by the caller
    assert all(result[0] == parent for _, result in got if result is not None)
    assert no_child_left()


def test_an_error_of_the_stream_comes_after_the_items_before_it() -> None:
    def stream() -> Iterator[bytes]:
        yield from items(600)
        raise OSError("the source failed")

    seen = []
    with pytest.raises(OSError, match="the source failed"):
        for item, result in fanout.ordered(stream(), work, local=1):
            seen.append((item, result[1]))
    assert seen == [(item, item.upper()) for item in items(600)]
    assert no_child_left()


def test_a_caller_that_stops_early_leaves_no_worker_behind() -> None:
    got = fanout.ordered(items(5000), work, local=1)
    for count, _ in enumerate(got):
        if count == 100:
            break
    got.close()
    assert no_child_left()


def test_an_item_too_big_for_the_pipe_is_done_here() -> None:
    given = [b"x" * (1 << 20), *items(50)]
    got = list(fanout.ordered(given, work, local=0))
    assert got[0][1] == (os.getpid(), given[0].upper())
    assert [item for item, _ in got] == given
