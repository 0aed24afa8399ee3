"""Byte rates from two TCP_INFO snapshots: pure functions, no I/O (``pnetstat.live.rates``).

A connection is known by its family, both addresses and ports, and its inode; its send rate
is the growth of ``bytes_acked`` (what the peer has acknowledged, as ``ss -ti`` counts it) and
its receive rate the growth of ``bytes_received``, each divided by the seconds between the two
snapshots. A connection only the later snapshot has gets no rate yet (``None``): it has one
from its second refresh on.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from ..model import IPAddress, Owner, program_name
from ..sources.sockdiag.tcpinfo import TcpInfo

__all__ = [
    "FIELDS",
    "SORT_KEYS",
    "ConnectionRate",
    "ProcessRate",
    "closed_rates",
    "connection_key",
    "format_rate",
    "is_connection",
    "process_rates",
    "rates",
    "sort_connections",
    "sort_processes",
]

Key = tuple[int, IPAddress, int, IPAddress, int, int]
#: The TCP_INFO fields the rates use (``read_tcp_info(fields=FIELDS)`` decodes only these).
FIELDS = ("bytes_acked", "bytes_received", "rtt", "total_retrans")
#: The orders ``s`` cycles through: the largest first, ``local`` by the local address.
SORT_KEYS = ("send", "recv", "rtt", "retrans", "local")
# States of a full socket with a peer (include/net/tcp_states.h): not LISTEN (10), CLOSE (7),
# TIME_WAIT (6) nor a request socket (SYN_RECV 3, NEW_SYN_RECV 12): those have no TCP_INFO.
_CONNECTED = frozenset({1, 2, 4, 5, 8, 9, 11})


class ConnectionRate(NamedTuple):
    """One connection with its rates in bytes per second (None before its second snapshot),
    its smoothed RTT in milliseconds (None if the kernel sent none) and its retransmits."""

    conn: TcpInfo
    send: float | None
    recv: float | None
    rtt_ms: float | None
    retrans: int


class ProcessRate(NamedTuple):
    """One process: its connections and their rates summed (None if none has a rate yet)."""

    pid: int
    program: str
    connections: int
    send: float | None
    recv: float | None


def connection_key(row: TcpInfo) -> Key:
    """What identifies a connection across snapshots."""
    return (int(row.family), row.local_address, row.local_port, row.remote_address,
            row.remote_port, row.inode)  # fmt: skip


def is_connection(row: TcpInfo) -> bool:
    """Whether ``row`` is a connection to show: a peer's port and a connected state."""
    return row.remote_port != 0 and row.state in _CONNECTED


def rates(
    before: Iterable[TcpInfo], after: Iterable[TcpInfo], seconds: float
) -> list[ConnectionRate]:
    """Each connection of ``after`` (in its order) with its rates since ``before``, taken
    ``seconds`` earlier. Listeners and sockets without a peer are left out.

    >>> from ipaddress import IPv4Address as A
    >>> from pnetstat.model import Family
    >>> def row(acked, received):
    ...     return TcpInfo(Family.INET, A("127.0.0.1"), 5000, A("127.0.0.1"), 80, 1, 7,
    ...                    {"bytes_acked": acked, "bytes_received": received, "rtt": 1500,
    ...                     "total_retrans": 2})
    >>> [one] = rates([row(1000, 0)], [row(2_501_000, 500)], 2.0)
    >>> one.send, one.recv, one.rtt_ms, one.retrans
    (1250000.0, 250.0, 1.5, 2)
    >>> rates([], [row(1000, 0)], 2.0)[0].send is None
    True
    """
    # Looked up by inode and ports, the addresses compared on a hit only: ipaddress objects
    # hash slowly, and this runs over every connection each refresh.
    earlier = {(row.inode, row.local_port, row.remote_port): row for row in before}
    found = []
    for row in after:
        if row.remote_port == 0 or row.state not in _CONNECTED:
            continue
        info = row.info
        then = earlier.get((row.inode, row.local_port, row.remote_port))
        send = recv = None
        if then is not None and seconds > 0 and connection_key(then) == connection_key(row):
            old = then.info
            # max(): a counter never goes back for one socket; a reused key starts from 0.
            send = max(0, info.get("bytes_acked", 0) - old.get("bytes_acked", 0)) / seconds
            recv = max(0, info.get("bytes_received", 0) - old.get("bytes_received", 0)) / seconds
        rtt = info.get("rtt")
        found.append(ConnectionRate(row, send, recv, None if rtt is None else rtt / 1000,
                                    info.get("total_retrans", 0)))  # fmt: skip
    return found


def closed_rates(
    before: Iterable[TcpInfo], closed: Iterable[TcpInfo], seconds: float
) -> list[ConnectionRate]:
    """What connections that closed since ``before`` sent and received in those ``seconds``:
    their last TCP_INFO (from the kernel's destroy notice) less their reading in ``before``,
    or all of it for a connection that opened and closed in between. The notice carries no
    inode, so a connection is matched by its addresses; the rate keeps the earlier reading's
    row (and so its inode, for the process view) where there was one.

    >>> from ipaddress import IPv4Address as A
    >>> from pnetstat.model import Family
    >>> def row(inode, acked):
    ...     return TcpInfo(Family.INET, A("127.0.0.1"), 5000, A("127.0.0.1"), 80, 1, inode,
    ...                    {"bytes_acked": acked, "bytes_received": 0})
    >>> [one] = closed_rates([row(7, 1000)], [row(0, 3000)], 2.0)
    >>> one.conn.inode, one.send
    (7, 1000.0)
    """
    if seconds <= 0:
        return []
    earlier = {_peers(row): row for row in before if row.remote_port}
    found = []
    for row in closed:
        if not row.remote_port:
            continue  # a listener
        then = earlier.get(_peers(row))
        old = then.info if then is not None else {}
        send = max(0, row.info.get("bytes_acked", 0) - old.get("bytes_acked", 0)) / seconds
        recv = max(0, row.info.get("bytes_received", 0) - old.get("bytes_received", 0)) / seconds
        found.append(
            ConnectionRate(then or row, send, recv, None, row.info.get("total_retrans", 0))
        )
    return found


def _peers(row: TcpInfo) -> tuple[object, ...]:
    return (int(row.family), row.local_address, row.local_port, row.remote_address, row.remote_port)


def process_rates(
    connections: Iterable[ConnectionRate], owners: Mapping[int, Sequence[Owner]]
) -> list[ProcessRate]:
    """The connections grouped by the process holding each socket (its first owner, as
    netstat shows; a socket without a known owner is left out), rates summed, by PID.

    >>> from ipaddress import IPv4Address as A
    >>> from pnetstat.model import Family
    >>> def conn(inode, send):
    ...     row = TcpInfo(Family.INET, A("127.0.0.1"), inode, A("127.0.0.1"), 80, 1, inode, {})
    ...     return ConnectionRate(row, send, 0.0, None, 0)
    >>> owners = {1: [Owner(42, 3, "/usr/bin/curl")], 2: [Owner(42, 4, "/usr/bin/curl")]}
    >>> process_rates([conn(1, 100.0), conn(2, None), conn(3, 5.0)], owners)
    [ProcessRate(pid=42, program='curl', connections=2, send=100.0, recv=0.0)]
    """
    names: dict[int, str] = {}
    counts: dict[int, int] = {}
    sent: dict[int, float | None] = {}
    received: dict[int, float | None] = {}
    for one in connections:
        holders = owners.get(one.conn.inode)
        if not holders:
            continue
        pid = holders[0].pid
        if pid not in names:
            names[pid], counts[pid] = program_name(holders[0].argv0), 0
            sent[pid] = received[pid] = None
        counts[pid] += 1
        sent[pid] = _add(sent[pid], one.send)
        received[pid] = _add(received[pid], one.recv)
    return [ProcessRate(pid, names[pid], counts[pid], sent[pid], received[pid])
            for pid in sorted(names)]  # fmt: skip


def _add(total: float | None, value: float | None) -> float | None:
    if value is None:
        return total
    return value if total is None else total + value


def format_rate(value: float | None) -> str:
    """Bytes per second in at most 3 significant digits with K, M, G (powers of 1000);
    ``-`` for no rate yet.

    >>> [format_rate(v) for v in (None, 0, 999.4, 640_000, 1_250_000, 999_700, 12_345_678_901)]
    ['-', '0', '999', '640K', '1.25M', '1.00M', '12.3G']
    """
    if value is None:
        return "-"
    if value < 999.5:
        return str(round(value))
    for unit, scale in (("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)):
        scaled = value / scale
        if scaled < 999.5 or unit == "T":
            digits = 2 if scaled < 9.995 else 1 if scaled < 99.95 else 0
            return f"{scaled:.{digits}f}{unit}"
    raise AssertionError(value)


def sort_connections(connections: list[ConnectionRate], key: str) -> list[ConnectionRate]:
    """``connections`` in the order of ``key`` (one of ``SORT_KEYS``)."""
    if key == "local":
        return sorted(connections, key=lambda one: _local(one.conn))
    value: dict[str, Callable[[ConnectionRate], float | None]] = {
        "send": lambda one: one.send, "recv": lambda one: one.recv,
        "rtt": lambda one: one.rtt_ms, "retrans": lambda one: one.retrans,
    }  # fmt: skip
    pick = value[key]
    return sorted(connections, key=lambda one: _number(pick(one)), reverse=True)


def sort_processes(processes: list[ProcessRate], key: str) -> list[ProcessRate]:
    """``processes`` by ``key``: ``send`` and ``recv`` the largest first, the others by PID."""
    if key not in ("send", "recv"):
        return sorted(processes, key=lambda one: one.pid)
    if key == "send":
        return sorted(processes, key=lambda one: _number(one.send), reverse=True)
    return sorted(processes, key=lambda one: _number(one.recv), reverse=True)


def _number(value: float | None) -> float:
    return -1.0 if value is None else value


def _local(row: TcpInfo) -> tuple[int, bytes, int, bytes, int]:
    return (int(row.family), row.local_address.packed, row.local_port,
            row.remote_address.packed, row.remote_port)  # fmt: skip
