"""Parsers of the other views on real captures (tests/fixtures/proc) and hand-made shapes."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest

from pnetstat.errors import ParseError, Unsupported
from pnetstat.sources.igmp import parse_igmp6_lines, parse_igmp_lines, read_igmp
from pnetstat.sources.netdev import (
    Inet6Reader,
    compare_names,
    netstat_order,
    parse_dev_lines,
)
from pnetstat.sources.procfs import ProcFS
from pnetstat.sources.routing import parse_ipv6_route_lines, read_ipv6_routes, read_routes
from pnetstat.sources.snmp import parse_key_value_lines, read_stat_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "proc"


def test_routes_capture_and_handmade_shapes() -> None:
    handmade = list(read_routes(ProcFS(FIXTURES / "routes")))
    assert all(isinstance(r.destination, IPv4Address) for r in handmade)
    reject = [r for r in handmade if r.flags & 0x200]
    assert len(reject) == 2 and any(r.iface == "*" for r in reject)
    assert any(r.metric == -1 for r in handmade)  # 4294967295 in the file reads as -1
    assert any(r.iface == "averylongname15" and r.mtu == 9000 for r in handmade)
    v6 = list(read_ipv6_routes(ProcFS(FIXTURES / "routes")))
    assert [r.prefix_len for r in v6][:3] == [64, 64, 0]
    assert v6[-1].metric == -1 and v6[-1].destination == IPv6Address("::")


def test_ipv6_route_lines_are_never_rejected() -> None:
    # netstat scans every line into the previous row's values: a blank line repeats the row,
    # a short one changes only what it has.
    full = "fe800000000000000000000000000000 40 " + "0" * 32 + " 00 " + "0" * 32 + (
        " 00000100 00000001 00000000 00000001 eth0")  # fmt: skip
    rows = list(parse_ipv6_route_lines([full, "", "ff000000000000000000000000000000 08"]))
    assert rows[0] == rows[1] and rows[0].iface == rows[2].iface == "eth0"
    assert (str(rows[2].destination), rows[2].prefix_len, rows[2].metric) == ("ff00::", 8, 256)


def test_missing_route_file_is_unsupported(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    with pytest.raises(Unsupported):
        read_routes(ProcFS(tmp_path))


def test_dev_counters_aliases_and_natural_order() -> None:
    lines = (FIXTURES / "live-ns" / "net" / "dev").read_text().splitlines()
    rows = dict(parse_dev_lines(lines))
    assert "lo" in rows and rows["lo"].rx_packets >= 0
    odd = [
        "h",
        "h |bytes compressed",
        "eth0:1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
        "bad line",
        "x: 1 2",
    ]
    parsed = dict(parse_dev_lines(odd))
    assert parsed["eth0:1"].tx_compressed == 16 and parsed["x"].rx_packets == 2
    names = ["veth2", "lo", "veth0:1", "eth10", "eth1", "veth0", "averylongname15"]
    assert netstat_order(names) == [
        "averylongname15", "eth1", "eth10", "lo", "veth0", "veth0:1", "veth2"]  # fmt: skip


def test_interface_order_found_against_netstat() -> None:
    # Each pair as net-tools 2.10 ordered it in a live namespace (tests/test_interface_order.py
    # checks the rule on generated sets).
    before = [("v1", "v0:zoo"), ("v0:10", "v1"), ("v0:2", "v0:10"), ("v0:02", "v0:2"),
              ("eth001", "eth01"), ("eth01", "eth1"), ("v0:", "v0:1x"), ("a4294967297", "a2"),
              ("a2", "a12345678901234"), ("a12345678901234", "ab"), ("v0", "v0:0")]  # fmt: skip
    for a, b in before:
        assert compare_names(a, b) < 0 < compare_names(b, a), (a, b)
    assert compare_names("eth1", "eth1") == 0
    # Read order /proc/net/dev then SIOCGIFCONF; a label listed again is not repeated.
    assert netstat_order(["lo", "v1", "v0", "lo", "v0:zoo", "v1"]) == ["lo", "v0", "v1", "v0:zoo"]


def test_if_inet6_lines() -> None:
    (row,) = Inet6Reader(b"fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n").addresses(
        "eth0"
    )
    assert (row.prefix_len, row.scope, row.device) == (64, 0x20, "eth0")
    assert row.address == IPv6Address("fe80::fc:ff:fe00:1")


def test_igmp_device_names_bogus_lines_and_refcounts() -> None:
    errors: list[ParseError] = []
    rows = list(read_igmp(ProcFS(FIXTURES / "groups"), errors.append))
    assert [e.lineno - 1 for e in errors] == [6, 10]  # netstat numbers them from 0
    assert ("averylongname15", "224.12.11.10", 4) in [
        (r.device, str(r.group), r.users) for r in rows]  # fmt: skip
    v6_errors: list[ParseError] = []
    lines = (FIXTURES / "groups" / "net" / "igmp6").read_text().splitlines()
    v6 = list(parse_igmp6_lines(lines, "igmp6", v6_errors.append))
    assert len(v6) == 5 and len(v6_errors) == 1
    assert list(parse_igmp_lines(["header"])) == []


def test_snmp_sections_in_kernel_order() -> None:
    sections = read_stat_file(ProcFS(FIXTURES / "stats"), "net/snmp")
    assert [s.name for s in sections][:3] == ["Ip", "Icmp", "Tcp"]
    v6 = read_stat_file(ProcFS(FIXTURES / "stats"), "net/snmp6")
    assert [s.name for s in v6][:3] == ["Ip6", "Icmp6", "Udp6"]
    odd = read_stat_file(ProcFS(FIXTURES / "stats-odd"), "net/snmp")
    assert ("gamma", 18446744073709551615) in dict((s.name, s) for s in odd)["Foo"].counters
    # netstat starts from an empty key and 0: a blank first line opens a section named "".
    assert [(s.name, s.counters) for s in parse_key_value_lines(["\n", "lonely"], "x")] == [
        ("", (("", 0), ("lonely", 0)))
    ]
