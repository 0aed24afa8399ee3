"""One scrape: read the kernel fresh and build every metric family (``metrics``).

Sockets come from the caller's namespace, or from every namespace with --all-netns (entered
in turn from whichever thread scrapes: the tables are read through /proc/thread-self, which
follows that thread). TCP is read through sock_diag where the kernel answers, which gives
listeners' backlog too, and counted rather than listed (``TcpCounts``) unless -p asks whose
each connection is. Counters (-s) and interfaces are the caller's namespace's. A socket,
process or namespace that vanishes during the read is passed over.
"""

import time
from typing import NamedTuple

from ..errors import NamespaceError, NetlinkError, ProcReadError, Unsupported
from ..model import Family, InetSocket, OwnerMap, Protocol, TcpCounts, UnixSocket
from ..model_tables import Namespace
from ..sources.procfs import ProcFS, ignore_errors
from .metrics import Family as MetricFamily
from .metrics import Scope, interface_families, socket_families, statistics_families

__all__ = ["Settings", "scrape"]


class Settings(NamedTuple):
    """What a scrape reads and how its series are bounded."""

    proc: str = "/proc"
    source: str = "auto"
    all_netns: bool = False
    programs: bool = False
    max_series: int = 1000


def scrape(settings: Settings) -> list[MetricFamily]:
    """Every family of one scrape, read now."""
    started = time.monotonic()
    root = ProcFS(settings.proc)
    owners: OwnerMap | None = None
    if settings.programs:
        from ..sources.processes import read_owners

        owners = read_owners(root)
    # Counts have no inodes: -p's program label needs the rows.
    counted = not settings.programs
    listings: list[tuple[Scope, list[InetSocket | UnixSocket]]] = []
    if settings.all_netns:
        from ..sources.netns import entered, read_namespaces

        for namespace in read_namespaces(root):
            try:
                with entered(namespace):
                    inside = ProcFS(f"{root.root}/thread-self")
                    tcp, rows = _tcp(inside, settings.source, counted)
                    rows += _rows(inside, settings.source)
                    unix = _count_unix(inside, settings.source)
            except NamespaceError:
                continue  # gone, or not ours to enter: the next scrape says again
            listings.append((_scope(namespace, owners, unix, tcp), rows))
    else:
        tcp, rows = _tcp(root, settings.source, counted)
        rows += _rows(root, settings.source)
        listings.append(
            (Scope(owners=owners, unix=_count_unix(root, settings.source), tcp=tcp), rows)
        )
    families, dropped = socket_families(
        listings, settings.max_series, settings.all_netns, settings.programs
    )
    families += _statistics(root)
    families += _interfaces(root)
    families.append(
        MetricFamily("pnetstat_series_dropped",
                     "Series folded into port=\"other\" by --max-series in this scrape.",
                     "gauge", (), [((), float(dropped))])
    )  # fmt: skip
    families.append(
        MetricFamily("pnetstat_scrape_duration_seconds", "How long this scrape's read took.",
                     "gauge", (), [((), time.monotonic() - started)])
    )  # fmt: skip
    return families


def _scope(
    namespace: Namespace, owners: OwnerMap | None, unix: int, tcp: TcpCounts | None
) -> Scope:
    container = namespace.container
    label = container.short if container is not None else ""
    return Scope(namespace.label, label, owners, unix, tcp)


def _count_unix(root: ProcFS, source: str) -> int:
    """How many UNIX sockets /proc/net/unix lists (only their number is a metric): counted
    in a unix_diag dump where the kernel answers (53 ms of CPU at 100k sockets, against 86
    for reading the file), else /proc's lines (a path holding a newline counts twice)."""
    if source != "proc":
        from ..sources.sockdiag.counts import read_unix_count

        try:
            return read_unix_count()
        except NetlinkError:
            pass  # no unix_diag module: the file says as much
    try:
        return max(sum(1 for _ in root.open_text("net/unix")) - 1, 0)
    except _MISSING:
        return 0


def _rows(root: ProcFS, source: str) -> list[InetSocket | UnixSocket]:
    """The UDP, UDP-Lite and RAW rows of one namespace; a table the kernel does not offer is
    passed over."""
    from ..sources.sockets import read_inet

    rows: list[InetSocket | UnixSocket] = []
    for family in (Family.INET, Family.INET6):
        for protocol in (Protocol.UDP, Protocol.UDPLITE, Protocol.RAW):
            try:
                rows.extend(read_inet(root, source, protocol, family, ignore_errors))
            except _MISSING:
                continue
    return rows


# A table the kernel does not offer (no IPv6, no UDP-Lite module) or that went away.
_MISSING = (Unsupported, ProcReadError)


def _tcp(
    root: ProcFS, source: str, counted: bool
) -> tuple[TcpCounts | None, list[InetSocket | UnixSocket]]:
    """TCP of both families, counted (if ``counted``) or as rows: one sock_diag dump (one
    walk of the kernel's TCP hash, as ``ss -t`` asks) that also gives listeners' backlog,
    else the rows of /proc."""
    if source != "proc":
        try:
            if counted:
                from ..sources.sockdiag.counts import read_tcp_counts

                return read_tcp_counts(), []
            from ..sources.sockdiag import read_tcp_sockets_diag_both

            inet, inet6 = read_tcp_sockets_diag_both(backlog=True)
            return None, [*inet, *inet6]
        except NetlinkError:
            if source == "netlink":
                raise
    from ..sources.proc_inet import read_inet_sockets

    rows: list[InetSocket | UnixSocket] = []
    for family in (Family.INET, Family.INET6):
        try:
            rows.extend(read_inet_sockets(root, Protocol.TCP, family))
        except _MISSING:
            continue
    return None, rows


def _statistics(root: ProcFS) -> list[MetricFamily]:
    from ..sources.snmp import read_stat_file

    sections = []
    for relative in ("net/snmp", "net/netstat", "net/snmp6"):
        try:
            sections.extend(read_stat_file(root, relative))
        except (Unsupported, ProcReadError):
            continue
    return statistics_families(sections)


def _interfaces(root: ProcFS) -> list[MetricFamily]:
    from ..sources.netdev import parse_dev_lines

    try:
        counters = list(parse_dev_lines(root.open_text("net/dev")))
    except (Unsupported, ProcReadError):
        return []
    from ..model_tables import Interface

    rows = [Interface(name, c, 0, 0, None, None, None, None, None, None, None, None)
            for name, c in counters]  # fmt: skip
    return interface_families(rows)
