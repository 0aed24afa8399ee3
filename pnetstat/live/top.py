"""``--top[=SECONDS]``: the loop of the live view. Every interval it reads TCP_INFO for every
socket (one sock_diag dump), turns the growth of the byte counters into rates, and draws a
frame; between refreshes it answers keys, redrawing the last refresh's data at once:

``q`` quits; ``p`` toggles the per-process view; ``s`` cycles the sort key; ``f`` opens a
prompt for ss's filter words (Enter applies them, Esc cancels, a filter that does not parse
leaves the old one in force and says why in the prompt). A resize redraws at the new size.

curses.wrapper restores the terminal however the loop ends (``q``, Ctrl-C, an error).
"""

import curses
import time
from collections.abc import Callable
from functools import partial

from ..errors import Error, NetlinkError
from ..filters.parse import FilterError, parse_filter, split_words
from ..filters.predicate import Context as Facts
from ..filters.predicate import fields, kernel_only, row_selector
from ..filters.tree import Filter
from ..model import InetSocket, OwnerMap, Protocol
from ..sources.containers import read_container
from ..sources.processes import read_owners
from ..sources.procfs import ProcFS
from ..sources.sockdiag.tcpinfo import ClosedSockets, TcpInfo, read_tcp_info
from .rates import (
    FIELDS,
    SORT_KEYS,
    ConnectionRate,
    closed_rates,
    process_rates,
    rates,
    sort_connections,
    sort_processes,
)
from .screen import Frame, draw, render_frame

__all__ = ["filter_problem", "run_top"]

_ESCAPE_DELAY_MS = 25  # Esc alone, not the start of an arrow key's sequence, after this long
# Conditions on what TCP_INFO rows do not carry (their uid, the namespace being listed) or
# only the kernel decides: refused rather than silently matching nothing.
_UNKNOWN_HERE = frozenset({"uid", "user", "netns", "container"})
_OWNERS = frozenset({"pid", "program"})


def filter_problem(chosen: Filter) -> str | None:
    """Why ``chosen`` cannot narrow the --top view, or None."""
    expression = chosen.expression
    if expression is None:
        return None
    if kernel_only(expression):
        return "dev, fwmark and autobound are not available in --top"
    asked = sorted(fields(expression) & _UNKNOWN_HERE)
    if asked:
        return f"{', '.join(asked)} are not available in --top"
    return None


def run_top(
    interval: float,
    proc: ProcFS,
    chosen: Filter | None = None,
    filter_text: str = "",
    read: Callable[[], list[TcpInfo]] | None = None,
) -> int:
    """Run the live view on the terminal until ``q``; the exit status (0). ``read`` gives
    the sockets each refresh (default: one TCP_INFO dump of the caller's namespace)."""
    screen = _Top(interval, proc, read or partial(read_tcp_info, fields=FIELDS))
    if chosen is not None:
        screen.use_filter(chosen, filter_text)
    try:
        return curses.wrapper(screen.run)
    finally:
        if screen.closing is not None:
            screen.closing.close()


class _Top:
    def __init__(self, interval: float, proc: ProcFS, read: Callable[[], list[TcpInfo]]):
        self.interval, self.proc, self.read = interval, proc, read
        self.processes_view = False
        self.sort = 0
        self.filter: Filter | None = None
        self.filter_text = ""
        self.facts = Facts()
        self.selector: Callable[[InetSocket], bool] | None = None
        self.prompt: str | None = None
        self.error: str | None = None
        self.previous: list[TcpInfo] = []
        self.previous_at = 0.0
        self.all_connections: list[ConnectionRate] = []
        self.connections: list[ConnectionRate] = []
        self.owners: OwnerMap | None = None
        self.earlier_owners: OwnerMap | None = None
        self.containers: dict[int, str] = {}
        self.closed: list[ConnectionRate] = []
        try:  # destroy notices need CAP_NET_ADMIN: without it closed connections go uncounted
            self.closing: ClosedSockets | None = ClosedSockets(fields=FIELDS)
        except NetlinkError:
            self.closing = None

    def use_filter(self, chosen: Filter, text: str) -> None:
        self.filter, self.filter_text = chosen, text
        self.selector = row_selector(chosen.states, chosen.expression, self.facts,
                                     chosen.families)  # fmt: skip

    def run(self, window: "curses.window") -> int:
        curses.set_escdelay(_ESCAPE_DELAY_MS)
        try:
            curses.curs_set(0)
        except curses.error:
            pass  # a terminal that cannot hide the cursor
        window.keypad(True)
        while True:
            self.refresh()
            deadline = time.monotonic() + self.interval
            while (left := deadline - time.monotonic()) > 0:
                self.show(window)
                window.timeout(max(1, int(left * 1000)))
                try:
                    key = window.get_wch()
                except curses.error:
                    continue  # no key before the timeout
                if self.answer(key) == "quit":
                    return 0

    def refresh(self) -> None:
        """Read, compute the rates since the last refresh (closed connections' included,
        from the kernel's destroy notices where it sends them), keep what the filter passes."""
        rows = self.read()
        now = time.monotonic()
        seconds = now - self.previous_at
        self.all_connections = rates(self.previous, rows, seconds)
        closed = self.closing.drain() if self.closing is not None else []
        self.closed = closed_rates(self.previous, closed, seconds) if self.previous_at else []
        self.previous, self.previous_at = rows, now
        # The closed sockets' owners are gone from /proc: the last refresh's map names them.
        self.earlier_owners = self.owners
        self.owners = read_owners(self.proc) if self.processes_view else None
        self._narrow()

    def _narrow(self) -> None:
        """The connections of the last refresh that the filter passes."""
        select = self.selector
        if select is None or self.filter is None:
            self.connections = self.all_connections
            return
        expression = self.filter.expression
        if self.owners is None and expression is not None and fields(expression) & _OWNERS:
            self.owners = read_owners(self.proc)
        self.facts.owners = self.owners
        self.connections = [one for one in self.all_connections if select(_as_socket(one.conn))]

    def show(self, window: "curses.window") -> None:
        key = SORT_KEYS[self.sort]
        frame = Frame(
            time.strftime("%H:%M:%S"), self.processes_view, key, self.filter_text,
            sort_connections(self.connections, key), prompt=self.prompt, error=self.error,
            closed=self.closed,
        )  # fmt: skip
        if self.processes_view and self.owners is not None:
            owners = dict(self.earlier_owners.owners) if self.earlier_owners else {}
            owners.update(self.owners.owners)
            every = [*self.connections, *self.closed]
            processes = sort_processes(process_rates(every, owners), key)
            for one in processes:
                if one.pid not in self.containers:
                    self.containers[one.pid] = self._container(one.pid)
            frame = frame._replace(processes=processes, containers=self.containers)
        height, width = window.getmaxyx()
        draw(window, render_frame(frame, width, height))

    def _container(self, pid: int) -> str:
        try:
            found = read_container(self.proc, pid)
        except Error:
            return "-"
        return "-" if found is None else found.short

    def answer(self, key: int | str) -> str | None:
        """Act on one key; "quit" to end."""
        if key == curses.KEY_RESIZE:
            curses.update_lines_cols()
        elif self.prompt is not None:
            self._prompt_key(key)
        elif key == "q":
            return "quit"
        elif key == "p":
            self.processes_view = not self.processes_view
            if self.processes_view and self.owners is None:
                self.owners = read_owners(self.proc)
        elif key == "s":
            self.sort = (self.sort + 1) % len(SORT_KEYS)
        elif key == "f":
            self.prompt, self.error = self.filter_text, None
        return None

    def _prompt_key(self, key: int | str) -> None:
        assert self.prompt is not None
        if key == "\x1b":
            self.prompt, self.error = None, None
        elif key in ("\n", "\r", curses.KEY_ENTER):
            self._apply(self.prompt)
        elif key in (curses.KEY_BACKSPACE, "\x7f", "\b"):
            self.prompt, self.error = self.prompt[:-1], None
        elif isinstance(key, str) and key.isprintable():
            self.prompt, self.error = self.prompt + key, None

    def _apply(self, text: str) -> None:
        words = split_words([text])
        if not words:
            self.filter, self.filter_text, self.selector = None, "", None
        else:
            try:
                chosen = parse_filter(words)
            except FilterError as exc:
                self.error = str(exc)
                return
            problem = filter_problem(chosen)
            if problem:
                self.error = problem
                return
            self.use_filter(chosen, " ".join(words))
        self.prompt = None
        self._narrow()  # at once, on the last refresh's rates


def _as_socket(row: TcpInfo) -> InetSocket:
    """A TCP_INFO row as the socket row the filter predicate takes (the uid is not known)."""
    return InetSocket(Protocol.TCP, row.family, 0, row.local_address, row.local_port,
                      row.remote_address, row.remote_port, row.state, 0, 0, 0, 0, 0, 0, 0,
                      row.inode)  # fmt: skip
