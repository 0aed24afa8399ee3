"""Multicast group memberships: /proc/net/igmp (IPv4) and /proc/net/igmp6 (IPv6).

``read_*`` open the files (raising ``Unsupported`` when the kernel has none); ``parse_*`` are
pure. Both are read the way netstat 2.10 reads them (rules found by running it on fake /proc
trees, tests/test_malformed_proc.py): in 8191-byte pieces, each scanned with ``sscanf``
(pnetstat.sources.cscan) into values that outlive the line, so what a line does not set keeps
the previous line's value. A line netstat calls bogus is reported to ``on_error`` with its line
number (the header is line 1) and skipped.
"""

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address
from itertools import chain

from ..errors import ForeignFormat, ParseError
from ..model import Family
from ..model_tables import GroupMembership
from .cscan import fgets_lines
from .procfs import ErrorHandler, ProcFS, ignore_errors
from .sscanf import sscanf

__all__ = ["parse_igmp6_lines", "parse_igmp_lines", "read_igmp", "read_igmp6"]

#: netstat reads both files with fgets into an 8192-byte buffer.
LINE_BUFFER = 8192
# "IDX DEVICE" of an igmp device line (the device: up to 15 characters as they come, without
# a terminator), and "GROUP USERS" of a group line (the group: 1 to 8 hex digits, no sign or
# 0x, read as a host-order integer).
_DEVICE_WITH_INDEX = "%d %15c"
_DEVICE = "%15c"
_GROUP = " %8[0-9A-Fa-f] %d"
# igmp6: "INDEX DEVICE GROUP USERS ..." with the group as up to 64 hex digits.
_IGMP6 = "%d %15s %64[0-9A-Fa-f] %d"


def read_igmp(proc: ProcFS, on_error: ErrorHandler = ignore_errors) -> Iterator[GroupMembership]:
    """Open /proc/net/igmp and return an iterator of its memberships, in file order."""
    lines = proc.open_text("net/igmp")
    return parse_igmp_lines(lines, proc.path("net/igmp"), on_error)


def read_igmp6(proc: ProcFS, on_error: ErrorHandler = ignore_errors) -> Iterator[GroupMembership]:
    """Open /proc/net/igmp6 and return an iterator of its memberships, in file order."""
    lines = proc.open_text("net/igmp6")
    return parse_igmp6_lines(lines, proc.path("net/igmp6"), on_error)


class _DeviceName:
    """netstat's 16-byte device buffer: a device line overwrites as many characters as it has
    (up to 15), then the last ``:`` in the buffer's text ends it (the kernel writes the name
    padded to 10, then " :")."""

    def __init__(self) -> None:
        self.buffer = bytes(15)

    def update(self, chars: str) -> None:
        data = chars.encode("utf-8", "surrogateescape")
        buffer = data + self.buffer[len(data) :]
        colon = buffer.partition(b"\0")[0].rfind(b":")
        self.buffer = buffer[:colon] + b"\0" + buffer[colon + 1 :] if colon >= 0 else buffer

    @property
    def text(self) -> str:
        return self.buffer.partition(b"\0")[0].decode("utf-8", "surrogateescape")


def parse_igmp_lines(
    lines: Iterable[str], path: str = "", on_error: ErrorHandler = ignore_errors
) -> Iterator[GroupMembership]:
    r"""Parse /proc/net/igmp: device lines, each followed by its group lines (TAB-indented).

    The header decides the layout: without ``Device`` in it netstat reads the whole file
    (header included) in igmp6's format (errors come as ``ForeignFormat``); without a
    leading ``Idx`` device lines carry no index. A line starting with a TAB is a group line
    (1 to 8 hex digits, then users as a C int), any other line a device line.

    >>> rows = parse_igmp_lines(["Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter",
    ...     "1\tlo        :     1      V3", "\t\t\t\t010000E0     1 0:00000000\t\t0"])
    >>> [(r.device, str(r.group), r.users) for r in rows]
    [('lo        ', '224.0.0.1', 1)]
    """
    pieces = fgets_lines(lines, LINE_BUFFER)
    header = next(pieces, None)
    if header is None:
        return
    if "Device" not in header:
        yield from _igmp6(chain([header], pieces), path, on_error, foreign=True)
        return
    device_format = _DEVICE_WITH_INDEX if header.startswith("Idx") else _DEVICE
    index, device, group, users = 0, _DeviceName(), "0", 0
    for lineno, piece in enumerate(pieces, 2):
        if piece.startswith("\t"):
            values = sscanf(piece, _GROUP)
            group, users = (values + [group, users][len(values) :])[:2]  # type: ignore[assignment]
            if len(values) < 2:
                on_error(ParseError(path, lineno, piece.rstrip("\n")))
                continue
            address = IPv4Address(int(str(group), 16).to_bytes(4, "little"))
            yield GroupMembership(Family.INET, index, device.text, address, int(users))
            continue
        values = sscanf(piece, device_format)
        if device_format is _DEVICE:
            values = [index, *values]
        if values[:1]:
            index = int(values[0])
        if len(values) < 2:
            on_error(ParseError(path, lineno, piece.rstrip("\n")))
            continue
        device.update(str(values[1]))


def parse_igmp6_lines(
    lines: Iterable[str], path: str = "", on_error: ErrorHandler = ignore_errors
) -> Iterator[GroupMembership]:
    """Parse /proc/net/igmp6 (no header): ``index device group users ...`` per line.

    A line is bogus unless all four scan. The group's hex digits are read as four 8-digit
    words, each stored in network order; a word a short group lacks keeps the bytes of the
    previous group, read back in host order (so they come out byte-swapped).

    >>> row = next(parse_igmp6_lines(
    ...     ["1    lo              ff020000000000000000000000000001     1 0000000C 0"]))
    >>> row.device, str(row.group), row.users
    ('lo', 'ff02::1', 1)
    """
    return _igmp6(fgets_lines(lines, LINE_BUFFER), path, on_error)


def _igmp6(
    pieces: Iterable[str], path: str, on_error: ErrorHandler, foreign: bool = False
) -> Iterator[GroupMembership]:
    state: list[int | str] = [0, "", "", 0]
    memory = bytes(16)
    for lineno, piece in enumerate(pieces, 1):
        values = sscanf(piece, _IGMP6)
        state[: len(values)] = values
        if len(values) < 4:
            text = piece.rstrip("\n")
            error = ForeignFormat(path, lineno, text, "igmp6") if foreign else None
            on_error(error or ParseError(path, lineno, text))
            continue
        words = sscanf(str(state[2]), "%08x%08x%08x%08x")
        host = [int(words[k]) if k < len(words) else _host(memory[4 * k : 4 * k + 4])
                for k in range(4)]  # fmt: skip
        memory = b"".join(word.to_bytes(4, "big") for word in host)
        yield GroupMembership(
            Family.INET6, int(state[0]), str(state[1]), IPv6Address(memory), int(state[3])
        )


def _host(data: bytes) -> int:
    return int.from_bytes(data, "little")
