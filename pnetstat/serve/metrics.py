"""Metrics from the model, with bounded cardinality: pure functions, no I/O and no
prometheus_client (``exposition`` turns these families into its types).

A ``Family`` is a metric's name, help, type and samples (label values in the family's label
order, and a value). The names and labels are the README's table; series of
``pnetstat_connections`` and of the listen-queue metrics beyond ``max_series`` are folded, the
smallest first, into one series whose ``port`` (and ``program``) is ``other``.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from ..model import InetSocket, OwnerMap, Protocol, TcpCounts, UnixSocket, program_name
from ..model_tables import Interface, StatSection

__all__ = [
    "OTHER",
    "TCP_STATE_NAMES",
    "Family",
    "Scope",
    "fold",
    "interface_families",
    "socket_families",
    "statistics_families",
]

# node_exporter's names for the TCP states (its tcpstat collector), in the kernel's numbering.
TCP_STATE_NAMES = {
    1: "established", 2: "syn_sent", 3: "syn_recv", 4: "fin_wait1", 5: "fin_wait2",
    6: "time_wait", 7: "close", 8: "close_wait", 9: "last_ack", 10: "listen", 11: "closing",
}  # fmt: skip
_TABLES = ("tcp", "tcp6", "udp", "udp6", "udplite", "udplite6", "raw", "raw6", "unix")
OTHER = "other"


class Family(NamedTuple):
    """One metric: ``samples`` are (label values in ``labels`` order, value)."""

    name: str
    help: str
    kind: str  # "gauge" or "untyped"
    labels: tuple[str, ...]
    samples: list[tuple[tuple[str, ...], float]]


class Scope(NamedTuple):
    """Where the rows of one listing come from: the namespace's label and container (empty
    without --all-netns), the owners when -p asked for a ``program`` label, how many UNIX
    sockets there are (counted, not parsed: they only count), and the TCP table when it was
    counted rather than listed (its rows are then not in the listing; counted connections
    know no inode, so their ``program`` is ``-``)."""

    netns: str = ""
    container: str = ""
    owners: OwnerMap | None = None
    unix: int = 0
    tcp: TcpCounts | None = None


def _table_name(protocol: Any, family: Any) -> str:
    if protocol == "unix":
        return "unix"
    return str(protocol.value) + ("6" if family == 10 else "")


def _state_name(state: int) -> str:
    return TCP_STATE_NAMES.get(state, str(state))


def _program(row: InetSocket, owners: OwnerMap | None) -> str:
    found = owners.owners.get(row.inode, ()) if owners is not None and row.inode else ()
    return program_name(found[0].argv0) if found else "-"


def socket_families(
    listings: Sequence[tuple[Scope, Iterable[InetSocket | UnixSocket]]],
    max_series: int,
    namespaces: bool = False,
    programs: bool = False,
) -> tuple[list[Family], int]:
    """The socket metrics of one scrape, and how many series were folded away.

    ``listings`` pairs each namespace's scope with its rows (one pair without --all-netns);
    ``namespaces`` adds the ``netns`` and ``container`` labels, ``programs`` the ``program``
    label.

    >>> from ipaddress import IPv4Address as A
    >>> from pnetstat.model import Family as F
    >>> listener = InetSocket(Protocol.TCP, F.INET, 0, A("0.0.0.0"), 22, A("0.0.0.0"), 0, 10,
    ...                       128, 3, 0, 0, 0, 0, 0, 1)
    >>> families, dropped = socket_families([(Scope(), [listener])], 100)
    >>> [(f.name, f.samples) for f in families if f.name.endswith("queue_length")]
    [('pnetstat_listen_queue_length', [(('tcp', '0.0.0.0', '22'), 3.0)])]
    """
    scope_labels = ("netns", "container") if namespaces else ()
    extra = ("program",) if programs else ()
    # Counted under plain values (enums, ints) and named once at the end: a scrape of 200k
    # rows spends its time in this loop.
    states: Counter[tuple[Any, ...]] = Counter()
    tables: Counter[tuple[Any, ...]] = Counter()
    queue: dict[tuple[str, ...], float] = {}
    backlog: dict[tuple[str, ...], float] = {}
    connections: Counter[tuple[Any, ...]] = Counter()
    tcp, raw = Protocol.TCP, Protocol.RAW
    for scope, rows in listings:
        where = (scope.netns, scope.container) if namespaces else ()
        owners = scope.owners
        if scope.unix:
            tables[(*where, "unix", 0)] += scope.unix
        inet: list[InetSocket] = []
        if scope.tcp is not None:
            inet += scope.tcp.listeners
            who = ("-",) if programs else ()
            for inbound, counts in ((True, scope.tcp.inbound), (False, scope.tcp.outbound)):
                for (family, state, port), number in counts.items():
                    tables[(*where, tcp, family)] += number
                    states[(*where, state)] += number
                    connections[(*where, tcp, port, inbound, state, *who)] += number
        for row in rows:
            if isinstance(row, InetSocket):
                inet.append(row)
            else:
                tables[(*where, "unix", 0)] += 1
        listening = {(r.protocol, r.local_port) for r in inet if r.protocol is not raw and r.server}
        for row in inet:
            protocol = row.protocol
            tables[(*where, protocol, row.family)] += 1
            if protocol is raw:
                continue
            who = (_program(row, owners),) if programs else ()
            state = row.state
            if protocol is tcp:
                states[(*where, state)] += 1
                if state == 10:
                    key = (*where, "tcp", str(row.local_address), str(row.local_port), *who)
                    queue[key] = queue.get(key, 0) + row.rx_queue
                    if row.tx_queue:  # a backlog, read through sock_diag (/proc has none)
                        backlog[key] = backlog.get(key, 0) + row.tx_queue
                    continue
            elif row.server:
                continue
            local = row.local_port
            if (protocol, local) in listening:
                connections[(*where, protocol, local, True, state, *who)] += 1
            else:
                connections[(*where, protocol, row.remote_port, False, state, *who)] += 1
    base = len(scope_labels)
    states_named: dict[tuple[str, ...], float] = {
        (*k[:base], _state_name(k[base])): v for k, v in states.items()
    }
    tables_named: dict[tuple[str, ...], float] = {
        (*k[:base], _table_name(k[base], k[base + 1])): v for k, v in tables.items()
    }
    connections_named: dict[tuple[str, ...], float] = {}
    for k, v in connections.items():
        protocol, port, inbound, state = k[base : base + 4]
        direction = "inbound" if inbound else "outbound"
        named = (*k[:base], protocol.value, str(port), direction, _state_name(state))
        named = (*named, *k[base + 4 :])
        connections_named[named] = connections_named.get(named, 0) + v
    base = len(scope_labels)
    listener_program = base + 3 if programs else None
    folded_queue, lost_queue = fold(queue, max_series, base + 2, listener_program)
    folded_backlog, _ = fold(backlog, max_series, base + 2, listener_program)
    folded_connections, lost_connections = fold(
        connections_named, max_series, base + 1, base + 4 if programs else None
    )
    dropped = lost_queue + lost_connections
    listener_labels = (*scope_labels, "protocol", "address", "port", *extra)
    families = [
        Family("pnetstat_tcp_connections", "TCP sockets by state (node_exporter's names).",
               "gauge", (*scope_labels, "state"), _samples(states_named)),
        Family("pnetstat_sockets", "Sockets by table (tcp, tcp6, udp, ..., unix).", "gauge",
               (*scope_labels, "protocol"), _samples(tables_named)),
        Family("pnetstat_listen_queue_length",
               "Connections waiting for accept() on a TCP listener.", "gauge",
               listener_labels, _samples(folded_queue)),
        Family("pnetstat_listen_queue_max",
               "A TCP listener's backlog (netlink source only).", "gauge",
               listener_labels, _samples(folded_backlog)),
        Family("pnetstat_connections",
               "TCP and UDP connections by local listening port (inbound) or remote port "
               "(outbound), state and direction.", "gauge",
               (*scope_labels, "protocol", "port", "direction", "state", *extra),
               _samples(folded_connections)),
    ]  # fmt: skip
    return families, dropped


def _samples(
    counts: dict[tuple[str, ...], float] | Counter[tuple[str, ...]],
) -> list[tuple[tuple[str, ...], float]]:
    return [(labels, float(value)) for labels, value in sorted(counts.items())]


def fold(
    series: dict[tuple[str, ...], float],
    max_series: int,
    port_at: int,
    program_at: int | None = None,
) -> tuple[dict[tuple[str, ...], float], int]:
    """At most ``max_series`` series: the smallest are summed into series whose ``port``
    (label index ``port_at``) and ``program`` (``program_at``, if any) say ``other``, one per
    combination of the labels left (direction, state); if those combinations alone would
    break the bound, every label from the port on says ``other``. (Only the labels before the
    port, namespace and protocol, are never folded: beyond them no bound is kept.) Returns
    the series and how many were folded away.

    >>> fold({("tcp", "22"): 5.0, ("tcp", "80"): 1.0, ("tcp", "81"): 2.0}, 2, 1)
    ({('tcp', '22'): 5.0, ('tcp', 'other'): 3.0}, 2)
    >>> fold({("tcp", "1", "in"): 3.0, ("tcp", "2", "out"): 2.0, ("tcp", "3", "x"): 1.0}, 2, 1)
    ({('tcp', '1', 'in'): 3.0, ('tcp', 'other', 'other'): 3.0}, 2)
    """
    if len(series) <= max_series:
        return series, 0
    ranked = sorted(series.items(), key=lambda item: (-item[1], item[0]))

    def gently(labels: tuple[str, ...]) -> tuple[str, ...]:
        folded = list(labels)
        folded[port_at] = OTHER
        if program_at is not None:
            folded[program_at] = OTHER
        return tuple(folded)

    def wholly(labels: tuple[str, ...]) -> tuple[str, ...]:
        return (*labels[:port_at], *(OTHER for _ in labels[port_at:]))

    for other in (gently, wholly):
        keep = max_series - 1
        while keep > 0 and keep + len({other(k) for k, _ in ranked[keep:]}) > max_series:
            keep -= 1
        if keep + len({other(k) for k, _ in ranked[keep:]}) <= max_series:
            break
    kept = dict(ranked[:keep])
    for labels, value in ranked[keep:]:
        key = other(labels)
        kept[key] = kept.get(key, 0) + value
    return kept, len(ranked) - keep


def statistics_families(sections: Iterable[StatSection]) -> list[Family]:
    """``-s``'s counters as ``pnetstat_netstat_<group>_<field>`` (lower case), untyped."""
    families = []
    for section in sections:
        group = section.name.lower()
        for field, value in section.counters:
            name = f"pnetstat_netstat_{group}_{field.lower()}"
            families.append(Family(name, f"{section.name} {field} (/proc/net).", "untyped", (),
                                   [((), float(value))]))  # fmt: skip
    return families


_INTERFACE_FIELDS = (
    ("receive_bytes", "rx_bytes"), ("receive_packets", "rx_packets"),
    ("receive_errs", "rx_errs"), ("receive_drop", "rx_drop"),
    ("transmit_bytes", "tx_bytes"), ("transmit_packets", "tx_packets"),
    ("transmit_errs", "tx_errs"), ("transmit_drop", "tx_drop"),
)  # fmt: skip


def interface_families(interfaces: Iterable[Interface]) -> list[Family]:
    """Interface counters (/proc/net/dev) as ``pnetstat_interface_<field>{interface}``."""
    rows = [i for i in interfaces if i.counters is not None]
    return [
        Family(f"pnetstat_interface_{name}", f"Interface {attribute} (/proc/net/dev).",
               "untyped", ("interface",),
               [((i.name,), float(getattr(i.counters, attribute))) for i in rows])
        for name, attribute in _INTERFACE_FIELDS
    ]  # fmt: skip
