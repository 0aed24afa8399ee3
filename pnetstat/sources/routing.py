"""Routing tables: /proc/net/route (IPv4 FIB) and /proc/net/ipv6_route.

``read_*`` open the files (``Unsupported`` when absent); ``parse_*`` are pure. IPv4 columns are
located by the header's names as netstat locates them; rows come in file order.
"""

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address

from ..model_tables import Route4, Route6
from .procfs import ProcFS

__all__ = ["parse_ipv6_route_lines", "parse_route_lines", "read_ipv6_routes", "read_routes"]

_COLUMNS = ("Iface", "Destination", "Gateway", "Flags", "RefCnt", "Use", "Metric", "Mask",
            "MTU", "Window", "IRTT")  # fmt: skip


def read_routes(proc: ProcFS) -> Iterator[Route4]:
    """Open /proc/net/route and return its rows (all of them; netstat shows those UP)."""
    return parse_route_lines(proc.open_text("net/route"))


def read_ipv6_routes(proc: ProcFS) -> Iterator[Route6]:
    """Open /proc/net/ipv6_route and return its rows."""
    return parse_ipv6_route_lines(proc.open_text("net/ipv6_route"))


def _ipv4(text: str) -> IPv4Address:
    return IPv4Address(int(text, 16).to_bytes(4, "little"))


def _int32(text: str) -> int:
    # netstat scans these into ints: an unsigned 4294967295 from the kernel reads as -1.
    value = int(text)
    return value - (1 << 32) if (1 << 31) <= value < (1 << 32) else value


def parse_route_lines(lines: Iterable[str]) -> Iterator[Route4]:
    r"""Parse /proc/net/route; rows whose columns do not all parse are skipped.

    >>> rows = parse_route_lines([
    ...     "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
    ...     "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0"])
    >>> [(r.iface, str(r.gateway), r.flags) for r in rows]
    [('eth0', '192.0.2.1', 3)]
    """
    where: dict[str, int] = {}
    for lineno, line in enumerate(lines):
        fields = line.split()
        if lineno == 0:
            where = {name: fields.index(name) for name in _COLUMNS if name in fields}
            continue
        try:
            values = {name: fields[index] for name, index in where.items()}
            yield Route4(
                values["Iface"],
                _ipv4(values["Destination"]),
                _ipv4(values["Gateway"]),
                int(values["Flags"], 16),
                _int32(values["RefCnt"]),
                _int32(values["Use"]),
                _int32(values["Metric"]),
                _ipv4(values["Mask"]),
                _int32(values["MTU"]),
                _int32(values["Window"]),
                _int32(values["IRTT"]),
            )
        except (KeyError, IndexError, ValueError, OverflowError):
            continue


def _signed32(text: str) -> int:
    value = int(text, 16)
    return value - (1 << 32) if value >= 1 << 31 else value


def parse_ipv6_route_lines(lines: Iterable[str]) -> Iterator[Route6]:
    """Parse /proc/net/ipv6_route (no header); metric, refcnt and use are signed, as printed.

    >>> row = next(parse_ipv6_route_lines(["00000000000000000000000000000000 00 "
    ...     "00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff "
    ...     "00000001 00000000 00200200       lo"]))
    >>> str(row.destination), row.metric, hex(row.flags), row.iface
    ('::', -1, '0x200200', 'lo')
    """
    for line in lines:
        fields = line.split()
        try:
            yield Route6(
                IPv6Address(bytes.fromhex(fields[0])),
                int(fields[1], 16),
                IPv6Address(bytes.fromhex(fields[2])),
                int(fields[3], 16),
                IPv6Address(bytes.fromhex(fields[4])),
                _signed32(fields[5]),
                _signed32(fields[6]),
                _signed32(fields[7]),
                int(fields[8], 16),
                fields[9],
            )
        except (IndexError, ValueError):
            continue
