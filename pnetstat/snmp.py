"""Protocol counters: /proc/net/snmp, /proc/net/netstat, /proc/net/snmp6, /proc/net/sctp/snmp.

``read_*`` open a file (``Unsupported`` when the kernel has none) and return its sections;
``parse_*`` are pure. The first two files hold pairs of lines (``Ip: Forwarding DefaultTTL
...`` then ``Ip: 1 64 ...``); snmp6 and sctp/snmp hold one ``Key value`` per line, the
section being the key's prefix up to its first ``6`` (snmp6) or ``Sctp``.
"""

from collections.abc import Iterable

from .errors import ParseError
from .model import StatSection
from .procfs import ErrorHandler, ProcFS, ignore_errors

__all__ = ["parse_key_value_lines", "parse_paired_lines", "read_stat_file"]


def _number(text: str) -> int:
    return int(text)


def parse_paired_lines(
    lines: Iterable[str], source: str, on_error: ErrorHandler = ignore_errors
) -> list[StatSection]:
    """Sections of /proc/net/snmp or /proc/net/netstat.

    A line without a colon ends the file for netstat (reported once to ``on_error``).

    >>> [s.counters for s in parse_paired_lines(["Udp: InDatagrams NoPorts", "Udp: 5 2"], "snmp")]
    [(('InDatagrams', 5), ('NoPorts', 2))]
    """
    sections: list[StatSection] = []
    header: list[str] | None = None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        title, colon, rest = line.partition(":")
        if not colon:
            on_error(ParseError(source, lineno, line.rstrip("\n")))
            break
        if header is None:
            header = [title, *rest.split()]
            continue
        keys, header = header, None
        values = rest.split()
        counters = []
        for key, value in zip(keys[1:], values, strict=False):
            try:
                counters.append((key, _number(value)))
            except ValueError:
                on_error(ParseError(source, lineno, line.rstrip("\n")))
                break
        sections.append(StatSection(source, title, tuple(counters)))
    return sections


def parse_key_value_lines(lines: Iterable[str], source: str) -> list[StatSection]:
    """Sections of /proc/net/snmp6 (or /proc/net/sctp/snmp): ``Key value`` per line.

    >>> [(s.name, len(s.counters)) for s in parse_key_value_lines(
    ...     ["Ip6InReceives 3", "Ip6OutRequests 4", "Icmp6InMsgs 1", "Udp6InErrors 0"], "snmp6")]
    [('Ip6', 2), ('Icmp6', 1), ('Udp6', 1)]
    """
    sections: list[StatSection] = []
    name = ""
    counters: list[tuple[str, int]] = []
    for line in lines:
        fields = line.split()
        if len(fields) < 2:
            continue
        key, value = fields[0], fields[1]
        # A new section begins where a key does not contain the current section's name.
        if not name or name not in key:
            if name:
                sections.append(StatSection(source, name, tuple(counters)))
            six = key.find("6")
            name = key[: six + 1] if six >= 0 else key
            counters = []
        try:
            counters.append((key, _number(value)))
        except ValueError:
            continue
    if name:
        sections.append(StatSection(source, name, tuple(counters)))
    return sections


def read_stat_file(
    proc: ProcFS, relative: str, on_error: ErrorHandler = ignore_errors
) -> list[StatSection]:
    """Read one counter file (``net/snmp``, ``net/netstat``, ``net/snmp6``, ``net/sctp/snmp``)."""
    lines = proc.open_text(relative)
    if relative in ("net/snmp", "net/netstat"):
        return parse_paired_lines(lines, relative, on_error)
    if relative == "net/sctp/snmp":
        counters = tuple(c for s in parse_key_value_lines(lines, relative) for c in s.counters)
        return [StatSection(relative, "Sctp", counters)]
    return parse_key_value_lines(lines, relative)
