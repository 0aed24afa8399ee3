"""The data model: what the sources produce and the views render.

Every type is immutable and keeps each column the kernel gave, in the order the kernel gave it,
under the kernel's name. The types here are typed ``NamedTuple``s rather than frozen
dataclasses, for speed: a listing can hold 100k socket rows, and building one costs 0.2-0.6 µs
against 4.6 µs for a frozen slotted dataclass of 17 fields; and the socket listing then never
imports ``dataclasses`` (which pulls in ``inspect``: about 10 ms of start-up, measured here).
Kernel numbers that have meaning become enums, but the raw number is what is stored, so an
unknown value never crashes a reader; the enum is a property (``None`` when the kernel said
something we do not know).
"""

from __future__ import annotations

import enum

from ._typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable
    from ipaddress import IPv4Address, IPv6Address
    from typing import Any, TypeAlias

    from .model_states import TcpState, UnixState, UnixType
    from .model_tables import (
        Container,
        GroupMembership,
        Inet6Address,
        Interface,
        InterfaceCounters,
        Namespace,
        Route4,
        Route6,
        StatSection,
        TcpCounts,
    )

__all__ = [
    "Container",
    "Family",
    "GroupMembership",
    "IPAddress",
    "Inet6Address",
    "InetSocket",
    "Interface",
    "InterfaceCounters",
    "Namespace",
    "Owner",
    "OwnerMap",
    "Protocol",
    "Route4",
    "Route6",
    "StatSection",
    "TcpCounts",
    "TcpState",
    "UnixSocket",
    "UnixState",
    "UnixType",
    "program_name",
    "socket_key",
]

if TYPE_CHECKING:
    IPAddress: TypeAlias = IPv4Address | IPv6Address


class Family(enum.IntEnum):
    """Address families, with the kernel's ``AF_*`` numbers."""

    UNIX = 1
    INET = 2
    INET6 = 10


class Protocol(enum.Enum):
    """The Internet socket tables of /proc/net (and sock_diag's protocols)."""

    TCP = "tcp"
    UDP = "udp"
    UDPLITE = "udplite"
    RAW = "raw"


class InetSocket(NamedTuple):
    """One row of /proc/net/{tcp,udp,udplite,raw}[6].

    ``state`` is the kernel's number (a ``TcpState`` for TCP; for RAW and UDP the same numbers
    are reused loosely). ``timer``/``timer_expires`` are the ``tr`` and ``tm->when`` columns
    (``timer_expires`` in clock ticks); ``timeout`` is the last numeric column before the inode
    (probes for TCP). ``tail`` keeps the columns after the inode verbatim.

    An odd row holds what netstat's C reading makes of it (sources/inet_scan.py): ports cut to
    16 bits, ``state`` and ``timer`` to 32, queues, ``timer_expires``, ``retransmits`` and
    ``inode`` to 64 (all unsigned), ``uid`` the 32-bit uid_t, ``timeout`` a signed 32-bit int.
    """

    protocol: Protocol
    family: Family
    sl: int
    local_address: IPAddress
    local_port: int
    remote_address: IPAddress
    remote_port: int
    state: int
    tx_queue: int
    rx_queue: int
    timer: int
    timer_expires: int
    retransmits: int
    uid: int
    timeout: int
    inode: int
    tail: tuple[str, ...] = ()

    @property
    def server(self) -> bool:
        """True for what netstat calls a server socket (shown by ``-l``, hidden by default).

        TCP: the remote port is 0; UDP, UDP-Lite and RAW: the remote address is all zeros.
        """
        if self.protocol is Protocol.TCP:
            return self.remote_port == 0
        return not self.remote_address.packed.strip(b"\0")

    @property
    def tcp_state(self) -> TcpState | None:
        """The state as a ``TcpState`` (``None`` for unknown numbers)."""
        from .model_states import TcpState

        try:
            return TcpState(self.state)
        except ValueError:
            return None


# UnixState.UNCONNECTED (include/uapi/linux/net.h): a server socket's state.
_SS_UNCONNECTED = 1


class UnixSocket(NamedTuple):
    """One row of /proc/net/unix.

    ``inode`` is ``None`` when the kernel's header has no Inode column (ancient kernels);
    ``path`` is ``None`` for an unnamed socket and otherwise the text after the inode, verbatim
    (abstract names start with ``@``). ``rx_queue`` and ``tx_queue`` come from sock_diag only
    (UDIAG_SHOW_RQLEN; /proc/net/unix has no such columns, and they are ``None`` from it): the
    bytes waiting to be read and not yet read by the peer, or for a listener the connections
    waiting to be accepted and its backlog.
    """

    num: int
    ref_count: int
    protocol: int
    flags: int
    type: int
    state: int
    inode: int | None
    path: str | None
    rx_queue: int | None = None
    tx_queue: int | None = None

    @property
    def listening(self) -> bool:
        """True for a listening socket (``__SO_ACCEPTCON`` in the flags)."""
        return bool(self.flags & 0x10000)

    @property
    def server(self) -> bool:
        """True for what netstat calls a server socket: unconnected and listening."""
        return self.state == _SS_UNCONNECTED and self.listening

    @property
    def unix_type(self) -> UnixType | None:
        """The type as a ``UnixType`` (``None`` for unknown numbers)."""
        from .model_states import UnixType

        try:
            return UnixType(self.type)
        except ValueError:
            return None


class Owner(NamedTuple):
    """A process holding a socket: its pid, the fd number and its command line's argv[0]."""

    pid: int
    fd: int
    argv0: str


def socket_key(row: InetSocket | UnixSocket) -> tuple[object, ...]:
    """What identifies a socket from one reading to the next: an Internet socket's protocol
    and addresses, a UNIX socket's inode and path (its state, queues and timers may move)."""
    if isinstance(row, UnixSocket):
        return ("unix", row.inode, row.path)
    return (row.protocol, row.family, row.local_address, row.local_port, row.remote_address,
            row.remote_port)  # fmt: skip


def program_name(argv0: str) -> str:
    """The program name netstat derives from argv[0]: its basename if it is a path.

    >>> program_name("/usr/sbin/sshd"), program_name("sshd: root@pts/0"), program_name("./a/b")
    ('sshd', 'sshd: root@pts/0', './a/b')
    """
    if argv0.startswith("/"):
        return argv0.rsplit("/", 1)[1]
    return argv0


class OwnerMap(NamedTuple):
    """Which processes hold which socket inodes, from one walk of /proc/[pid]/fd.

    ``owners[inode]`` lists every holder in walk order (ascending pid); netstat shows the
    first. ``denied`` records that some fd directory could not be read (EACCES), and
    ``proc_unreadable`` that /proc itself could not be listed: both change netstat's notes.
    """

    owners: dict[int, tuple[Owner, ...]]
    denied: bool = False
    proc_unreadable: bool = False
    euid: int = 0
    # A lazy map's unfinished walk (``read_owners(lazy=True)``): called with an inode not
    # found yet, it walks on until the inode is found or every pid is read. None: complete.
    walk: Callable[[int], None] | None = None

    def first(self, inode: int) -> Owner | None:
        """The owner netstat shows: the first process found holding ``inode``."""
        found = self.owners.get(inode)
        if found is None and inode and self.walk is not None:  # no fd holds inode 0
            self.walk(inode)
            found = self.owners.get(inode)
        return found[0] if found else None


# The state enums live in model_states, built on first use: a listing renders the raw numbers.
_STATES = frozenset(("TcpState", "UnixState", "UnixType"))
# The other views' types live in model_tables, built on first use: a socket listing, the
# common run, then does not pay for defining them at start-up.
_TABLES = frozenset(
    ("Container", "GroupMembership", "Inet6Address", "Interface", "InterfaceCounters",
     "Namespace", "Route4", "Route6", "StatSection", "TcpCounts")
)  # fmt: skip


def __getattr__(name: str) -> Any:
    if name == "IPAddress":  # built on first use: a view without addresses (-s, -x)
        from ipaddress import IPv4Address, IPv6Address  # then never loads ipaddress

        globals()["IPAddress"] = alias = IPv4Address | IPv6Address
        return alias
    if name in _TABLES:
        from . import model_tables

        return getattr(model_tables, name)
    if name in _STATES:
        from . import model_states

        return getattr(model_states, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
