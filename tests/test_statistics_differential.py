"""``-s`` against netstat in a namespace whose counters the test moved itself.

The traffic stays on loopback inside the namespace: a TCP exchange and a refused TCP connect
on 127.0.0.1 and ::1, UDP to a closed port on both (so Udp/Udp6 NoPorts and the ICMP and
ICMPv6 destination-unreachable counters move), and an ICMP and an ICMPv6 echo (both
histograms get input and output lines). Each wait is a socket timeout, never a sleep.

Every flag set of the task is compared byte for byte with the counters that moved between
netstat's two runs masked; separately, each masked counter of pnetstat must lie between
netstat's before and after values, so a masked field hides drift and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from netns import PYTHON, Comparison, NetNS, assert_same, compare, mask_numbers

pytestmark = pytest.mark.differential

TRAFFIC = r"""
import errno, socket, struct

def checksum(data):
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF

for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    with socket.socket(family) as listener:
        listener.bind((host, 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname()[:2], timeout=5)
        peer, _ = listener.accept()
        client.sendall(b"x" * 3000)
        got = b""
        for _ in range(100):
            got += peer.recv(4096)
            if len(got) >= 3000:
                break
        client.close()
        peer.close()
        closed_port = listener.getsockname()[1]
    # Nothing listens now: the connect is refused (a reset), the datagrams are unreachable.
    with socket.socket(family) as refused:
        refused.settimeout(5)
        assert refused.connect_ex((host, closed_port)) == errno.ECONNREFUSED
    for _ in range(3):
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.settimeout(5)
            udp.connect((host, closed_port))
            udp.send(b"ping")
            try:
                udp.recv(16)
                raise AssertionError("a closed port answered")
            except ConnectionRefusedError:
                pass  # the ICMP error came back: both ends of the exchange are counted

echo_v4 = (socket.AF_INET, socket.IPPROTO_ICMP, "127.0.0.1", 8, 0)
echo_v6 = (socket.AF_INET6, socket.IPPROTO_ICMPV6, "::1", 128, 129)
for family, proto, host, request, reply in (echo_v4, echo_v6):
    with socket.socket(family, socket.SOCK_RAW, proto) as raw:
        raw.settimeout(5)
        body = struct.pack("!BBHHH", request, 0, 0, 0x7E57, 1) + b"pnetstat"
        if family == socket.AF_INET:  # the kernel fills in the ICMPv6 checksum itself
            body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        raw.sendto(body, (host, 0))
        for _ in range(20):
            packet = raw.recv(2048)
            icmp = packet[20:] if family == socket.AF_INET else packet
            if icmp[0] == reply:
                break
        else:
            raise AssertionError("no echo reply")
print("done")
"""

FLAG_SETS = [
    ["-s"], ["-st"], ["-su"], ["-sw"], ["-sU"], ["-sS"], ["-s", "-4"], ["-s", "-6"],
    ["-s6t"], ["-s6u"], ["-s6w"], ["-s", "--inet"], ["-s", "--inet6"], ["-sx"],
    ["-s", "-4", "-6"], ["-s", "-A", "inet,inet6"], ["-sc"], ["-sn"], ["-se"],
]  # fmt: skip


@pytest.fixture(scope="module")
def stats_ns() -> Iterator[NetNS]:
    """A namespace whose TCP, UDP, ICMP and ICMPv6 counters are not all zero."""
    with NetNS() as ns:
        done = ns.run([PYTHON, "-c", TRAFFIC], timeout=60)
        assert done.returncode == 0 and done.stdout == b"done\n", done.stderr.decode()
        yield ns


@pytest.mark.parametrize("flags", FLAG_SETS, ids=[" ".join(f) for f in FLAG_SETS])
def test_statistics_match_netstat(stats_ns: NetNS, flags: list[str]) -> None:
    result = compare(stats_ns, flags, mask=mask_numbers)
    assert_same(result)
    assert_drift_explained(result)


def assert_drift_explained(result: Comparison) -> None:
    """Every masked counter of pnetstat lies between netstat's before and after values."""
    first = result.first.stdout.split(b"\n")
    ours = result.ours.stdout.split(b"\n")
    second = result.second.stdout.split(b"\n")
    for index, fields in result.masks.items():
        a, o, b = first[index].split(), ours[index].split(), second[index].split()
        for k in fields:
            low, mine, high = int(a[k]), int(o[k]), int(b[k])
            assert low <= mine <= high, (first[index], ours[index], second[index])


def test_the_traffic_moved_what_the_comparisons_exercise(stats_ns: NetNS) -> None:
    """Histogram lines, unknown sections and raw keys all occur, so the comparisons test them."""
    v4 = stats_ns.run(["netstat", "-s"]).stdout.decode()
    v6 = stats_ns.run(["netstat", "-s6"]).stdout.decode()
    for needle in ("    ICMP input histogram:\n        destination unreachable: ",
                   "        echo requests: ", "        echo replies: ", "IcmpMsg:\n        ",
                   " packets to unknown port received", "    Forwarding: "):  # fmt: skip
        assert needle in v4, needle
    for needle in ("ICMP output histogram:\n        destination unreachable: ",
                   "        echo replies: ", "Icmp6:\n", "Udp6:\n", "Tcp:\n"):  # fmt: skip
        assert needle in v6, needle
    assert " 0 packets to unknown port received" not in v6
