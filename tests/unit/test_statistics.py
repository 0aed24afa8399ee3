"""The -s sentence tables and netstat's binary search over them."""

from __future__ import annotations

from pnetstat.model import StatSection
from pnetstat.views.stat_tables import NOT_FOUND, TABLES
from pnetstat.views.statistics import find_entry, render_statistics


def test_search_misses_exactly_the_keys_netstat_misses() -> None:
    """netstat-behavior.md Appendix A lists which keys its search cannot find."""
    for name, table in TABLES.items():
        # The kernel's key never has the trailing space one table entry has.
        missed = {key for key, _, _ in table if find_entry(table, key.rstrip()) is None}
        assert missed == NOT_FOUND[name], name


def test_histogram_title_uses_the_previous_indent_and_unknown_sections_keep_it() -> None:
    sections = [
        StatSection("snmp", "Icmp", (("InDestUnreachs", 2), ("OutDestUnreachs", 0))),
        StatSection("snmp", "IcmpMsg", (("InType3", 2),)),
        StatSection("snmp", "Udp", (("InDatagrams", 0),)),
    ]
    enabled = {"Icmp": True, "Udp": True}
    lines = list(render_statistics(sections, enabled, {"Icmp": "Icmp", "Udp": "Udp"}))
    assert lines == [
        "Icmp:\n",
        "    ICMP input histogram:\n",
        "        destination unreachable: 2\n",
        "        ICMP output histogram:\n",
        "IcmpMsg:\n",
        "        InType3: 2\n",
        "Udp:\n",
        "    0 packets received\n",
    ]


def test_disabled_section_is_silent_but_resets_the_indent() -> None:
    sections = [
        StatSection("snmp", "Icmp", (("InDestUnreachs", 2),)),
        StatSection("snmp", "Tcp", (("ActiveOpens", 1),)),
        StatSection("snmp", "IpExt", (("InOctets", 5),)),
    ]
    lines = list(render_statistics(sections, {"Icmp": True}, {"Icmp": "Icmp", "Tcp": "Tcp"}))
    assert lines[-2:] == ["IpExt:\n", "    InOctets: 5\n"]
