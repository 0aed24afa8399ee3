"""-s, -r, -i and -g against netstat in a namespace the test builds.

The namespace has veth pairs (one with a 15-character name, one down, one PROMISC+ALLMULTI,
one NOARP), IPv4 and IPv6 addresses including an alias label, gateway, host, unreachable,
blackhole and prohibit routes, an IPv6 gateway route, a route with mtu/window/rtt, IPv4 and
IPv6 multicast joins (one group joined twice), /etc/networks and /etc/hosts names, and some
loopback traffic so that counters are not all zero. Counters that move between the two netstat
runs are masked and, separately, checked to lie between them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest
from netns import Comparison, NetNS, assert_same, background_script, compare, mask_numbers

pytestmark = pytest.mark.differential

SETUP = [
    "ip link add vA type veth peer name vB",
    "ip link add averylongname15 type veth peer name vC",
    "ip link add vD type veth peer name vE",
    "ip link set vA up", "ip link set vB up", "ip link set averylongname15 up",
    "ip link set vC up",
    "ip link set vB mtu 9000", "ip link set vB txqueuelen 500",
    "ip link set vB promisc on", "ip link set vB allmulticast on",
    "ip link set averylongname15 arp off",
    "ip addr add 10.9.0.1/24 dev vA", "ip addr add 10.9.0.50/24 dev vA label vA:1",
    "ip addr add 10.9.0.2/24 dev vB", "ip addr add 10.9.1.1/24 dev averylongname15",
    "ip -6 addr add 2001:db8:9::1/64 dev vA nodad",
    "ip -6 addr add 2001:db8:9::2/64 dev vB nodad",
    "ip route add default via 10.9.0.2",
    "ip route add 192.168.7.0/24 via 10.9.0.2 mtu 1340 window 5000 rtt 1",
    "ip route add 192.168.8.8 via 10.9.0.2",
    "ip route add unreachable 192.168.5.0/24",
    "ip route add blackhole 192.168.6.0/24",
    "ip route add prohibit 192.168.4.0/24",
    "ip route add 172.16.0.0/12 dev vA metric 100",
    "ip -6 route add default via 2001:db8:9::99 dev vA",
]  # fmt: skip

HOSTS = ["10.9.0.2 gateway-host-with-a-long-name.example", "239.1.2.3 group-one.example",
         "2001:db8:9::99 v6gw.example", "ff15::1234 v6group.example"]  # fmt: skip
NETWORKS = "tennet 10.9.0.0\nprivnet 172.16.0.0\n"

JOINER = """
import socket, struct, sys
held = []
for group, dev_addr in (("239.1.2.3", "10.9.0.1"), ("239.1.2.3", "10.9.0.1"),
                        ("224.0.0.251", "10.9.0.1"), ("239.9.9.9", "10.9.1.1")):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(group) + socket.inet_aton(dev_addr))
    held.append(s)
index = socket.if_nametoindex("vA")
for group in ("ff15::1234", "ff02::1:3"):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                 socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", index))
    held.append(s)
# Some traffic: a TCP exchange and datagrams to a closed port, on loopback only.
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); a, _ = l.accept(); c.sendall(b"x" * 1000)
a.recv(2000); c.close(); a.close(); l.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    u.sendto(b"ping", ("127.0.0.1", 9))
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture(scope="module")
def views_ns() -> Iterator[NetNS]:
    with NetNS(hosts=HOSTS, files={"networks": NETWORKS}) as ns:
        for command in SETUP:
            done = ns.run(command.split())
            assert done.returncode == 0, (command, done.stderr)
        with background_script(ns, JOINER):
            yield ns


ROUTES = [["-r"], ["-rn"], ["-re"], ["-ree"], ["-reee"], ["-r", "-6"], ["-rn", "-6"],
          ["-r", "-A", "inet6"], ["-rC"], ["-rF"], ["-rn", "-C", "-6"], ["-rN"],
          ["--numeric-hosts", "-r"], ["-r", "-A", "inet,inet6"], ["-rnee", "-6"]]  # fmt: skip
GROUPS = [["-g"], ["-gn"], ["-g", "-4"], ["-g", "-6"], ["-gn", "-6"], ["--groups", "-n"]]
INTERFACES = [["-i"], ["-ia"], ["-ie"], ["-iae"], ["-in"], ["-iee"], ["-i", "-4"]]
STATISTICS = [["-s"], ["-st"], ["-su"], ["-sw"], ["-sU"], ["-s", "-6"], ["-s6t"], ["-s6w"],
              ["-s", "-4", "-6"], ["-sx"]]  # fmt: skip


def _ids(sets: list[list[str]]) -> list[str]:
    return [" ".join(s) for s in sets]


@pytest.mark.parametrize("flags", ROUTES, ids=_ids(ROUTES))
def test_routes(views_ns: NetNS, flags: list[str]) -> None:
    assert_same(compare(views_ns, flags))


@pytest.mark.parametrize("flags", GROUPS, ids=_ids(GROUPS))
def test_groups(views_ns: NetNS, flags: list[str]) -> None:
    assert_same(compare(views_ns, flags))


@pytest.mark.parametrize("flags", INTERFACES, ids=_ids(INTERFACES))
def test_interfaces(views_ns: NetNS, flags: list[str]) -> None:
    result = compare(views_ns, flags, mask=mask_numbers)
    assert_same(result)
    _assert_drift_explained(result)


@pytest.mark.parametrize("flags", STATISTICS, ids=_ids(STATISTICS))
def test_statistics(views_ns: NetNS, flags: list[str]) -> None:
    result = compare(views_ns, flags, mask=mask_numbers)
    assert_same(result)
    _assert_drift_explained(result)


def _assert_drift_explained(result: Comparison) -> None:
    """Every masked counter of pnetstat lies between netstat's before and after values."""
    first = result.first.stdout.split(b"\n")
    ours = result.ours.stdout.split(b"\n")
    second = result.second.stdout.split(b"\n")
    for index, fields in result.masks.items():
        a, o, b = first[index].split(), ours[index].split(), second[index].split()
        for k in fields:
            low, mine, high = int(a[k]), int(o[k]), int(b[k])
            assert low <= mine <= high, (first[index], ours[index], second[index])


def test_setup_is_what_the_comparisons_claim(views_ns: NetNS) -> None:
    routes = views_ns.run(["netstat", "-rn"]).stdout.decode()
    assert re.search(r"192\.168\.5\.0 .* !", routes) and "UGH" in routes
    groups = views_ns.run(["netstat", "-gn"]).stdout.decode()
    assert re.search(r"vA\s+2\s+239\.1\.2\.3", groups) and "ff15::1234" in groups
    ifaces = views_ns.run(["netstat", "-ia"]).stdout.decode()
    assert "averylongname15" in ifaces and "vA:1" in ifaces and "vD" in ifaces


def test_interfaces_continuous_prints_the_title_once(views_ns: NetNS) -> None:
    outputs = []
    for argv in (["netstat", "-ic"], [sys.executable, "-m", "pnetstat", "-ic"]):
        done = views_ns.run(["timeout", "-s", "INT", "2.5", *argv], timeout=30)
        text = done.stdout.decode()
        assert text.count("Kernel Interface table") == 1
        assert text.count("Iface             MTU") >= 2
        # Counters move while it runs (a number can gain a digit): mask them with their padding.
        outputs.append(re.sub(r" *\d+", "#", text.split("Iface")[1]))
    assert outputs[0] == outputs[1]
