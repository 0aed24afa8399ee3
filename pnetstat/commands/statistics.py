"""``netstat -s``: which counter files, which sections, which messages.

IPv4 mode reads /proc/net/snmp, then /proc/net/netstat and /proc/net/sctp/snmp if present;
IPv6 mode reads /proc/net/snmp6 and then the ``Tcp``-prefixed sections of /proc/net/snmp. The
protocol switches (-t -u -w -S -U) pick the known sections; unknown ones always print. The exit
status is 0 unless the family list is not exactly one of inet or inet6.

Messages, as netstat 2.10 prints them (all on stderr, none changes the status): a first file
that cannot be opened is ``cannot open PATH: ERROR`` and ends the run (in IPv6 mode the second
file too); a later file that cannot be opened is skipped silently (IPv4 mode); a file that
opens but cannot be read (a directory, EIO) is ``PATH: ERROR`` after what was read, and the
run goes on; a malformed pair of lines is ``Problem while parsing PATH`` (IPv4 mode only).
"""

import errno

from ..errors import ParseError, ProcReadError
from ..model_tables import StatSection
from ..options import Options
from ..sources.procfs import ProcFS
from ..sources.snmp import parse_stat_lines
from ..views.statistics import render_statistics
from . import Command, Context

__all__ = ["show_statistics"]

# The sections netstat knows depend on the file: snmp6's ``Tcp6`` slot uses the Tcp sentences,
# a ``TcpExt`` section in /proc/net/snmp is known even in IPv6 mode, a ``Tcp`` one in snmp6 is not.
_KNOWN = {
    "Ip": "Ip",
    "Icmp": "Icmp",
    "Tcp": "Tcp",
    "Udp": "Udp",
    "Sctp": "Sctp",
    "TcpExt": "TcpExt",
}
_KNOWN6 = {"Ip6": "Ip6", "Icmp6": "Icmp6", "Udp6": "Udp6", "Tcp6": "Tcp"}

_IPV4_FILES = ("net/snmp", "net/netstat", "net/sctp/snmp")
_IPV6_FILES = ("net/snmp6", "net/snmp")


def _table(section: StatSection) -> str | None:
    return (_KNOWN6 if section.source == "net/snmp6" else _KNOWN).get(section.name)


def _switches(options: Options) -> dict[str, bool]:
    return {
        "Ip": options.raw, "Icmp": options.raw, "Ip6": options.raw, "Icmp6": options.raw,
        "Tcp": options.tcp, "TcpExt": options.tcp, "Tcp6": options.tcp,
        "Udp": options.udp, "Udp6": options.udp, "Sctp": options.sctp,
    }  # fmt: skip


def _read_lines(proc: ProcFS, relative: str) -> tuple[list[str], ProcReadError | None]:
    """The lines of ``relative`` and the error that cut reading short, if any.

    Raises ``ProcReadError`` when the file cannot be opened. A directory counts as opened:
    fopen() opens one and only the read fails, where Python's open() refuses at once.
    """
    try:
        handle = proc.open_text(relative)
    except ProcReadError as exc:
        if exc.errno == errno.EISDIR:
            return [], exc
        raise
    lines: list[str] = []
    try:
        lines.extend(handle)
    except ProcReadError as exc:
        return lines, exc
    return lines, None


def show_statistics(options: Options, context: Context, first: bool = True) -> Command:
    """One run of ``-s`` (``-c`` does not repeat it)."""
    families = list(options.families) or ["inet"]
    if families not in (["inet"], ["inet6"]):
        listed = ",".join(families)
        # netstat writes this one to stdout.
        yield 1, f"netstat: No statistics support for specified address family: {listed}\n"
        return 1
    ipv6 = families == ["inet6"]
    sections: list[StatSection] = []
    for position, relative in enumerate(_IPV6_FILES if ipv6 else _IPV4_FILES):
        path = context.proc.path(relative)
        try:
            lines, failure = _read_lines(context.proc, relative)
        except ProcReadError as exc:
            if position == 0:
                yield 2, f"cannot open {path}: {exc.strerror}\n"
                return 0
            if ipv6:
                yield 2, f"cannot open {path}: {exc.strerror}\n"
                break
            continue
        problems: list[ParseError] = []
        found = parse_stat_lines(lines, relative, problems.append)
        if ipv6 and relative == "net/snmp":
            # netstat filters with strncmp(title, "Tcp", 3) and ignores the parse result here.
            found = [s for s in found if s.name.startswith("Tcp")]
        elif problems:
            yield 2, f"Problem while parsing {path}\n"
        if failure is not None:
            yield 2, f"{path}: {failure.strerror}\n"
        sections.extend(found)
    if options.json or options.json_lines:
        from ..views.json import dumps, statistics_document

        yield 1, dumps(statistics_document("inet6" if ipv6 else "inet", sections)) + "\n"
        return 0
    for line in render_statistics(sections, _switches(options), _table):
        yield 1, line
    return 0
