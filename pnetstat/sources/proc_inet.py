"""The Internet socket tables of /proc: net/tcp, net/udp, net/udplite, net/raw and their IPv6
forms (tcp6, udp6, udplite6, raw6).

``read_inet_sockets`` opens one (``socket_file`` names it); ``parse_inet_lines`` is pure and turns
its lines into ``InetSocket`` rows, reading an unusual row the way netstat's sscanf does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address

from ..errors import ParseError
from ..model import Family, InetSocket, IPAddress, Protocol
from .cscan import fgets_lines
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


# An ordinary kernel row up to its inode, as Linux writes it: anything else (other blanks, signs,
# "0x", numbers that would overflow their C type, other address lengths) goes to the careful
# reading of inet_scan, which gives the same result on these rows, only slower.
_PLAIN = (
    r" *([0-9]{{1,9}}): ({addr}):([0-9A-F]{{4}}) ({addr}):([0-9A-F]{{4}}) ([0-9A-F]{{2}})"
    r" ([0-9A-F]{{8}}):([0-9A-F]{{8}}) ([0-9A-F]{{2}}):([0-9A-F]{{8,16}}) ([0-9A-F]{{8}})"
    r" +([0-9]{{1,9}}) +(-?[0-9]{{1,9}}) ([0-9]{{1,19}})(?![0-9])"
)
_PLAIN_ROW = {
    Family.INET: re.compile(_PLAIN.format(addr="[0-9A-F]{8}")).match,
    Family.INET6: re.compile(_PLAIN.format(addr="[0-9A-F]{32}")).match,
}
#: netstat reads these files with fgets into a buffer of this size: a longer line comes in pieces.
LINE_BUFFER = 8192


def _ipv4(hexaddr: str) -> IPv4Address:
    # The kernel prints the 32-bit address as a host-order (little-endian) integer.
    return IPv4Address(int(hexaddr, 16).to_bytes(4, "little"))


def _ipv6(hexaddr: str) -> IPv6Address:
    # Four host-order 32-bit words.
    packed = b"".join(int(hexaddr[i : i + 8], 16).to_bytes(4, "little") for i in range(0, 32, 8))
    return IPv6Address(packed)


def parse_inet_lines(
    lines: Iterable[str],
    protocol: Protocol,
    family: Family,
    path: str = "",
    on_error: ErrorHandler = ignore_errors,
) -> Iterator[InetSocket]:
    """Parse the lines of a /proc/net/{tcp,udp,udplite,raw}[6] file (header first).

    Lines are taken in netstat's pieces (``LINE_BUFFER``); a row that is not plain kernel
    output is read by :func:`inet_scan.scan_inet_row`, and one netstat calls bogus is reported
    to ``on_error`` as a ``ParseError``.

    >>> row = next(parse_inet_lines(["header", "  0: 0100007F:0016 00000000:0000 0A "
    ...     "00000000:00000000 00:00000000 00000000     0        0 1234 1 0 100 0 0 10 0"],
    ...     Protocol.TCP, Family.INET))
    >>> str(row.local_address), row.local_port, row.state, row.inode
    ('127.0.0.1', 22, 10, 1234)
    """
    cache: dict[str, IPAddress] = {}  # hex text -> address, for the plain rows
    shared: dict[IPAddress, IPAddress] = {}  # one object per distinct address of this read
    address = _ipv6 if family is Family.INET6 else _ipv4
    plain = _PLAIN_ROW[family]
    new = tuple.__new__
    last: InetSocket | None = None
    buffer = bytearray(16)  # netstat's IPv6 word buffer, shared by the rows of one file
    seen: set[object] = set()
    for lineno, line in enumerate(fgets_lines(lines, LINE_BUFFER), 1):
        if lineno == 1:
            continue
        match = plain(line)
        if match is not None:
            # The common case, inline because it runs once per socket.
            sl, lhex, lport, rhex, rport, st, txq, rxq, tr, when, retr, uid, timeout, inode = (
                match.groups()
            )
            laddr = cache.get(lhex)
            if laddr is None:
                laddr = cache[lhex] = shared.setdefault(made := address(lhex), made)
            raddr = cache.get(rhex)
            if raddr is None:
                raddr = cache[rhex] = shared.setdefault(made := address(rhex), made)
            row: InetSocket = new(
                InetSocket,
                (protocol, family, int(sl), laddr, int(lport, 16), raddr, int(rport, 16),
                 int(st, 16), int(txq, 16), int(rxq, 16), int(tr, 16), int(when, 16),
                 int(retr, 16), int(uid), int(timeout), int(inode),
                 tuple(line[match.end() :].split())),
            )  # fmt: skip
        else:
            from .inet_scan import scan_inet_row  # loaded on the first unusual row only

            if last is not None and last.local_address.version == 6:
                buffer[:] = last.remote_address.packed
            careful = scan_inet_row(line, protocol, family, last, buffer)
            if careful is None:
                on_error(ParseError(path, lineno, line.rstrip("\n")))
                continue
            local, remote = careful.local_address, careful.remote_address
            row = careful._replace(
                local_address=shared.setdefault(local, local),
                remote_address=shared.setdefault(remote, remote),
            )
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
