"""``netstat -s``: which counter files, which sections, which messages.

IPv4 mode reads /proc/net/snmp, then /proc/net/netstat and /proc/net/sctp/snmp if present;
IPv6 mode reads /proc/net/snmp6 and then the Tcp section of /proc/net/snmp. The protocol
switches (-t -u -w -S -U) pick the known sections; unknown ones always print. The exit
status is 0 unless the family list is not exactly one of inet or inet6.
"""

from ..errors import ParseError, ProcReadError
from ..model import StatSection
from ..options import Options
from ..snmp import read_stat_file
from ..views.statistics import render_statistics
from . import Command, Context

__all__ = ["show_statistics"]

_TABLES4 = {"Ip": "Ip", "Icmp": "Icmp", "Tcp": "Tcp", "Udp": "Udp", "TcpExt": "TcpExt",
            "Sctp": "Sctp"}  # fmt: skip
_TABLES6 = {"Ip6": "Ip6", "Icmp6": "Icmp6", "Udp6": "Udp6", "Tcp6": "Tcp", "Tcp": "Tcp"}


def _switches(options: Options) -> dict[str, bool]:
    return {
        "Ip": options.raw, "Icmp": options.raw, "Ip6": options.raw, "Icmp6": options.raw,
        "Tcp": options.tcp, "TcpExt": options.tcp, "Tcp6": options.tcp,
        "Udp": options.udp, "Udp6": options.udp, "Sctp": options.sctp,
    }  # fmt: skip


def show_statistics(options: Options, context: Context, first: bool = True) -> Command:
    """One run of ``-s`` (``-c`` does not repeat it)."""
    families = list(options.families) or ["inet"]
    if families not in (["inet"], ["inet6"]):
        listed = ",".join(families)
        # netstat writes this one to stdout.
        yield 1, f"netstat: No statistics support for specified address family: {listed}\n"
        return 1
    problems: list[ParseError] = []
    sections: list[StatSection] = []
    if families == ["inet"]:
        files, tables = ["net/snmp", "net/netstat", "net/sctp/snmp"], _TABLES4
    else:
        files, tables = ["net/snmp6", "net/snmp"], _TABLES6
    for position, relative in enumerate(files):
        try:
            found = read_stat_file(context.proc, relative, problems.append)
        except ProcReadError as exc:
            if position == 0:
                yield 2, f"cannot open {context.proc.path(relative)}: {exc.strerror}\n"
                return 0
            continue
        if families == ["inet6"] and relative == "net/snmp":
            found = [s for s in found if s.name.startswith("Tcp")]
        sections.extend(found)
        if problems:
            yield 2, f"Problem while parsing {context.proc.path(relative)}\n"
            problems.clear()
    if options.json or options.json_lines:
        from ..views.json import dumps, statistics_document

        family = "inet6" if families == ["inet6"] else "inet"
        yield 1, dumps(statistics_document(family, sections)) + "\n"
        return 0
    for line in render_statistics(sections, _switches(options), tables):
        yield 1, line
    return 0
