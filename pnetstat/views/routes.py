"""The ``-r`` views: netstat's IPv4 and IPv6 routing tables, line for line.

The ``-e`` count picks a layout through netstat's odd mapping (no ``-e``: the MSS layout,
``-e``: metric/ref/use, ``-ee``: both, ``-eee``: title only, then round again). Route
addresses are cut to 15 columns; ``-N`` means numeric here, as in netstat.
"""

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address

from ..model_tables import Route4, Route6
from ..options import Options
from ..resolve import Resolver
from .names import escape, format_host, ljust_bytes

__all__ = [
    "format_flags4",
    "format_flags6",
    "render_route4",
    "render_route6",
    "route_level",
]

_HEADERS4 = {
    2: "Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n",
    1: "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n",
    3: "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface    MSS   "
    "Window irtt\n",
}
_CACHE_HEADERS4 = {
    2: "Source          Destination     Gateway         Flags   MSS Window  irtt Iface\n",
    1: "Source          Destination     Gateway         Flags Metric Ref    Use Iface\n",
    3: "Source          Destination     Gateway         Flags Metric Ref    Use Iface    MSS   "
    "Window irtt  TOS HHRef HHUptod     SpecDst\n",
}
_HEADER6 = "Destination                    Next Hop                   Flag Met Ref  Use If\n"
_FLAGS4_TAIL = ((0x4, "H"), (0x8, "R"), (0x10, "D"), (0x20, "M"), (0x10000, "d"),
                (0x20000, "a"), (0x40000, "c"), (0x200000, "o"), (0x400000, "e"),
                (0x1000000, "c"), (0x2000000, "f"), (0x4000000, "p"), (0x80000000, "l"),
                (0x40, "u"), (0x80, "w"), (0x100, "i"), (0x400, "n"))  # fmt: skip
_FLAGS6 = ((0x1, "U"), (0x200, "!"), (0x2, "G"), (0x4, "H"), (0x10000, "D"), (0x40000, "A"),
           (0x01000000, "C"), (0x20000, "a"), (0x400000, "e"), (0x20, "m"), (0x200000, "n"),
           (0x02000000, "f"))  # fmt: skip
_REJECT = 0x200
_ANY = IPv4Address(0)


def route_level(extend: int) -> int:
    """The layout netstat picks for ``extend`` times ``-e``.

    >>> [route_level(n) for n in range(8)]
    [2, 1, 3, 0, 1, 2, 3, 0]
    """
    if extend < 2:
        return 2 - extend
    return (extend + 1) & 3


def format_flags4(flags: int) -> str:
    """IPv4 route flags: ``U``, ``G``, then ``!`` replacing both for a reject route, then more.

    >>> format_flags4(0x3), format_flags4(0x201), format_flags4(0x205)
    ('UG', '!', '!H')
    """
    text = ("U" if flags & 0x1 else "") + ("G" if flags & 0x2 else "")
    if flags & _REJECT:
        text = "!"
    return text + "".join(letter for bit, letter in _FLAGS4_TAIL if flags & bit)


def format_flags6(flags: int) -> str:
    """IPv6 route flags in netstat's order (the local-route bit is not shown).

    >>> format_flags6(0x80200001), format_flags6(0x00200200)
    ('Un', '!n')
    """
    return "".join(letter for bit, letter in _FLAGS6 if flags & bit)


def _numeric(options: Options) -> bool:
    return options.numeric_hosts or options.symbolic


def _destination(route: Route4, numeric: bool, resolver: Resolver | None) -> str:
    address, mask = route.destination, int(route.mask)
    if address == _ANY:
        return "0.0.0.0" if numeric or mask else "default"
    if numeric or resolver is None:
        return str(address)
    if route.flags & 0x4 or int(address) & ~mask & 0xFFFFFFFF:
        name = resolver.resolve_host(address)
    else:
        name = resolver.resolve_network(int(address))
    return escape(name) if name else str(address)


def _gateway(route: Route4, numeric: bool, resolver: Resolver | None) -> str:
    if route.gateway == _ANY or numeric or resolver is None:
        return str(route.gateway)
    name = resolver.resolve_host(route.gateway)
    return escape(name) if name else str(route.gateway)


def render_route4(
    rows: Iterable[Route4], options: Options, resolver: Resolver | None, cache: bool = False
) -> Iterator[str]:
    """Title, header and UP rows of the IPv4 FIB (or the title and header of the cache, which
    modern kernels leave empty)."""
    level = route_level(options.extend)
    yield "Kernel IP routing cache\n" if cache else "Kernel IP routing table\n"
    if level == 0:
        return
    yield (_CACHE_HEADERS4 if cache else _HEADERS4)[level]
    if cache:
        return
    numeric = _numeric(options)
    for route in rows:
        if not route.flags & 0x1:
            continue
        dest = _destination(route, numeric, resolver)[:15]
        mask = str(route.mask)
        flags = format_flags4(route.flags)
        if route.flags & _REJECT:
            if level == 2:
                line = "%-15s -               %-15s %-5s     - -          - -" % (dest, mask, flags)
            elif level == 1:
                line = "%-15s -               %-15s %-5s %-6d -  %7d -" % (
                    dest, mask, flags, route.metric, route.use)  # fmt: skip
            else:
                line = "%-15s -               %-15s %-5s %-6d -  %7d -        -     -      -" % (
                    dest, mask, flags, route.metric, route.use)  # fmt: skip
            yield line + "\n"
            continue
        gateway = _gateway(route, numeric, resolver)[:15]
        iface = escape(route.iface)
        if level == 2:
            line = "%-15s %-15s %-15s %-5s %5d %-5d %6d %s" % (
                dest, gateway, mask, flags, route.mtu, route.window, route.irtt, iface)  # fmt: skip
        elif level == 1:
            line = "%-15s %-15s %-15s %-5s %-6d %-2d %7d %s" % (
                dest, gateway, mask, flags, route.metric, route.refcnt, route.use, iface,
            )  # fmt: skip
        else:
            # netstat's %-6.6s cuts the raw name; the cut name is escaped, padded less what
            # the escapes added (never cut inside an escape).
            cell = route.iface.encode("utf-8", "surrogateescape")[:6]
            iface = ljust_bytes(escape(cell.decode("utf-8", "surrogateescape")), 6)
            line = "%-15s %-15s %-15s %-5s %-6d %-3d %6d %s   %-5d %-6d %d" % (
                dest, gateway, mask, flags, route.metric, route.refcnt, route.use, iface,
                route.mtu, route.window, route.irtt)  # fmt: skip
        yield line + "\n"


def render_route6(
    rows: Iterable[Route6], options: Options, resolver: Resolver | None, cache: bool = False
) -> Iterator[str]:
    """Title, header and every row of the IPv6 table (FIB rows, or only cache rows)."""
    yield "Kernel IPv6 routing cache\n" if cache else "Kernel IPv6 routing table\n"
    yield _HEADER6
    numeric = _numeric(options)
    names = None if numeric else resolver
    for route in rows:
        if bool(route.flags & 0x01000000) != cache:
            continue
        destination = "%s/%d" % (format_host(route.destination, numeric, names), route.prefix_len)
        next_hop = format_host(route.next_hop, numeric, names)
        yield "%-30s %-26s %-4s %-3d %-1d %6d %s\n" % (
            destination, next_hop, format_flags6(route.flags), route.metric, route.refcnt,
            route.use, escape(route.iface))  # fmt: skip
