"""The --top screen: ``render_frame`` lays one frame out as lines (pure, so tests and the
benchmark need no terminal), ``draw`` puts them in a curses window.

Line 0 is the status (time, how many connections, the sort key, the filter), line 1 the
column titles, then as many rows as fit, and the last line the keys (or the filter prompt).
"""

import curses
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .rates import ConnectionRate, ProcessRate, format_rate

__all__ = ["HELP_LINE", "Frame", "draw", "render_frame"]

HELP_LINE = "q quit  p processes  s sort  f filter"
# After the two address columns: State, Send/s, Recv/s, RTT ms, Retrans.
_CONNECTION_TAIL = " %-11s %6s %6s %6s %7s"
_TAIL_WIDTH = 41
_PROCESS_ROW = "%-24s %5s %7s %7s  %s"


class Frame(NamedTuple):
    """What one frame shows. ``connections`` and ``processes`` come sorted; ``prompt`` is
    the filter being typed (None when the prompt is closed), ``error`` why the last one
    typed was refused."""

    clock: str
    processes_view: bool
    sort: str
    filter_text: str
    connections: Sequence[ConnectionRate]
    processes: Sequence[ProcessRate] = ()
    containers: Mapping[int, str] = {}
    prompt: str | None = None
    error: str | None = None
    closed: Sequence[ConnectionRate] = ()  # connections closed since the last refresh


def render_frame(frame: Frame, width: int, height: int) -> list[str]:
    """The frame as at most ``height`` lines of at most ``width`` characters.

    >>> frame = Frame("12:00:00", False, "send", "", [])
    >>> for line in render_frame(frame, 80, 4): print(line.rstrip())
    pnetstat --top  12:00:00  0 connections  sort: send  filter: -
    Local Address:Port Foreign Address:Port State       Send/s Recv/s RTT ms Retrans
    <BLANKLINE>
    q quit  p processes  s sort  f filter
    """
    if height < 1 or width < 1:
        return []
    status = (f"pnetstat --top  {frame.clock}  {len(frame.connections)} connections  "
              f"sort: {frame.sort}  filter: {frame.filter_text or '-'}")  # fmt: skip
    if frame.closed:
        sent = sum(one.send or 0 for one in frame.closed)
        received = sum(one.recv or 0 for one in frame.closed)
        status += (f"  closed: {len(frame.closed)} "
                   f"{format_rate(sent)}/{format_rate(received)}")  # fmt: skip
    if frame.processes_view:
        titles = _PROCESS_ROW % ("PID/Program", "Conns", "Send/s", "Recv/s", "Container")
        shown = frame.processes[: max(0, height - 3)]
        rows = [_process_row(one, frame.containers) for one in shown]
    else:
        # The two address columns share what the others leave, the foreign one 2 wider for
        # its longer title: 18 and 20 on 80 columns.
        local = max(10, (width - _TAIL_WIDTH - 1) // 2 - 1)
        sides = (local, max(12, width - _TAIL_WIDTH - 1 - local))
        titles = f"{'Local Address:Port':<{sides[0]}} {'Foreign Address:Port':<{sides[1]}}" + (
            _CONNECTION_TAIL % ("State", "Send/s", "Recv/s", "RTT ms", "Retrans")
        )
        rows = [_connection_row(one, sides) for one in frame.connections[: max(0, height - 3)]]
    if frame.prompt is not None:
        bottom = f"filter: {frame.prompt}_"
        if frame.error:
            bottom += f"  error: {frame.error}"
    else:
        bottom = HELP_LINE
    lines = [status, titles, *rows][: height - 1]
    lines += [""] * (height - 1 - len(lines)) + [bottom]
    return [line[:width] for line in lines[-height:]] if height > 1 else [bottom[:width]]


_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 8: "CLOSE_WAIT",
           9: "LAST_ACK", 11: "CLOSING"}  # fmt: skip


def _connection_row(one: ConnectionRate, sides: tuple[int, int]) -> str:
    conn = one.conn
    local = _endpoint(str(conn.local_address), conn.local_port, sides[0])
    remote = _endpoint(str(conn.remote_address), conn.remote_port, sides[1])
    rtt = "-" if one.rtt_ms is None else f"{one.rtt_ms:.1f}"
    return f"{local:<{sides[0]}} {remote:<{sides[1]}}" + _CONNECTION_TAIL % (
        _STATES.get(conn.state, str(conn.state)), format_rate(one.send), format_rate(one.recv),
        rtt, one.retrans,
    )  # fmt: skip


def _endpoint(address: str, port: int, side: int) -> str:
    """``address:port``, the address cut (not the port) when it does not fit."""
    tail = f":{port}"
    return address[: max(0, side - len(tail))] + tail


def _process_row(one: ProcessRate, containers: Mapping[int, str]) -> str:
    return _PROCESS_ROW % (
        f"{one.pid}/{one.program}"[:24], one.connections, format_rate(one.send),
        format_rate(one.recv), containers.get(one.pid, "-"),
    )  # fmt: skip


def draw(window: "curses.window", lines: Sequence[str]) -> None:
    """Put ``lines`` in ``window`` and update the terminal once: erase() only empties the
    window's buffer, so curses sends just the cells that changed (no flicker, unlike clear())."""
    height, width = window.getmaxyx()
    window.erase()
    for y, text in enumerate(lines[:height]):
        attribute = curses.A_REVERSE if y == 0 else curses.A_BOLD if y == 1 else curses.A_NORMAL
        try:
            window.addnstr(y, 0, text, width, attribute)
        except curses.error:
            pass  # the bottom-right cell: curses writes it, then fails to move past it
    window.refresh()
