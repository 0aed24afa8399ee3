"""Multicast group memberships: /proc/net/igmp (IPv4) and /proc/net/igmp6 (IPv6).

``read_*`` open the files (raising ``Unsupported`` when the kernel has none); ``parse_*`` are
pure. A line netstat cannot scan is reported to ``on_error`` with its line number and skipped.
"""

from collections.abc import Iterable, Iterator
from ipaddress import IPv4Address, IPv6Address

from ..errors import ParseError
from ..model import Family
from ..model_tables import GroupMembership
from .procfs import ErrorHandler, ProcFS, ignore_errors

__all__ = ["parse_igmp6_lines", "parse_igmp_lines", "read_igmp", "read_igmp6"]


def read_igmp(proc: ProcFS, on_error: ErrorHandler = ignore_errors) -> Iterator[GroupMembership]:
    """Open /proc/net/igmp and return an iterator of its memberships, in file order."""
    lines = proc.open_text("net/igmp")
    return parse_igmp_lines(lines, proc.path("net/igmp"), on_error)


def read_igmp6(proc: ProcFS, on_error: ErrorHandler = ignore_errors) -> Iterator[GroupMembership]:
    """Open /proc/net/igmp6 and return an iterator of its memberships, in file order."""
    lines = proc.open_text("net/igmp6")
    return parse_igmp6_lines(lines, proc.path("net/igmp6"), on_error)


def parse_igmp_lines(
    lines: Iterable[str], path: str = "", on_error: ErrorHandler = ignore_errors
) -> Iterator[GroupMembership]:
    r"""Parse /proc/net/igmp: device lines, each followed by its group lines (TAB-indented).

    >>> rows = parse_igmp_lines(["Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter",
    ...     "1\tlo        :     1      V3", "\t\t\t\t010000E0     1 0:00000000\t\t0"])
    >>> [(r.device, str(r.group), r.users) for r in rows]
    [('lo        ', '224.0.0.1', 1)]
    """
    index, device = 0, ""
    for lineno, line in enumerate(lines, 1):
        if lineno == 1:
            continue
        if not line.startswith("\t"):
            # "IDX\tNAME      : COUNT QUERIER": netstat takes the 15 columns after the TAB, up
            # to the last colon among them (the kernel pads names to 10 and writes " :").
            number, _, rest = line.partition("\t")
            try:
                index = int(number)
            except ValueError:
                on_error(ParseError(path, lineno, line.rstrip("\n")))
                continue
            device = rest[:15]
            if ":" in device:
                device = device[: device.rindex(":")]
            continue
        fields = line.split()
        try:
            packed = int(fields[0], 16).to_bytes(4, "little")
            users = int(fields[1])
        except (ValueError, IndexError, OverflowError):
            on_error(ParseError(path, lineno, line.rstrip("\n")))
            continue
        yield GroupMembership(
            Family.INET, index, device, IPv4Address(packed), users, tuple(fields[2:])
        )


def parse_igmp6_lines(
    lines: Iterable[str], path: str = "", on_error: ErrorHandler = ignore_errors
) -> Iterator[GroupMembership]:
    """Parse /proc/net/igmp6 (no header): ``index device group users ...`` per line.

    >>> row = next(parse_igmp6_lines(
    ...     ["1    lo              ff020000000000000000000000000001     1 0000000C 0"]))
    >>> row.device, str(row.group), row.users
    ('lo', 'ff02::1', 1)
    """
    for lineno, line in enumerate(lines, 1):
        fields = line.split()
        try:
            index = int(fields[0])
            device = fields[1]
            if len(fields[2]) != 32:
                raise ValueError(fields[2])
            group = IPv6Address(bytes.fromhex(fields[2]))
            users = int(fields[3])
        except (ValueError, IndexError):
            on_error(ParseError(path, lineno, line.rstrip("\n")))
            continue
        yield GroupMembership(Family.INET6, index, device[:15], group, users, tuple(fields[4:]))
