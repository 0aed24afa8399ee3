"""Routing tables: /proc/net/route (IPv4 FIB) and /proc/net/ipv6_route.

``read_*`` open the files (``Unsupported`` when absent); ``parse_*`` are pure. Both files are
read the way netstat 2.10 reads them (rules found by running it on fake /proc trees,
tests/test_malformed_proc.py), so a malformed line means what it means to netstat:

* lines come in pieces of 1022 bytes (the rest of a longer line is a line of its own);
* a row is one ``sscanf`` (pnetstat.sources.cscan) into variables that outlive the row: what a
  short or broken row does not assign keeps the previous row's value;
* an address is converted from its text only for a row netstat shows (an UP IPv4 route, an
  IPv6 route of the table asked for), and a text that does not convert keeps the address of
  the last shown row.

Rows netstat does not show are still yielded (the library lists every route), with their
addresses converted the same way but without becoming the "last" address.
"""

# The C module rather than socket.py, which builds an IntEnum of every constant at import
# (about 1.5 ms of a -rn run); inet_pton is the same function.
import _socket
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address

from ..errors import MissingColumn
from ..model_tables import Route4, Route6
from .cscan import fgets_lines
from .procfs import ProcFS
from .sscanf import sscanf

__all__ = ["parse_ipv6_route_lines", "parse_route_lines", "read_ipv6_routes", "read_routes"]

#: netstat reads both files with fgets into a 1023-byte buffer: 1022-byte pieces.
LINE_BUFFER = 1023

#: The columns netstat requires in /proc/net/route's header, in the order it checks them,
#: with the conversion it scans each with.
_COLUMNS = {
    "Iface": "%15s",
    "Destination": "%128s",
    "Gateway": "%128s",
    "Flags": "%X",
    "RefCnt": "%d",
    "Use": "%d",
    "Metric": "%d",
    "Mask": "%128s",
    "MTU": "%d",
    "Window": "%d",
    "IRTT": "%d",
}
_ADDRESSES4 = ("Destination", "Gateway", "Mask")
_RTF_UP = 0x1
_KERNEL_HEADER = list(_COLUMNS)
# A kernel row: name, three 8-digit hex addresses, 4-digit flags, small decimals. Anything
# else (and any header but the kernel's) takes the sscanf path.
_ROW4 = re.compile(
    r"([!-~]{1,15})\t([0-9A-Fa-f]{8})\t([0-9A-Fa-f]{8})\t([0-9A-Fa-f]{1,8})\t([0-9]{1,9})"
    r"\t([0-9]{1,9})\t([0-9]{1,9})\t([0-9A-Fa-f]{8})\t([0-9]{1,9})\t([0-9]{1,9})\t([0-9]{1,9})"
    r"[ \t]*\n?"
)
_HEX8 = re.compile(r"[0-9A-Fa-f]{8}")


def read_routes(proc: ProcFS) -> Iterator[Route4]:
    """Open /proc/net/route and return its rows (all of them; netstat shows those UP)."""
    return parse_route_lines(proc.open_text("net/route"), proc.path("net/route"))


def read_ipv6_routes(proc: ProcFS, cache: bool = False) -> Iterator[Route6]:
    """Open /proc/net/ipv6_route and return its rows (``cache``: the view shows cache rows)."""
    return parse_ipv6_route_lines(proc.open_text("net/ipv6_route"), cache)


def _route4_format(path: str, header: str | None) -> tuple[str, list[str]]:
    """The sscanf format netstat builds from the header, and the column each value fills.

    Header words are separated by spaces and tabs only. Each required column must be a word
    (checked in ``_COLUMNS`` order: the first missing one is named); a word netstat does not
    need, or a column named again, skips one field of each row.
    """
    if header is None:
        raise MissingColumn(path, 1, "", "")  # an empty file: netstat fails without a word
    words = re.split("[ \t\n]+", header.strip(" \t\n"))
    for name in _COLUMNS:
        if name not in words:
            raise MissingColumn(path, 1, header.rstrip("\n"), name)
    conversions, names = [], []
    for word in words:
        if word in _COLUMNS and word not in names:
            conversions.append(_COLUMNS[word])
            names.append(word)
        else:
            conversions.append("%*s")
    return " ".join(conversions), names


def _ipv4(text: str) -> IPv4Address | None:
    """An address column: the first 8 characters as hex digits (host-order integer), else None.

    >>> _ipv4("0100A8C0"), _ipv4("0100A8C0FF"), _ipv4("100A8C0"), _ipv4("0X00FFFF")
    (IPv4Address('192.168.0.1'), IPv4Address('192.168.0.1'), None, None)
    """
    if _HEX8.match(text) is None:
        return None
    return IPv4Address(int(text[:8], 16).to_bytes(4, "little"))


def parse_route_lines(lines: Iterable[str], path: str = "/proc/net/route") -> Iterator[Route4]:
    r"""Parse /proc/net/route as netstat does; ``MissingColumn`` when the header will not do.

    A row is skipped when fewer than 10 of its 11 columns scan (a row missing only its last
    column keeps the previous row's value there). Numbers are C ints (``%d``: 4294967295
    reads as -1, an overflow as -1), flags a C unsigned (``%X``).

    >>> rows = parse_route_lines([
    ...     "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
    ...     "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0",
    ...     "eth1\t0002000A\tnonsense\t0001\t0\t0\t99999999999999999999\t00FFFFFF\t0\t0"])
    >>> [(r.iface, str(r.gateway), r.metric, r.irtt) for r in rows]
    [('eth0', '192.0.2.1', 0, 0), ('eth1', '192.0.2.1', -1, 0)]
    """
    pieces = fgets_lines(lines, LINE_BUFFER)
    fmt, names = _route4_format(path, next(pieces, None))
    standard = names == _KERNEL_HEADER and fmt.count("%*s") == 0
    # The scanned values and the last shown addresses (netstat's variables; they start at 0).
    row: dict[str, int | str] = dict.fromkeys(_COLUMNS, 0)
    row["Iface"] = ""
    last = dict.fromkeys(_ADDRESSES4, IPv4Address(0))
    for piece in pieces:
        match = _ROW4.fullmatch(piece) if standard else None
        if match is not None:
            g = match.groups()
            values: list[int | str] = [
                g[0], g[1], g[2], int(g[3], 16), int(g[4]), int(g[5]), int(g[6]), g[7],
                int(g[8]), int(g[9]), int(g[10]),
            ]  # fmt: skip
        else:
            values = sscanf(piece, fmt)
        row.update(zip(names, values, strict=False))
        if len(values) < 10:
            continue
        flags = int(row["Flags"])
        shown = bool(flags & _RTF_UP)
        addresses = []
        for name in _ADDRESSES4:
            address = _ipv4(str(row[name]))
            if address is None:
                address = last[name]
            elif shown:
                last[name] = address
            addresses.append(address)
        destination, gateway, mask = addresses
        yield Route4(
            str(row["Iface"]), destination, gateway, flags, int(row["RefCnt"]), int(row["Use"]),
            int(row["Metric"]), mask, int(row["MTU"]), int(row["Window"]), int(row["IRTT"]),
        )  # fmt: skip


# ------------------------------------------------------------------------------- IPv6

# Each address is scanned as eight 4-character words and converted from "w:w:w:w:w:w:w:w",
# so a field that is too long or too short shifts the rest of the row (no row is rejected).
_ADDRESS6 = "%4s" * 8
_FORMAT6 = f"{_ADDRESS6} %02x {_ADDRESS6} %02x {_ADDRESS6} %08x %08x %08x %08x %15s"
_ROW6 = re.compile(
    r"([0-9a-fA-F]{32}) ([0-9a-fA-F]{2}) ([0-9a-fA-F]{32}) ([0-9a-fA-F]{2}) ([0-9a-fA-F]{32})"
    r" ([0-9a-fA-F]{8}) ([0-9a-fA-F]{8}) ([0-9a-fA-F]{8}) ([0-9a-fA-F]{8}) +([!-~]{1,15})\n?"
)
_RTF_CACHE = 0x01000000


@lru_cache(maxsize=4096)
def _hex_address(text: str) -> IPv6Address:
    """32 hex digits (the kernel's form; routes repeat the same few addresses)."""
    return IPv6Address(int(text, 16))


def _words(text: str) -> list[str]:
    return [text[i : i + 4] for i in range(0, 32, 4)]


def _ipv6(words: list[int | str]) -> IPv6Address | None:
    """The address the C library reads from the words joined by colons, or None."""
    try:
        return IPv6Address(_socket.inet_pton(_socket.AF_INET6, ":".join(map(str, words))))
    except (OSError, ValueError):
        return None


def _signed(value: int | str) -> int:
    value = int(value)
    return value - (1 << 32) if value >> 31 else value


def parse_ipv6_route_lines(lines: Iterable[str], cache: bool = False) -> Iterator[Route6]:
    """Parse /proc/net/ipv6_route (no header) as netstat does: every line is a row.

    A blank line repeats the previous row, a short one changes only the fields it has; the
    prefix lengths are two hex digits at most (a third starts the next field). Metric, refcnt
    and use are the kernel's unsigned words printed as C ints. Addresses of the rows of the
    other table (cache rows unless ``cache``) do not become the "last" address.

    >>> row = next(parse_ipv6_route_lines(["00000000000000000000000000000000 00 "
    ...     "00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff "
    ...     "00000001 00000000 00200200       lo"]))
    >>> str(row.destination), row.metric, hex(row.flags), row.iface
    ('::', -1, '0x200200', 'lo')
    """
    # netstat's variables: 24 address words, 2 prefix lengths, 4 numbers, the device name.
    state: list[int | str] = [*(["0"] * 8), 0, *(["0"] * 8), 0, *(["0"] * 8), 0, 0, 0, 0, ""]
    fast: tuple[str, ...] | None = None  # a kernel line whose words are not split out yet
    zero = IPv6Address(0)
    last = [zero, zero, zero]
    for piece in fgets_lines(lines, LINE_BUFFER):
        match = _ROW6.fullmatch(piece)
        if match is not None:
            # The common case: three well-formed addresses, no carried values involved.
            fast = g = match.groups()
            flags = int(g[8], 16)
            addresses = [_hex_address(g[0]), _hex_address(g[2]), _hex_address(g[4])]
            if bool(flags & _RTF_CACHE) == cache:
                last = addresses
            yield Route6(
                addresses[0], int(g[1], 16), addresses[1], int(g[3], 16), addresses[2],
                _signed(int(g[5], 16)), _signed(int(g[6], 16)), _signed(int(g[7], 16)), flags,
                g[9],
            )  # fmt: skip
            continue
        if fast is not None:
            g, fast = fast, None
            state = [*_words(g[0]), int(g[1], 16), *_words(g[2]), int(g[3], 16), *_words(g[4]),
                     int(g[5], 16), int(g[6], 16), int(g[7], 16), int(g[8], 16), g[9]]  # fmt: skip
        values = sscanf(piece, _FORMAT6)
        state[: len(values)] = values
        flags = int(state[29])
        shown = bool(flags & _RTF_CACHE) == cache
        addresses = []
        for k, start in enumerate((0, 9, 18)):
            address = _ipv6(state[start : start + 8])
            if address is None:
                address = last[k]
            elif shown:
                last[k] = address
            addresses.append(address)
        yield Route6(
            addresses[0], _signed(state[8]), addresses[1], _signed(state[17]), addresses[2],
            _signed(state[26]), _signed(state[27]), _signed(state[28]), flags, str(state[30]),
        )  # fmt: skip
