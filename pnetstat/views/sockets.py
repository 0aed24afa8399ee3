"""The socket listing: netstat's Internet and UNIX tables, line for line.

Column formats are kept as ``%``-strings that can be held against netstat's output. Rows are
rendered one at a time, so a listing streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .._typing import TYPE_CHECKING
from ..model import InetSocket, OwnerMap, Protocol, UnixSocket
from ..options import Options
from ..resolve import Resolver
from .names import (
    SERVICE_PROTOCOL,
    escape,
    fit_endpoint,
    format_host,
    format_port,
    format_program,
    format_user,
    ljust_bytes,
)

if TYPE_CHECKING:
    from ..model import IPAddress

__all__ = [
    "format_timer",
    "render_inet_header",
    "render_inet_rows",
    "render_unix_header",
    "render_unix_rows",
    "shown",
]

_TCP_STATES = ("", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
               "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")  # fmt: skip
_TCP_TIMERS = ("off", "on", "keepalive", "timewait", "probe")
_UDP_TIMERS = ("off", "on1", "on2")
_UNIX_TYPES = {1: "STREAM", 2: "DGRAM", 3: "RAW", 4: "RDM", 5: "SEQPACKET"}
_UNIX_STATES = {0: "FREE", 2: "CONNECTING", 3: "CONNECTED", 4: "DISCONNECTING"}
_LABELS = {Protocol.TCP: "tcp", Protocol.UDP: "udp", Protocol.UDPLITE: "udpl", Protocol.RAW: "raw"}
# Row formats of TCP/RAW and of UDP/UDP-Lite (netstat pads the protocol differently).
_ROW = "%-4s  %6d %6d %-23s %-23s %-11s"
_UDP_ROW = "%-5s %6d %6d %-23s %-23s %-11s"
# The kernel's USER_HZ, which /proc's timer columns count in.
_HZ = 100


def _title(options: Options) -> str:
    if options.all:
        return "(servers and established)"
    if options.listening:
        return "(only servers)"
    return "(w/o servers)"


def shown(server: bool, options: Options) -> bool:
    """Whether netstat lists a socket: ``-a`` all, ``-l`` servers only, default the rest."""
    if options.all:
        return True
    return server if options.listening else not server


def render_inet_header(options: Options) -> Iterator[str]:
    """The two header lines of the Internet table."""
    yield f"Active Internet connections {_title(options)}\n"
    line = "Proto Recv-Q Send-Q Local Address           Foreign Address         State      "
    if options.extend:
        line += " User       Inode     "
    if options.programs:
        line += " PID/Program name    "
    if options.timers:
        line += " Timer"
    yield line + "\n"


def tcp_state_text(state: int) -> str:
    """The State cell of a TCP row (numbers past the table, never written by Linux, blank)."""
    return _TCP_STATES[state] if 0 <= state < len(_TCP_STATES) else ""


def _signed(value: int, bits: int) -> int:
    """``value`` as netstat prints it from a signed C type of ``bits`` bits."""
    return value - (1 << bits) if value >> (bits - 1) else value


def _state_text(sock: InetSocket) -> str:
    if sock.protocol is Protocol.TCP:
        return tcp_state_text(sock.state)
    if sock.protocol is Protocol.RAW:
        return str(_signed(sock.state, 32))
    return {1: "ESTABLISHED", 7: ""}.get(sock.state, "UNKNOWN")


def format_timer(sock: InetSocket) -> str:
    """The ``-o`` Timer cell, e.g. ``keepalive (7018.28/0/0)``.

    >>> from pnetstat.model import Family
    >>> from ipaddress import IPv4Address as A
    >>> s = InetSocket(Protocol.TCP, Family.INET, 0, A(0), 1, A(0), 2, 1, 0, 0, 2, 701828,
    ...     0, 0, 0, 5)
    >>> format_timer(s)
    'keepalive (7018.28/0/0)'
    """
    # netstat holds the timer in a C int and the retransmits in a C long (observed in 2.10).
    timer = _signed(sock.timer, 32)
    if sock.protocol is Protocol.TCP:
        names: tuple[str, ...] = _TCP_TIMERS
        retransmits = _signed(sock.retransmits, 64)
    else:
        names = _UDP_TIMERS
        # UDP rows always show 0 retransmits; RAW rows show the column (observed in 2.10).
        retransmits = _signed(sock.retransmits, 64) if sock.protocol is Protocol.RAW else 0
    if timer == 0:
        return "off (0.00/%d/%d)" % (retransmits, sock.timeout)
    name = names[timer] if 0 <= timer < len(names) else "unkn-%d" % timer
    return "%s (%.2f/%d/%d)" % (name, sock.timer_expires / _HZ, retransmits, sock.timeout)


def _prefetched(rows: Iterable[InetSocket], resolver: Resolver | None) -> Iterable[InetSocket]:
    """Pass rows on in batches, starting the batch's host lookups together, so that names are
    looked up concurrently while output still streams."""
    return rows if resolver is None else _batches(rows, resolver)


def _batches(rows: Iterable[InetSocket], resolver: Resolver) -> Iterator[InetSocket]:
    batch: list[InetSocket] = []
    for sock in rows:
        batch.append(sock)
        if len(batch) == 256:
            resolver.prefetch(_lookups(batch))
            yield from batch
            batch.clear()
    resolver.prefetch(_lookups(batch))
    yield from batch


def _lookups(batch: list[InetSocket]) -> Iterator[IPAddress]:
    # The addresses format_host will ask the resolver about (not 0.0.0.0, ::, 0.x.y.z).
    for sock in batch:
        for address in (sock.local_address, sock.remote_address):
            if address.packed[0] if address.version == 4 else int(address):
                yield address


def render_inet_rows(
    rows: Iterable[InetSocket],
    options: Options,
    resolver: Resolver | None,
    owners: OwnerMap | None = None,
) -> Iterator[str]:
    """One line per socket that ``options`` selects, in the order given.

    This loop runs once per socket (100k times on a busy host), so it is written flat: names
    are cached per address object (the sources hand out one object per distinct address) and
    per port, and the per-protocol choices are made once per change of protocol.
    """
    numeric_hosts, numeric_ports, wide = options.numeric_hosts, options.numeric_ports, options.wide
    show_all, listening = options.all, options.listening
    extend, programs, timers = options.extend, options.programs, options.timers
    plain = not (extend or programs or timers)  # the line ends after the State column
    hosts: dict[int, tuple[IPAddress, str]] = {}
    ports: dict[int, str] = {}
    current_protocol: Protocol | None = None
    current_family = 0
    template, label, service, tcp = _ROW, "", "tcp", True
    states = _TCP_STATES
    for sock in _prefetched(rows, resolver if not numeric_hosts else None):
        (protocol, family, _sl, laddr, lport, raddr, rport, state, txq, rxq) = sock[:10]
        if protocol is not current_protocol or family != current_family:
            current_protocol, current_family = protocol, family
            service = SERVICE_PROTOCOL[protocol]
            tcp = protocol is Protocol.TCP
            udp = protocol is Protocol.UDP or protocol is Protocol.UDPLITE
            template = (_UDP_ROW if udp else _ROW) + ("\n" if plain else "")
            label = _LABELS[protocol] + ("6" if family == 10 else "")
            ports = {}
        if not show_all:
            server = rport == 0 if tcp else not raddr.packed.strip(b"\0")
            if server != bool(listening):
                continue
        hit = hosts.get(id(laddr))
        if hit is None or hit[0] is not laddr:
            hit = hosts[id(laddr)] = (laddr, format_host(laddr, numeric_hosts, resolver))
        lhost = hit[1]
        hit = hosts.get(id(raddr))
        if hit is None or hit[0] is not raddr:
            hit = hosts[id(raddr)] = (raddr, format_host(raddr, numeric_hosts, resolver))
        rhost = hit[1]
        lserv = ports.get(lport)
        if lserv is None:
            lserv = ports[lport] = format_port(lport, service, numeric_ports, resolver)
        rserv = ports.get(rport)
        if rserv is None:
            rserv = ports[rport] = format_port(rport, service, numeric_ports, resolver)
        if wide or len(lhost) + len(lserv) <= 22:
            local = lhost + ":" + lserv
        else:
            local = fit_endpoint(lhost, lserv, wide)
        if wide or len(rhost) + len(rserv) <= 22:
            remote = rhost + ":" + rserv
        else:
            remote = fit_endpoint(rhost, rserv, wide)
        text = states[state] if tcp and 0 <= state < 12 else _state_text(sock)
        if (rxq | txq) >> 63:  # netstat prints the queues as C longs
            rxq, txq = _signed(rxq, 64), _signed(txq, 64)
        line = template % (label, rxq, txq, local, remote, text)
        if plain:
            yield line
            continue
        if extend:
            user = format_user(sock.uid, options.numeric_users, resolver)
            if sock.uid >> 31 and user == str(sock.uid):  # netstat holds the uid in a C int
                user = str(_signed(sock.uid, 32))
            line += " %s %-10d" % (ljust_bytes(user, 10), sock.inode)
        if programs:
            owner = owners.first(sock.inode) if owners is not None else None
            line += " " + ljust_bytes(format_program(owner), 20)
        if timers:
            line += " " + format_timer(sock)
        yield line + "\n"


def render_unix_header(options: Options) -> Iterator[str]:
    """The two header lines of the UNIX table."""
    yield f"Active UNIX domain sockets {_title(options)}\n"
    line = "Proto RefCnt Flags       Type       State         I-Node  "
    if options.programs:
        line += " PID/Program name    "
    yield line + " Path\n"


def _unix_flags(flags: int) -> str:
    text = "[ "
    if flags & 0x10000:
        text += "ACC "
    if flags & 0x20000:
        text += "W "
    if flags & 0x40000:
        text += "N "
    return text + "]"


def _unix_state(sock: UnixSocket) -> str:
    if sock.state == 1:
        return "LISTENING" if sock.listening else ""
    return _UNIX_STATES.get(sock.state, "UNKNOWN")


def _unix_path(path: str) -> str:
    """The path as netstat shows it: its first word, words split on C blanks only (space, tab,
    vertical tab, form feed, carriage return; NBSP, U+2028 or 0x1c-0x1f are part of a word),
    escaped (a path joined across a newline keeps it, as ``\\x0a``).

    >>> _unix_path("/tmp/with space/sock"), _unix_path("/tmp/a\\nb c"), _unix_path("/a\\x0cb")
    ('/tmp/with', '/tmp/a\\\\x0ab', '/a')
    >>> _unix_path("/a\\xa0b\\u2028c\\x1cd e")
    '/a\\xa0b\\u2028c\\\\x1cd'
    """
    if path.isprintable():  # no blank but the space, nothing to escape but a backslash
        word = path.lstrip(" ").partition(" ")[0]
        return escape(word) if "\\" in word else word
    # The first word for netstat: blanks in the C locale, less the newline (a path joined
    # across lines keeps its newlines, escaped).
    text = path.lstrip(_PATH_BLANKS)
    cuts = [i for i in map(text.find, _PATH_BLANKS) if i >= 0]
    return escape(text[: min(cuts)] if cuts else text)


_PATH_BLANKS = " \t\v\f\r"


def render_unix_rows(
    rows: Iterable[UnixSocket], options: Options, owners: OwnerMap | None = None
) -> Iterator[str]:
    """One line per UNIX socket that ``options`` selects, in the order given."""
    show_all, listening, programs = options.all, options.listening, options.programs
    # The columns before the inode repeat across sockets: format each combination once.
    heads: dict[tuple[int, int, int, int, int], str] = {}
    for sock in rows:
        if not show_all:
            server = sock.state == 1 and bool(sock.flags & 0x10000)
            if server != bool(listening):
                continue
        key = (sock.protocol, sock.ref_count, sock.flags, sock.type, sock.state)
        head = heads.get(key)
        if head is None:
            head = heads[key] = "%-5s %-6d %-11s %-10s %-13s " % (
                "unix" if sock.protocol == 0 else "??",
                # netstat prints RefCount as a signed long (an all-ones count reads -1).
                sock.ref_count - (1 << 64) if sock.ref_count >> 63 else sock.ref_count,
                _unix_flags(sock.flags),
                _UNIX_TYPES.get(sock.type, "UNKNOWN"),
                _unix_state(sock),
            )
        line = head + "%-8s" % ("-" if sock.inode is None else sock.inode)
        if programs:
            owner = owners.first(sock.inode) if owners is not None and sock.inode else None
            line += " " + ljust_bytes(format_program(owner), 20)
        yield "%s %s\n" % (line, _unix_path(sock.path) if sock.path else "")
