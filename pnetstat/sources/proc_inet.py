"""The Internet socket tables of /proc: net/tcp, net/udp, net/udplite, net/raw and their IPv6
forms (tcp6, udp6, udplite6, raw6).

``read_inet_sockets`` opens one (``socket_file`` names it); ``parse_inet_lines`` is pure and turns
its lines into ``InetSocket`` rows, reading an unusual row the way netstat's sscanf does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address

from ..errors import ParseError
from ..model import Family, InetSocket, IPAddress, Protocol
from .procfs import ErrorHandler, ProcFS, ignore_errors

__all__ = [
    "parse_inet_lines",
    "read_inet_sockets",
    "socket_file",
]

# --------------------------------------------------------------------------- Internet sockets

_FILES = {
    (Protocol.TCP, Family.INET): "net/tcp",
    (Protocol.TCP, Family.INET6): "net/tcp6",
    (Protocol.UDP, Family.INET): "net/udp",
    (Protocol.UDP, Family.INET6): "net/udp6",
    (Protocol.UDPLITE, Family.INET): "net/udplite",
    (Protocol.UDPLITE, Family.INET6): "net/udplite6",
    (Protocol.RAW, Family.INET): "net/raw",
    (Protocol.RAW, Family.INET6): "net/raw6",
}

# netstat scans each row with one sscanf and calls it bogus when fewer than this many
# conversions succeed (address and port count separately): TCP needs the retransmit
# column, UDP and RAW stop at tm->when.
_MIN_FIELDS = {Protocol.TCP: 11, Protocol.UDP: 10, Protocol.UDPLITE: 10, Protocol.RAW: 10}


def socket_file(protocol: Protocol, family: Family) -> str:
    """The /proc-relative file holding ``protocol`` sockets of ``family``."""
    return _FILES[(protocol, family)]


def read_inet_sockets(
    proc: ProcFS,
    protocol: Protocol,
    family: Family,
    on_error: ErrorHandler = ignore_errors,
) -> Iterator[InetSocket]:
    """Open /proc/net/<protocol>[6] and return an iterator of its rows, in file order."""
    relative = socket_file(protocol, family)
    lines = proc.open_text(relative)
    return parse_inet_lines(lines, protocol, family, proc.path(relative), on_error)


def _ipv4(hexaddr: str) -> IPv4Address:
    # The kernel prints the 32-bit address as a host-order (little-endian) integer.
    return IPv4Address(int(hexaddr, 16).to_bytes(4, "little"))


def _ipv6(hexaddr: str) -> IPv6Address:
    # Four host-order 32-bit words; a short string leaves the remaining words zero.
    packed = b"".join(
        int(hexaddr[i : i + 8] or "0", 16).to_bytes(4, "little") for i in range(0, 32, 8)
    )
    return IPv6Address(packed)


def _address(hexaddr: str, cache: dict[str, IPAddress]) -> IPAddress:
    found = cache.get(hexaddr)
    if found is None:
        if not hexaddr or len(hexaddr) > 64 or not _HEXDIGITS.issuperset(hexaddr):
            raise ValueError(hexaddr)
        found = _ipv6(hexaddr) if len(hexaddr) > 8 else _ipv4(hexaddr)
        cache[hexaddr] = found
    return found


def parse_inet_lines(
    lines: Iterable[str],
    protocol: Protocol,
    family: Family,
    path: str = "",
    on_error: ErrorHandler = ignore_errors,
) -> Iterator[InetSocket]:
    """Parse the lines of a /proc/net/{tcp,udp,udplite,raw}[6] file (header first).

    >>> row = next(parse_inet_lines(["header", "  0: 0100007F:0016 00000000:0000 0A "
    ...     "00000000:00000000 00:00000000 00000000     0        0 1234 1 0 100 0 0 10 0"],
    ...     Protocol.TCP, Family.INET))
    >>> str(row.local_address), row.local_port, row.state, row.inode
    ('127.0.0.1', 22, 10, 1234)
    """
    cache: dict[str, IPAddress] = {}
    minimum = _MIN_FIELDS[protocol]
    new = tuple.__new__
    last: InetSocket | None = None
    seen: set[object] = set()
    for lineno, line in enumerate(lines, 1):
        if lineno == 1:
            continue
        fields = line.split()
        try:
            # The common case, inline because it runs once per socket: a complete kernel row.
            sl, local, remote, st, queues, timer, retr, uid, timeout, inode = fields[:10]
            lhex, lport = local.split(":")
            rhex, rport = remote.split(":")
            txq, rxq = queues.split(":")
            tr, when = timer.split(":")
            if sl[-1] != ":":
                raise ValueError(sl)
            laddr = cache.get(lhex) or _address(lhex, cache)
            raddr = cache.get(rhex) or _address(rhex, cache)
            row: InetSocket = new(
                InetSocket,
                (protocol, family, int(sl[:-1]), laddr, int(lport, 16), raddr, int(rport, 16),
                 int(st, 16), int(txq, 16), int(rxq, 16), int(tr, 16), int(when, 16),
                 int(retr, 16), int(uid), int(timeout), int(inode), tuple(fields[10:])),
            )  # fmt: skip
        except (ValueError, IndexError):
            slow = _slow_inet(line, last, protocol, family, minimum, cache)
            if slow is None:
                on_error(ParseError(path, lineno, line.rstrip("\n")))
                continue
            row = slow
        last = row
        # A file read while sockets come and go can list one twice (the kernel resumes each
        # read by position): show each socket once.
        # (Addresses are shared objects per distinct address within one read: ids suffice.)
        key = (row.inode, id(row.local_address), row.local_port, id(row.remote_address),
               row.remote_port)  # fmt: skip
        if key in seen:
            continue
        seen.add(key)
        yield row


def _slow_inet(
    line: str,
    last: InetSocket | None,
    protocol: Protocol,
    family: Family,
    minimum: int,
    cache: dict[str, IPAddress],
) -> InetSocket | None:
    """An unusual row, scanned the way netstat scans it; ``None`` if netstat calls it bogus.

    Columns that a short (but not bogus) row lacks keep the previous row's values, as in
    netstat, whose scan targets are reused from row to row.
    """
    previous = [0] * 14
    if last is not None:
        previous = [last.sl, 0, last.local_port, 0, last.remote_port, last.state, last.tx_queue,
                    last.rx_queue, last.timer, last.timer_expires, last.retransmits, last.uid,
                    last.timeout, last.inode]  # fmt: skip
    values, hexes, count = _scan_inet(line, previous)
    if count < minimum:
        return None
    st, txq, rxq, tr, when, retr, uid, timeout, inode = values[5:14]
    return InetSocket(
        protocol, family, values[0], _address(hexes[0], cache), values[2],
        _address(hexes[1], cache), values[4], st, txq, rxq, tr, when, retr, uid, timeout, inode,
    )  # fmt: skip


def _scan_inet(line: str, previous: list[int]) -> tuple[list[int], tuple[str, str], int]:
    """Emulate netstat's sscanf of a row: how many conversions succeed, with their values.

    The conversions are, in order: slot ``%d:``, local ``hex``, ``:%X`` port, remote ``hex``,
    ``:%X`` port, ``%X`` state, ``%lX:%lX`` queues, ``%X:%lX`` timer, ``%lX`` retransmits,
    ``%d`` uid, ``%d`` timeout, ``%lu`` inode.
    """
    scan = _Scanner(line)
    values = list(previous)
    hexes = ["0", "0"]
    steps: list[tuple[str, int]] = [
        ("d", 0), (":", -1), (" ", -1), ("h", 0), (":", -1), ("X", 2), (" ", -1), ("h", 1),
        (":", -1), ("X", 4), ("X", 5), ("X", 6), (":", -1), ("X", 7), ("X", 8), (":", -1),
        ("X", 9), ("X", 10), ("d", 11), ("d", 12), ("u", 13),
    ]  # fmt: skip
    count = 0
    for kind, slot in steps:
        if kind == ":":
            if not scan.literal(":"):
                break
            continue
        if kind == " ":
            scan.skip_space()
            continue
        if kind == "h":
            text = scan.hex_run()
            if text is None:
                break
            hexes[slot] = text
        else:
            number = scan.number(16 if kind == "X" else 10)
            if number is None:
                break
            values[slot] = number
        count += 1
    return values, (hexes[0], hexes[1]), count


class _Scanner:
    """Just enough of scanf's rules for the kernel's table rows."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        self.pos = pos

    def literal(self, char: str) -> bool:
        if self.text.startswith(char, self.pos):
            self.pos += 1
            return True
        return False

    def hex_run(self) -> str | None:
        # %64[0-9A-Fa-f] skips no white space and needs at least one digit.
        start = pos = self.pos
        text = self.text
        while pos < len(text) and pos - start < 64 and text[pos] in _HEXDIGITS:
            pos += 1
        if pos == start:
            return None
        self.pos = pos
        return text[start:pos]

    def number(self, base: int) -> int | None:
        self.skip_space()
        text, pos = self.text, self.pos
        start = pos
        if pos < len(text) and text[pos] in "+-":
            pos += 1
        digits = _HEXDIGITS if base == 16 else "0123456789"
        begin = pos
        while pos < len(text) and text[pos] in digits:
            pos += 1
        if pos == begin:
            return None
        self.pos = pos
        return int(text[start:pos], base)


_HEXDIGITS = frozenset("0123456789abcdefABCDEF")
