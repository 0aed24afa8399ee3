"""Sockets counted, not listed (the exporter's reading): a sock_diag dump walked with ``struct``
into the numbers the metrics need, without a row per socket.

* TCP (both families, one dump): a ``TcpCounts``. Listing costs a row per socket (a tuple with
  two address objects) that the exporter then only counts: at 200k sockets that was 0.5 s of
  a 0.9 s scrape. Here a socket costs one ``unpack_from`` of the few fields the counts need
  and a dict update, and the dump's time is mostly the kernel's. Only LISTEN sockets become
  rows (by the listing's own decoder), for their addresses and queues.
* UNIX: how many rows /proc/net/unix would list. The kernel formats /proc/net/unix (a path
  per line) at about twice the cost of a unix_diag dump that asks for nothing but listeners'
  queued connections (measured at 100k sockets: 86 ms against 53 ms of CPU).

Each must agree with the listing it replaces (``parse_inet_diag`` counted the way
``pnetstat.serve.metrics`` counts rows; ``parse_unix_diag``'s number of rows):
tests/unit/test_sockdiag_counts.py holds them together.
"""

import struct
from collections.abc import Iterable

from ...model import Family, InetSocket, Protocol, TcpCounts
from ..procfs import ErrorHandler, ignore_errors
from .inet import _SWAP, INET_DIAG_MSG, _InetDecoder, dump_tcp
from .netlink import (
    _TCP_LISTEN,
    _U32,
    NLATTR,
    NLMSGHDR,
    SOCK_DIAG_BY_FAMILY,
    TCPDIAG_GETSOCK,
    Datagram,
    _reader,
    _refusal_raised,
    _short,
    _skip,
)
from .unix import UDIAG_SHOW_ICONS, UNIX_DIAG_ICONS, UNIX_DIAG_MSG, dump_unix

__all__ = ["parse_tcp_counts", "parse_unix_count", "read_tcp_counts", "read_unix_count"]

# One unpack per socket. The ports stay the kernel's __be16 until the end: they are swapped
# once per count, not once per socket.
_COUNTED = _reader(
    NLMSGHDR, INET_DIAG_MSG,
    keep="nlmsg_len nlmsg_type idiag_family idiag_state id.idiag_sport id.idiag_dport "
         "id.idiag_cookie",
)  # fmt: skip
_FAMILIES = {int(Family.INET): Family.INET, int(Family.INET6): Family.INET6}
_UNIX_COUNTED = _reader(
    NLMSGHDR, UNIX_DIAG_MSG, keep="nlmsg_len nlmsg_type udiag_state udiag_cookie"
)


def read_tcp_counts(*, on_error: ErrorHandler = ignore_errors) -> TcpCounts:
    """The TCP table of both families, counted, from one sock_diag dump (one walk of the
    kernel's TCP hash, as ``ss -t`` asks).

    Raises ``NetlinkError`` at call time if the kernel refuses the request, so that a caller
    can read /proc instead; a malformed message goes to ``on_error``.
    """
    return parse_tcp_counts(_refusal_raised(dump_tcp()), on_error)


def parse_tcp_counts(
    datagrams: Iterable[Datagram], on_error: ErrorHandler = ignore_errors
) -> TcpCounts:
    """Count the answer to a TCP dump of both families (``tcp_request``).

    Counts what ``parse_inet_diag`` (with ``backlog``) would list: stops at NLMSG_DONE,
    raises ``NetlinkError`` if the answer reports an error, counts a socket reported twice
    once, gives a message too short for a socket to ``on_error``. A socket's local port is a
    listening one (``inbound``) when some socket of the dump has it with no remote port, as
    ``InetSocket.server`` says; such a socket may come after the ones it decides (the kernel
    walks its listening hash first, but a dump is not atomic), so a socket not yet known to
    be inbound waits, counted by both ports, until the whole dump is read.
    """
    counter = _Counter(on_error)
    for datagram in datagrams:
        if counter.count(datagram):
            break
    return counter.result(on_error)


class _Counter:
    """The state of one dump's counting, one datagram at a time. Keys are plain ints, the
    raw fields packed side by side (cheaper than tuples at 100k distinct keys)."""

    def __init__(self, on_error: ErrorHandler) -> None:
        self.on_error = on_error
        self.seen: set[int] = set()  # cookies
        self.listeners = bytearray()  # their messages, decoded into rows by ``result``
        self.ports: set[int] = set()  # listening ports (raw) found so far
        self.inbound: dict[int, int] = {}  # family << 24 | state << 16 | local port
        self.waiting: dict[int, int] = {}  # family << 40 | state << 32 | local << 16 | remote

    def count(self, datagram: Datagram) -> bool:
        """Count one datagram's sockets; whether the dump ended in it."""
        unpack, need = _COUNTED.unpack_from, _COUNTED.size
        seen, ports, inbound, waiting = self.seen, self.ports, self.inbound, self.waiting
        offset, size = 0, len(datagram)
        while offset < size:
            try:
                length, kind, family, state, sport, dport, cookie = unpack(datagram, offset)
            except struct.error:
                length, kind = _short(datagram, offset)
            if kind != TCPDIAG_GETSOCK or length < need:
                offset = _skip(datagram, offset, length, kind, self.on_error, len(seen))
                if offset < 0:
                    return True
                continue
            start, offset = offset, offset + ((length + 3) & ~3)
            if cookie in seen or family not in _FAMILIES:
                continue  # the listing shows a socket once, and no other family
            seen.add(cookie)
            if state == _TCP_LISTEN:
                self.listeners += datagram[start:offset]
                ports.add(sport)
            elif sport in ports:
                key = family << 24 | state << 16 | sport
                inbound[key] = inbound.get(key, 0) + 1
            else:
                key = family << 40 | state << 32 | sport << 16 | dport
                waiting[key] = waiting.get(key, 0) + 1
                if not dport:  # no remote port: a server socket, as InetSocket.server says
                    ports.add(sport)
        return False

    def result(self, on_error: ErrorHandler) -> TcpCounts:
        """The counts, once every datagram was counted."""
        ports, inbound, outbound = self.ports, dict(self.inbound), dict[int, int]()
        for key, number in self.waiting.items():
            if key >> 16 & 0xFFFF in ports:
                raw, found = key >> 16, inbound  # family, state, local port
            else:
                raw, found = key >> 32 << 16 | key & 0xFFFF, outbound  # ..., remote port
            found[raw] = found.get(raw, 0) + number
        return TcpCounts(self._listener_rows(on_error), _named(inbound), _named(outbound))

    def _listener_rows(self, on_error: ErrorHandler) -> tuple[InetSocket, ...]:
        rows: list[InetSocket] = []
        for family in (Family.INET, Family.INET6):
            decoder = _InetDecoder(Protocol.TCP, family, on_error, answer=TCPDIAG_GETSOCK)
            decoder.backlog = True
            rows += decoder.decode(self.listeners)[0]
        return tuple(rows)


def _named(counts: dict[int, int]) -> dict[tuple[Family, int, int], int]:
    """Counts keyed ``family << 24 | state << 16 | port`` (raw), keyed by their values."""
    return {(_FAMILIES[k >> 24], k >> 16 & 0xFF, _port(k & 0xFFFF)): n for k, n in counts.items()}


def _port(raw: int) -> int:
    """A __be16 port as read on this host, as a number.

    >>> _port(0x5000) if _SWAP else _port(0x0050)
    80
    """
    return ((raw & 0xFF) << 8) | (raw >> 8) if _SWAP else raw


# ------------------------------------------------------------------------------- UNIX


def read_unix_count(*, on_error: ErrorHandler = ignore_errors) -> int:
    """How many rows /proc/net/unix would list, from one unix_diag dump.

    Raises ``NetlinkError`` at call time if the kernel refuses (no unix_diag module, netlink
    forbidden), so that a caller can count /proc's lines instead.
    """
    return parse_unix_count(_refusal_raised(dump_unix(UDIAG_SHOW_ICONS)), on_error)


def parse_unix_count(datagrams: Iterable[Datagram], on_error: ErrorHandler = ignore_errors) -> int:
    """How many rows ``parse_unix_diag`` would make of this answer: a socket reported twice
    once, and a row for each connection waiting in a listener's accept queue (unix_diag skips
    those, inode 0: the listener's UNIX_DIAG_ICONS names them). Stops at NLMSG_DONE; raises
    ``NetlinkError`` if the answer reports an error; a malformed message goes to
    ``on_error``."""
    unpack, need = _UNIX_COUNTED.unpack_from, _UNIX_COUNTED.size
    seen: set[int] = set()
    queued = 0
    for datagram in datagrams:
        offset, size = 0, len(datagram)
        while offset < size:
            try:
                length, kind, state, cookie = unpack(datagram, offset)
            except struct.error:
                length, kind = _short(datagram, offset)
            if kind != SOCK_DIAG_BY_FAMILY or length < need:
                offset = _skip(datagram, offset, length, kind, on_error, len(seen) + 1)
                if offset < 0:
                    return len(seen) + queued
                continue
            start, offset = offset, offset + ((length + 3) & ~3)
            if cookie not in seen:
                seen.add(cookie)
                if state == _TCP_LISTEN:
                    queued += _icons(datagram, start + need, start + min(length, size - start))
    return len(seen) + queued


def _icons(datagram: Datagram, position: int, end: int) -> int:
    """How many inodes a UNIX_DIAG_ICONS attribute between ``position`` and ``end`` lists."""
    while position + NLATTR.struct.size <= end:
        size: int
        size, kind = NLATTR.struct.unpack_from(datagram, position)
        if size < NLATTR.struct.size:
            break
        if kind == UNIX_DIAG_ICONS:
            return (size - NLATTR.struct.size) // _U32.size
        position += (size + 3) & ~3
    return 0
