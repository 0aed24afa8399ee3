"""Where socket rows come from: /proc files or NETLINK_SOCK_DIAG, chosen per run.

``auto`` (the default) reads TCP, UDP and UDP-Lite through netlink when the kernel answers,
and through /proc otherwise: a seccomp filter, a missing ``*_diag`` module, or a /proc tree
that is a copy rather than a mounted procfs (netlink cannot see a copy). ``netlink`` insists
on netlink for those tables (a refusal is an error); ``proc`` reads /proc only. RAW and UNIX
tables always come from /proc: raw_diag is optional (CONFIG_INET_RAW_DIAG) and was not built
on the kernel measured, so its rows could not be checked against /proc; /proc/net/unix's
RefCount has no sock_diag equivalent (``sockdiag`` only approximates it). Both
sources give the same model rows, so every view renders the same text.

TCP of both families is one dump (``inet_tables``): each dump walks the kernel's whole TCP
hash, every namespace's sockets, whatever it returns; on an idle host that walk is most of
``pnetstat -tan``'s time after start-up.
"""

import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial

from .._typing import TYPE_CHECKING, NamedTuple
from ..errors import NetlinkError
from ..model import Family, InetSocket, Protocol, UnixSocket
from .procfs import ErrorHandler, ProcFS

if TYPE_CHECKING:
    from .sockdiag import TcpDump

__all__ = ["SOURCES", "inet_tables", "read_inet", "read_unix", "tcp_dump"]

SOURCES = ("auto", "netlink", "proc")
_NETLINK_TABLES = (Protocol.TCP, Protocol.UDP, Protocol.UDPLITE)


def _netlink_wanted(proc: ProcFS, source: str, protocol: Protocol) -> bool:
    if protocol not in _NETLINK_TABLES or source == "proc":
        return False
    # Netlink answers for the caller's network namespace, which is what a mounted procfs
    # shows in /proc/net; a copied tree (no self/net) is read as files.
    return source == "netlink" or os.path.isdir(proc.path("self/net"))


class Narrowing(NamedTuple):
    """What the kernel may leave out of a netlink dump: the TCP states wanted (a bit mask of
    ``1 << state``) and an INET_DIAG program (``pnetstat.filters.bytecode``). /proc reads take
    no notice: their rows are filtered afterwards, as every row is."""

    states: int = 0xFFFFFFFF
    bytecode: bytes = b""


EVERYTHING = Narrowing()


def read_inet(
    proc: ProcFS,
    source: str,
    protocol: Protocol,
    family: Family,
    on_error: ErrorHandler,
    narrowing: "Narrowing | None" = None,
) -> Iterator[InetSocket]:
    """Rows of one Internet table from the chosen source.

    Raises ``Unsupported`` when /proc has no such table, and ``NetlinkError`` when netlink
    was insisted on and refused.
    """
    narrowing = narrowing or EVERYTHING
    if _netlink_wanted(proc, source, protocol):
        from .sockdiag import read_inet_sockets_diag

        try:
            return read_inet_sockets_diag(
                protocol,
                family,
                on_error=on_error,
                states=narrowing.states,
                bytecode=narrowing.bytecode,
            )
        except NetlinkError:
            if source == "netlink":
                raise
    from .proc_inet import read_inet_sockets

    return read_inet_sockets(proc, protocol, family, on_error)


Table = Callable[[], Iterator[InetSocket]]


def _one_tcp_dump(proc: ProcFS, source: str, families: Sequence[Family]) -> bool:
    """Whether TCP of ``families`` is asked of netlink in one dump: both families wanted."""
    both = Family.INET in families and Family.INET6 in families
    return both and _netlink_wanted(proc, source, Protocol.TCP)


def inet_tables(
    proc: ProcFS,
    source: str,
    protocol: Protocol,
    families: Sequence[Family],
    on_error: ErrorHandler,
    narrowing: "Narrowing | None" = None,
) -> list[tuple[Family, Table]]:
    """``(family, read)`` for each of ``families``: ``read()`` is ``read_inet`` for it.

    Read them in this order. When netlink gives TCP for both families, one dump of the
    kernel's TCP hash serves both (``read_tcp_sockets_diag_both``); if the kernel refuses
    that request, each family is read on its own as ``read_inet`` would.
    """
    narrowing = narrowing or EVERYTHING
    if protocol is not Protocol.TCP or not _one_tcp_dump(proc, source, families):
        return [
            (family, partial(read_inet, proc, source, protocol, family, on_error, narrowing))
            for family in families
        ]
    later: list[Iterator[InetSocket]] = []

    def inet() -> Iterator[InetSocket]:
        from .sockdiag import read_tcp_sockets_diag_both

        try:
            rows, rows6 = read_tcp_sockets_diag_both(
                on_error=on_error, states=narrowing.states, bytecode=narrowing.bytecode
            )
        except NetlinkError:
            return read_inet(proc, source, protocol, Family.INET, on_error, narrowing)
        later.append(rows6)
        return rows

    def inet6() -> Iterator[InetSocket]:
        if later:
            return later.pop()
        return read_inet(proc, source, protocol, Family.INET6, on_error, narrowing)

    return [(family, inet if family is Family.INET else inet6) for family in families]


def tcp_dump(
    proc: ProcFS,
    source: str,
    families: Sequence[Family],
    on_error: ErrorHandler,
    narrowing: Narrowing | None = None,
) -> "TcpDump | None":
    """The single TCP dump of ``inet_tables``, for a caller that takes it datagram by datagram
    (datagrams received when asked for); None where ``inet_tables`` would not make it (one
    family, /proc chosen or needed, the request refused), and then ``inet_tables`` applies."""
    if not _one_tcp_dump(proc, source, families):
        return None
    from .sockdiag import TcpDump

    try:
        narrowing = narrowing or EVERYTHING
        return TcpDump(
            on_error=on_error, ahead=False, states=narrowing.states, bytecode=narrowing.bytecode
        )
    except NetlinkError:
        return None


def read_unix(proc: ProcFS, source: str, on_error: ErrorHandler) -> Iterator[UnixSocket]:
    """Rows of the UNIX table (always /proc: see the module's docstring)."""
    from .proc_unix import read_unix_sockets

    return read_unix_sockets(proc, on_error)
