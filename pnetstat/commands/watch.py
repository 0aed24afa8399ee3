"""``--watch[=SECONDS]``: the first listing in full, then, every interval, only what changed.

Each later pass starts with a timestamp line; then a ``-`` line for each socket gone and a
``+`` line for each new one, netstat's row behind the marker (``- tcp  0  0 ...``). A socket
whose state changed is a ``-`` of its old row then a ``+`` of its new one; a socket whose
queues or timers moved is not a change. With ``--json-lines`` every change is one object with
``event`` (``open``, ``close``, ``state``) and ``time`` beside the socket's record.

A socket is known by its protocol and addresses (a UNIX socket by its inode and path), so the
comparison needs no help from the kernel and works on both sources, with filters, ``-p`` and
namespaces (with ``--all-netns`` the namespace is part of the key: its label leads a change's
row, and a JSON record names it in ``netns``).
"""

import json
import time
from collections.abc import Callable, Iterable, Iterator

from ..model import InetSocket, OwnerMap, UnixSocket, socket_key
from ..options import Options
from ..resolve import Resolver
from . import Command, Context
from .sinks import JsonSink, Sink, TextSink
from .sockets import list_into

__all__ = ["changes", "watch"]

Key = tuple[object, ...]
# What one pass saw: each socket's key -> (its state, its rendered row), in listing order.
Snapshot = dict[Key, tuple[int, str]]


class _Capture:
    """A sink that renders each row on its own through ``inner``, keeps it under its key,
    and passes the text on only while ``show`` is set (the first, full listing)."""

    def __init__(self, inner: Sink, show: bool) -> None:
        self.inner, self.show = inner, show
        self.tag: str | None = None  # the namespace being listed (--all-netns)
        self.label_rows = False  # its label leads the rows kept for the change lines
        self.seen: Snapshot = {}

    def open(self) -> Iterator[str]:
        return self.inner.open() if self.show else iter(())

    def close(self) -> Iterator[str]:
        return self.inner.close() if self.show else iter(())

    def inet_header(self, options: Options) -> Iterator[str]:
        return self.inner.inet_header(options) if self.show else iter(())

    def unix_header(self, options: Options) -> Iterator[str]:
        return self.inner.unix_header(options) if self.show else iter(())

    def inet_rows(
        self,
        rows: Iterable[InetSocket],
        options: Options,
        resolver: Resolver,
        owners: OwnerMap | None,
    ) -> Iterator[str]:
        for row in rows:
            text = "".join(self.inner.inet_rows([row], options, resolver, owners))
            yield from self._keep(row, text)

    def unix_rows(
        self,
        rows: Iterable[UnixSocket],
        options: Options,
        resolver: Resolver,
        owners: OwnerMap | None,
    ) -> Iterator[str]:
        for row in rows:
            text = "".join(self.inner.unix_rows([row], options, resolver, owners))
            yield from self._keep(row, text)

    def _keep(self, row: InetSocket | UnixSocket, text: str) -> Iterator[str]:
        if not text:  # not listed (-a/-l): not watched
            return
        key = (self.tag, *socket_key(row))
        while key in self.seen:  # two rows alike (a queued UNIX connection): both kept
            key = (*key, len(self.seen))
        kept = f"{self.tag}: {text}" if self.label_rows and self.tag is not None else text
        self.seen[key] = (row.state, kept)
        if self.show:
            yield text


def changes(before: Snapshot, after: Snapshot) -> Iterator[tuple[str, str, str]]:
    """``(event, old row, new row)`` between two passes: ``close`` for each socket gone (in
    the old listing's order), then ``open`` for each new one and ``state`` for each whose
    state changed (in the new listing's order); the missing row is "".

    >>> old = {("a",): (1, "a1\\n"), ("b",): (10, "b\\n")}
    >>> new = {("a",): (8, "a8\\n"), ("c",): (1, "c\\n")}
    >>> list(changes(old, new))
    [('close', 'b\\n', ''), ('state', 'a1\\n', 'a8\\n'), ('open', '', 'c\\n')]
    """
    for key, (_state, text) in before.items():
        if key not in after:
            yield "close", text, ""
    for key, (state, text) in after.items():
        old = before.get(key)
        if old is None:
            yield "open", "", text
        elif old[0] != state:
            yield "state", old[1], text


def watch(
    options: Options,
    context: Context,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Command:
    """The first listing, then the changes every ``options.watch`` seconds, until stopped
    (Ctrl-C, a closed pipe). A note on stderr (``-p`` as a user) is given once."""
    assert options.watch is not None
    lines = options.json_lines
    inner: Sink = JsonSink(True, context.namespace) if lines else TextSink()

    def one_pass(capture: _Capture) -> Command:
        if not options.all_netns:
            return list_into(options, context, capture)
        from .namespaces import in_namespaces

        def section(opts: Options, inside: Context, _first: bool) -> Command:
            capture.tag = inside.namespace.label if inside.namespace is not None else None
            capture.label_rows = not lines
            if lines:  # each namespace's records carry its netns field
                capture.inner = JsonSink(True, inside.namespace)
            return list_into(opts, inside, capture)

        return in_namespaces(options, context, True, section)

    first = _Capture(inner, True)
    noted: set[str] = set()
    for line in first.open():
        yield 1, line
    listing = one_pass(first)
    while True:
        try:
            stream, text = next(listing)
        except StopIteration as stop:
            status = int(stop.value or 0)
            break
        if stream == 2:
            noted.add(text)
        yield stream, text
    for line in first.close():
        yield 1, line
    yield 0, ""
    if status:
        return status
    before = first.seen
    while True:
        sleep(options.watch)
        capture = _Capture(inner, False)
        messages: list[str] = []
        status = _collect(one_pass(capture), messages)
        for text in messages:
            if text not in noted:
                noted.add(text)
                yield 2, text
        if status:
            return status
        now = clock()
        if not lines:
            yield 1, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + "\n"
        yield from _events(before, capture.seen, lines, now)
        yield 0, ""
        before = capture.seen


def _collect(command: Command, messages: list[str]) -> int:
    """Run a collecting pass to its end: what it says on stderr goes to ``messages`` (its
    rows went to the capture); its status."""
    while True:
        try:
            stream, text = next(command)
        except StopIteration as stop:
            return int(stop.value or 0)
        if stream == 2:
            messages.append(text)


def _events(before: Snapshot, after: Snapshot, lines: bool, now: float) -> Command:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    for event, old, new in changes(before, after):
        if not lines:
            if old:
                yield 1, f"- {old}"
            if new:
                yield 1, f"+ {new}"
            continue
        record = json.loads(new or old)
        if event == "state":
            record["previous_state"] = json.loads(old).get("state")
        yield 1, json.dumps({"event": event, "time": stamp, **record}, separators=(",", ":")) + "\n"
    return 0
