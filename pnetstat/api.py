"""The library's entry points: read the kernel's tables into model objects.

These are what ``import pnetstat`` offers; the CLI uses the same sources underneath.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from .errors import Unsupported
from .model import Family, InetSocket, Protocol, TcpState, UnixSocket, socket_key
from .model_tables import GroupMembership, Interface, Namespace, Route4, Route6, StatSection
from .sources.igmp import read_igmp, read_igmp6
from .sources.netdev import read_interfaces
from .sources.procfs import ProcFS, ignore_errors
from .sources.routing import read_ipv6_routes, read_routes
from .sources.snmp import read_stat_file
from .sources.sockets import SOURCES, inet_tables, read_unix

if TYPE_CHECKING:
    from .sources.sockdiag.tcpinfo import TcpInfo

__all__ = [
    "SocketChange",
    "changes",
    "groups",
    "interfaces",
    "namespaces",
    "routes",
    "sockets",
    "statistics",
    "tcp_info",
]


class SocketChange(NamedTuple):
    """One change between two readings: ``event`` is ``open`` (``after`` is the new socket),
    ``close`` (``before`` is the one gone) or ``state`` (both: its state moved)."""

    event: str
    before: InetSocket | UnixSocket | None
    after: InetSocket | UnixSocket | None


def changes(
    kinds: Iterable[str] = ("tcp", "udp", "udplite", "raw", "unix"),
    *,
    interval: float = 1.0,
    proc: str | os.PathLike[str] = "/proc",
    source: str = "auto",
    netns: NetnsSpec = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[list[SocketChange]]:
    """Every ``interval`` seconds, the changes since the last reading of ``sockets(kinds)``
    (the first reading is the baseline): what ``--watch`` prints, as records. An endless
    generator: stop iterating to stop.

    >>> first = next(changes(["tcp"], interval=0.0))
    >>> all(c.event in ("open", "close", "state") for c in first)
    True
    """
    wanted = list(kinds)
    before = {socket_key(r): r for r in sockets(wanted, proc=proc, source=source, netns=netns)}
    while True:
        sleep(interval)
        now = {socket_key(r): r for r in sockets(wanted, proc=proc, source=source, netns=netns)}
        found = [SocketChange("close", row, None) for key, row in before.items() if key not in now]
        for key, row in now.items():
            old = before.get(key)
            if old is None:
                found.append(SocketChange("open", None, row))
            elif old.state != row.state:
                found.append(SocketChange("state", old, row))
        before = now
        yield found


#: What ``netns=`` takes: a ``Namespace``, a name under /run/netns, a path or a PID.
NetnsSpec = Namespace | str | int | None

_KINDS = {
    "tcp": Protocol.TCP,
    "udp": Protocol.UDP,
    "udplite": Protocol.UDPLITE,
    "raw": Protocol.RAW,
}


def sockets(
    kinds: Iterable[str] = ("tcp", "udp", "udplite", "raw", "unix"),
    *,
    families: Iterable[Family] = (Family.INET, Family.INET6),
    states: Iterable[TcpState] | None = None,
    proc: str | os.PathLike[str] = "/proc",
    source: str = "auto",
    netns: NetnsSpec = None,
) -> list[InetSocket | UnixSocket]:
    """Every socket of the given kinds, in the kernel's order (Internet kinds first, IPv4
    before IPv6, then UNIX). Tables the kernel does not offer are skipped.

    ``kinds`` are ``"tcp"``, ``"udp"``, ``"udplite"``, ``"raw"`` and ``"unix"``; ``states``
    keeps only TCP sockets in those states (other kinds are unaffected); ``proc`` is the /proc
    tree to read (another mount, or a copy); ``source`` is ``"auto"``, ``"netlink"`` or
    ``"proc"`` (see ``pnetstat.sources``); ``netns`` reads another network namespace (as
    every function here does; see ``namespaces``). Raises ``NetlinkError`` if
    ``source="netlink"`` and the kernel refuses, ``NamespaceError`` if ``netns`` names no
    namespace or may not be entered.

    >>> from pnetstat import TcpState
    >>> listening = sockets(["tcp"], states=[TcpState.LISTEN])
    >>> all(s.remote_port == 0 and s.tcp_state is TcpState.LISTEN for s in listening)
    True
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    with _inside(netns, proc) as root:
        return _sockets(root, list(kinds), families, states, source)


def _sockets(
    root: ProcFS,
    wanted: list[str],
    families: Iterable[Family],
    states: Iterable[TcpState] | None,
    source: str,
) -> list[InetSocket | UnixSocket]:
    unknown = [k for k in wanted if k not in _KINDS and k != "unix"]
    if unknown:
        raise ValueError(f"unknown socket kind(s): {', '.join(unknown)}")
    keep = None if states is None else {int(state) for state in states}
    found: list[InetSocket | UnixSocket] = []
    fams = list(families)
    for kind in wanted:
        if kind == "unix":
            continue
        for _, read in inet_tables(root, source, _KINDS[kind], fams, ignore_errors):
            try:
                rows = read()
            except Unsupported:
                continue
            if keep is not None and kind == "tcp":
                found.extend(row for row in rows if row.state in keep)
            else:
                found.extend(rows)
    if "unix" in wanted:
        try:
            found.extend(read_unix(root, source, ignore_errors))
        except Unsupported:
            pass
    return found


def statistics(
    *, family: Family = Family.INET, proc: str | os.PathLike[str] = "/proc", netns: NetnsSpec = None
) -> list[StatSection]:
    """The kernel's protocol counters, section by section, as ``netstat -s`` reads them.

    ``Family.INET`` gives /proc/net/snmp, /proc/net/netstat and /proc/net/sctp/snmp (those
    present); ``Family.INET6`` gives /proc/net/snmp6. Raises ``Unsupported`` if the first
    file is missing.

    >>> tcp = next(s for s in statistics() if s.name == "Tcp")
    >>> dict(tcp.counters)["ActiveOpens"] >= 0
    True
    """
    with _inside(netns, proc) as root:
        if family == Family.INET6:
            return read_stat_file(root, "net/snmp6")
        sections = read_stat_file(root, "net/snmp")
        for relative in ("net/netstat", "net/sctp/snmp"):
            try:
                sections.extend(read_stat_file(root, relative))
            except Unsupported:
                continue
        return sections


def routes(
    *, family: Family = Family.INET, proc: str | os.PathLike[str] = "/proc", netns: NetnsSpec = None
) -> list[Route4] | list[Route6]:
    """Every route of the kernel's main IPv4 table (``Family.INET``, /proc/net/route) or
    every IPv6 route (``Family.INET6``, /proc/net/ipv6_route), in the kernel's order.

    >>> all(isinstance(r, Route4) for r in routes())
    True
    """
    with _inside(netns, proc) as root:
        if family == Family.INET6:
            return list(read_ipv6_routes(root))
        return list(read_routes(root))


def interfaces(
    *, proc: str | os.PathLike[str] = "/proc", netns: NetnsSpec = None
) -> list[Interface]:
    """Every interface netstat -i considers (up or down), with counters and addresses.

    Counters and IPv6 addresses come from ``proc``; flags, MTU, hardware and IPv4 addresses
    from ioctls, which answer for the caller's network namespace.

    >>> any(i.name == "lo" for i in interfaces())
    True
    """
    with _inside(netns, proc) as root:
        found, _problems = read_interfaces(root)
        return list(found)


def groups(
    *,
    families: Iterable[Family] = (Family.INET, Family.INET6),
    proc: str | os.PathLike[str] = "/proc",
    netns: NetnsSpec = None,
) -> list[GroupMembership]:
    """Multicast group memberships (/proc/net/igmp, /proc/net/igmp6), IPv4 first.

    >>> all(g.users >= 0 for g in groups())
    True
    """
    wanted = list(families)
    found: list[GroupMembership] = []
    with _inside(netns, proc) as root:
        for family, reader in ((Family.INET, read_igmp), (Family.INET6, read_igmp6)):
            if family in wanted:
                try:
                    found.extend(reader(root))
                except Unsupported:
                    continue
    return found


def tcp_info(*, proc: str | os.PathLike[str] = "/proc", netns: NetnsSpec = None) -> list[TcpInfo]:
    """Every TCP socket with the kernel's TCP_INFO counters for it (bytes acked, sent and
    received, RTT, congestion window, retransmits, delivery rate...), from one sock_diag
    dump; ``TcpInfo.info`` holds the fields the running kernel sends. Raises
    ``NetlinkError`` where sock_diag is refused (there is no /proc equivalent).

    >>> all(isinstance(row.info, dict) for row in tcp_info())
    True
    """
    from .sources.sockdiag.tcpinfo import read_tcp_info

    with _inside(netns, proc):
        return read_tcp_info()


def namespaces(*, proc: str | os.PathLike[str] = "/proc") -> list[Namespace]:
    """Every network namespace of the host, once each: the caller's own first, then the
    named ones (/run/netns) by name, then those only processes or other mounts hold, by
    inode; each with the paths that lead to it, the PIDs inside and its container.

    >>> own = namespaces()[0]
    >>> own.inode == __import__("os").stat("/proc/thread-self/ns/net").st_ino
    True
    """
    from .sources.netns import read_namespaces

    return read_namespaces(ProcFS(proc))


@contextmanager
def _inside(netns: NetnsSpec, proc: str | os.PathLike[str]) -> Iterator[ProcFS]:
    """The /proc tree to read, inside ``netns`` when one is given. There the tables are read
    through /proc/thread-self, whose net/ follows the calling thread's namespace (/proc/net
    follows the main thread's), so the library may be called from any thread."""
    if netns is None:
        yield ProcFS(proc)
        return
    from .sources.netns import entered, find_namespace

    root = ProcFS(proc)
    namespace = netns if isinstance(netns, Namespace) else find_namespace(str(netns), root)
    with entered(namespace):
        yield ProcFS(f"{root.root}/thread-self")
