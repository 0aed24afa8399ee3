"""The model types of the views other than the socket listing: multicast groups, counters,
routes, interfaces, network namespaces and containers, and the exporter's counted TCP table
(see ``model`` for the conventions, which hold here too).

They are apart from ``model`` only so that the socket listing, which is most runs, does not
pay for building these classes at start-up (about 2 ms); ``pnetstat.model`` still offers
them, loading this module on first use.
"""

from __future__ import annotations

from ._typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ipaddress import IPv4Address, IPv6Address

    from .model import Family, InetSocket, IPAddress

__all__ = [
    "Container",
    "GroupMembership",
    "Inet6Address",
    "Interface",
    "InterfaceCounters",
    "Namespace",
    "Route4",
    "Route6",
    "StatSection",
    "TcpCounts",
]


# ------------------------------------------------------------------------ multicast groups


class GroupMembership(NamedTuple):
    """One multicast group joined on one interface (/proc/net/igmp or /proc/net/igmp6).

    ``users`` is how many sockets joined (netstat's RefCnt). For IPv4 ``device`` is the text
    netstat takes from the device line (the kernel pads names to 10 columns); ``ifindex`` is the
    interface index; ``tail`` keeps the remaining columns of the kernel's line verbatim.
    """

    family: Family
    ifindex: int
    device: str
    group: IPAddress
    users: int
    tail: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ statistics


class StatSection(NamedTuple):
    """One section of a kernel counter file (``Ip``, ``TcpExt``, ``Icmp6``...): its counters
    in the kernel's order, values as the kernel printed them.

    ``source`` is the file it came from, relative to the /proc root (``net/snmp``).
    """

    source: str
    name: str
    counters: tuple[tuple[str, int], ...]


# ------------------------------------------------------------------------------- routes


class Route4(NamedTuple):
    """One row of /proc/net/route (columns found by their header names)."""

    iface: str
    destination: IPv4Address
    gateway: IPv4Address
    flags: int
    refcnt: int
    use: int
    metric: int
    mask: IPv4Address
    mtu: int
    window: int
    irtt: int


class Route6(NamedTuple):
    """One row of /proc/net/ipv6_route."""

    destination: IPv6Address
    prefix_len: int
    source: IPv6Address
    source_len: int
    next_hop: IPv6Address
    metric: int
    refcnt: int
    use: int
    flags: int
    iface: str


# ---------------------------------------------------------------------------- interfaces


class InterfaceCounters(NamedTuple):
    """The counters of one /proc/net/dev line, in the kernel's order (16-column layout)."""

    rx_bytes: int
    rx_packets: int
    rx_errs: int
    rx_drop: int
    rx_fifo: int
    rx_frame: int
    rx_compressed: int
    rx_multicast: int
    tx_bytes: int
    tx_packets: int
    tx_errs: int
    tx_drop: int
    tx_fifo: int
    tx_colls: int
    tx_carrier: int
    tx_compressed: int


class Inet6Address(NamedTuple):
    """One line of /proc/net/if_inet6."""

    address: IPv6Address
    ifindex: int
    prefix_len: int
    scope: int
    flags: int
    device: str


class Interface(NamedTuple):
    """An interface as netstat -i sees it: its /proc/net/dev counters (``None`` for an IPv4
    alias label, which has none) and what the interface ioctls answered (``None`` where an
    ioctl failed)."""

    name: str
    counters: InterfaceCounters | None
    flags: int
    mtu: int
    hw_type: int | None
    hw_address: bytes | None
    txqueuelen: int | None
    address: IPv4Address | None
    netmask: IPv4Address | None
    broadcast: IPv4Address | None
    destination: IPv4Address | None
    map: tuple[int, int, int, int, int, int] | None
    inet6: tuple[Inet6Address, ...] = ()


# ------------------------------------------------------------------- namespaces, containers


class Container(NamedTuple):
    """The container a process runs in, as its cgroup path names it.

    ``runtime`` is one of ``docker``, ``containerd``, ``cri-o``, ``podman``, ``lxc``,
    ``systemd-nspawn`` or ``kubernetes`` (a pod's cgroup without a container scope below it);
    ``id`` is the full container id (64 hex digits) or, for LXC and nspawn, the machine name;
    ``pod_uid`` is the Kubernetes pod's UID (with dashes) when the path is under a pod.
    """

    runtime: str
    id: str
    pod_uid: str | None = None

    @property
    def short(self) -> str:
        """The id as ``docker ps`` shows it: 12 hex digits, or the name."""
        hexdigits = len(self.id) == 64 and all(c in "0123456789abcdef" for c in self.id)
        return self.id[:12] if hexdigits else self.id


class Namespace(NamedTuple):
    """One network namespace of the host, found once however many ways lead to it.

    ``device`` and ``inode`` identify it (the namespace file's st_dev and st_ino); ``name`` is
    its name under /run/netns (``None`` if it has none); ``paths`` are the files that lead to
    it (bind mounts, then one /proc/PID/ns/net per process); ``pids`` the processes inside it;
    ``container`` what the processes' cgroups say, where they agree on one.
    """

    device: int
    inode: int
    name: str | None
    paths: tuple[str, ...]
    pids: tuple[int, ...]
    container: Container | None = None

    @property
    def label(self) -> str:
        """Its name, or ``net:[INODE]`` as /proc/PID/ns/net reads when it has none."""
        return self.name if self.name is not None else f"net:[{self.inode}]"


# ------------------------------------------------------------------ the exporter's TCP table


class TcpCounts(NamedTuple):
    """The TCP table of one namespace counted rather than listed: what the exporter publishes,
    without a row per connection (a host with 100k connections has few listeners).

    ``listeners`` are the LISTEN sockets as rows (``tx_queue``: the backlog). Every other
    socket is counted once, by (family, state, port): in ``inbound`` by its local port when
    a listener here listens on that port (in either family), else in ``outbound`` by its
    remote port. These are ``pnetstat_connections``'s directions.
    """

    listeners: tuple[InetSocket, ...]
    inbound: dict[tuple[Family, int, int], int]
    outbound: dict[tuple[Family, int, int], int]
