"""/proc/net/dev and /proc/net/if_inet6 as netstat -i reads them, odd content included.

Rules observed with net-tools 2.10 on fake /proc trees (tests/test_malformed_proc.py):

/proc/net/dev
* It is read in pieces of at most 511 bytes (``fgets`` with a 512-byte buffer): the rest of a
  longer line is a line of its own. The first two pieces are the header.
* The second header piece picks the counter layout: it contains ``compressed``: 16 counters;
  else ``bytes``: 13 (no compressed and multicast counters); else 11 (no byte counters either).
* The name starts after the leading blanks (C blanks only) and ends at a blank or a colon; a
  colon followed by digits and another colon is an alias (``eth0:1:``) and stays in the name.
  It keeps at most 15 bytes. A blank line gives the name "" (which no interface has, so
  netstat stops with an error there), a piece cut from a long line names an interface after
  its first word.
* The counters are read with C's rules (:class:`~pnetstat.sources.cscan.CStream`): a sign is
  allowed, ``-1`` wraps to 2**64-1, overflow saturates, reading stops at the first field that
  is not a number. Counters not read keep their value: 0 for a new name, the earlier line's
  value when a name comes again (duplicate lines merge).

/proc/net/if_inet6
* The file is read as one stream of conversions, ``%4s`` eight times (the address), then
  ``%8x %2x %2x %2x %20s`` (index, prefix length, scope, flags, device), record after record,
  until only blanks are left. A malformed field does not skip its line: the next conversion
  starts where the failing one stopped, so one bad line can shift every later record.
* After every read, complete or not, the current values are used, with what earlier reads
  left in the fields this one did not reach (:class:`Inet6Reader`). So a broken record can
  repeat the line before it.
"""

from __future__ import annotations

import _socket
from collections.abc import Iterable, Iterator, Sequence
from ipaddress import IPv6Address

from ..model_tables import Inet6Address, InterfaceCounters
from .cscan import C_BLANKS, CStream, cast, fgets_lines, fields

__all__ = ["Inet6Reader", "parse_dev_lines", "parse_dev_name"]

# Where each counter of a layout goes in the 16-counter tuple (InterfaceCounters' order).
_LAYOUTS = {
    16: tuple(range(16)),
    # rx bytes packets errs drop fifo frame, tx bytes packets errs drop fifo colls carrier
    13: (0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14),
    # the same without the byte counters
    11: (1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14),
}
_ZEROS = (0,) * 16
_DIGITS = "0123456789"


def parse_dev_name(line: str) -> tuple[str, str]:
    """The interface name of a /proc/net/dev line and the text its counters are read from.

    >>> parse_dev_name("  eth0: 1 2"), parse_dev_name("eth0:1: 5"), parse_dev_name("lo 7")
    (('eth0', ' 1 2'), ('eth0:1', ' 5'), ('lo', ' 7'))
    >>> parse_dev_name("lo:12x: 3"), parse_dev_name("   \\n")
    (('lo', '12x: 3'), ('', ''))
    """
    start = len(line) - len(line.lstrip(C_BLANKS))
    end = start
    rest = len(line)
    while end < len(line):
        char = line[end]
        if char in C_BLANKS:
            rest = end
            break
        if char == ":":
            after = end + 1
            while after < len(line) and line[after] in _DIGITS:
                after += 1
            if after < len(line) and line[after] == ":":
                end = after  # an alias: "eth0:1:" names eth0:1
            rest = end + 1
            break
        end += 1
    name = line[start:end]
    if len(name) > 15 or not name.isascii():
        name = name.encode("utf-8", "surrogateescape")[:15].decode("utf-8", "surrogateescape")
    return name, line[rest:]


def _counters(text: str, count: int) -> list[int]:
    """The leading numbers of ``text`` read as ``%llu`` conversions, at most ``count``."""
    fast = fields(text, count)
    if len(fast) >= count and all(f.isdigit() and f.isascii() for f in fast[:count]):
        return [min(int(f), (1 << 64) - 1) for f in fast[:count]]
    stream = CStream(text.encode("utf-8", "surrogateescape"))
    values: list[int] = []
    while len(values) < count:
        value = stream.number(-1, 10)
        if value is None:
            break
        values.append(value)
    return values


def parse_dev_lines(lines: Iterable[str]) -> Iterator[tuple[str, InterfaceCounters]]:
    """Interfaces and counters of /proc/net/dev, each name once (first-seen order, merged).

    >>> line = "    lo:  3193  29  0  0  0  0  0  0  3193  29  0  0  0  0  0  0"
    >>> rows = parse_dev_lines(["h1", "h2 compressed", line])
    >>> [(name, c.rx_packets, c.tx_bytes) for name, c in rows]
    [('lo', 29, 3193)]
    """
    found: dict[str, list[int]] = {}
    layout = _LAYOUTS[11]
    for number, piece in enumerate(fgets_lines(lines, 512)):
        if number < 2:
            if number == 1:
                layout = _LAYOUTS[16 if "compressed" in piece else 13 if "bytes" in piece else 11]
            continue
        name, rest = parse_dev_name(piece)
        values = found.setdefault(name, list(_ZEROS))
        for place, value in zip(layout, _counters(rest, len(layout)), strict=False):
            values[place] = value
    for name, values in found.items():
        yield name, InterfaceCounters(*values)


def _address(parts: Sequence[bytes]) -> IPv6Address | None:
    """The address the eight parts spell (``inet_pton``), or None."""
    text = b":".join(parts).decode("latin-1")
    try:
        return IPv6Address(_socket.inet_pton(_socket.AF_INET6, text))
    except (OSError, ValueError):
        return None


# What one read of the record format got: the fields are read in order, so a read that stops
# early has a prefix of them: address parts (%4s x8), numbers (%08x %02x %02x %02x: index,
# prefix length, scope, flags, as C ints) and the device (%20s), or None where it stopped.
_Read = tuple[tuple[bytes, ...], tuple[int, ...], bytes | None]


def _read(stream: CStream) -> _Read:
    parts: list[bytes] = []
    while len(parts) < 8:
        part = stream.string(4)
        if part is None:
            return tuple(parts), (), None
        parts.append(part)
    numbers: list[int] = []
    for width in (8, 2, 2, 2):
        number = stream.number(width, 16)
        if number is None:
            return tuple(parts), tuple(numbers), None
        numbers.append(cast(number, 32, signed=True))
    return tuple(parts), tuple(numbers), stream.string(20)


def _reads(data: bytes) -> list[_Read]:
    """What each ``fscanf`` of the record format gets, until only blanks are left."""
    stream = CStream(data)
    reads = []
    while not stream.at_end():
        reads.append(_read(stream))
    return reads


class Inet6Reader:
    """netstat -ie's reading of /proc/net/if_inet6 (see the module docstring): it reads the
    whole file once per interface it prints, and its variables carry over from one read to the
    next and from one interface to the next:

    * fields a read did not reach keep their values;
    * the address is parsed only from a read whose device is the interface being printed, and
      one that does not parse keeps the address parsed before (for an earlier interface too);
    * the device name does not carry over to the next interface: until a read of its own names
      a device, nothing is printed;
    * printing a scope with the 0x80 (compat) bit clears that bit for later reads that do not
      read a scope of their own.

    Ask :meth:`addresses` in netstat's printing order. Before anything was parsed, netstat has
    uninitialised memory where pnetstat has zeros.

    >>> reader = Inet6Reader(b"00000000000000000000000000000001 01 80 10 80 lo\\n"
    ...                      b"zz000000000000000000000000000002 01 40 20 80 eth0\\n")
    >>> [(str(a.address), a.prefix_len, a.scope) for a in reader.addresses("lo")]
    [('::1', 128, 16)]
    >>> [(str(a.address), a.prefix_len, a.scope) for a in reader.addresses("eth0")]
    [('::1', 64, 32)]
    """

    def __init__(self, data: bytes) -> None:
        self._reads = _reads(data)
        self._parts: list[bytes] = [b""] * 8
        self._numbers = [0, 0, 0, 0]  # index, prefix length, scope, flags (C ints)
        self._device: bytes | None = None
        self._address = IPv6Address(0)
        # An ordinary file (every read complete, every address valid) leaves nothing to carry
        # over: its records can be looked up by device instead of read again per interface.
        self._by_device: dict[str, list[Inet6Address]] | None = {}
        for parts, numbers, device in self._reads:
            address = _address(parts) if device is not None else None
            if address is None or device is None or len(numbers) < 4:
                self._by_device = None
                break
            name = device.decode("utf-8", "surrogateescape")
            index, prefix_len, scope, flags = numbers
            record = Inet6Address(address, index, prefix_len, cast(scope, 32), flags, name)
            self._by_device.setdefault(name, []).append(record)

    def addresses(self, device: str) -> tuple[Inet6Address, ...]:
        """The inet6 lines netstat prints for ``device``, in file order."""
        if self._by_device is not None:
            return tuple(self._by_device.get(device, ()))
        wanted = device.encode("utf-8", "surrogateescape")
        parts, numbers = self._parts, self._numbers
        self._device = None  # the device name read for the interface before does not count
        found = []
        for got_parts, got_numbers, got_device in self._reads:
            parts[: len(got_parts)] = got_parts
            numbers[: len(got_numbers)] = got_numbers
            if got_device is not None:
                self._device = got_device
            if self._device != wanted:
                continue
            address = _address(parts)
            if address is not None:  # one that does not parse keeps the one before
                self._address = address
            index, prefix_len, scope, flags = numbers
            found.append(
                Inet6Address(self._address, index, prefix_len, cast(scope, 32), flags, device)
            )
            numbers[2] = scope & ~0x80
        return tuple(found)
