"""pnetstat.tcp_info() against ``ss -tni`` on loopback transfers of known sizes, in a
namespace of the test's own: the counters of each connection's two ends are ss's."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from netns import NetNS, background_script

import pnetstat

pytestmark = pytest.mark.differential

SIZES = [1, 1000, 65536, 300_000]
TRANSFERS = """
import socket, sys
sizes = [int(word) for word in sys.argv[1:]]
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen()
held = [listener]
for size in sizes:
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    client.sendall(b"x" * size)
    got = 0
    while got < size:
        got += len(server.recv(1 << 20))
    held += [client, server]
print("ready", flush=True)
print(" ".join(str(s.getsockname()[1]) for s in held[1::2]), flush=True)
sys.stdin.read()
"""
# ss -tni's names for the fields compared, and ours.
FIELDS = {"bytes_sent": "bytes_sent", "bytes_acked": "bytes_acked",
          "bytes_received": "bytes_received", "segs_out": "segs_out", "segs_in": "segs_in",
          "cwnd": "snd_cwnd", "rcv_space": "rcv_space"}  # fmt: skip


@pytest.fixture
def transfers(netns: NetNS) -> Iterator[tuple[NetNS, list[int]]]:
    with background_script(netns, TRANSFERS, *map(str, SIZES)) as proc:
        assert proc.stdout is not None
        yield netns, [int(port) for port in proc.stdout.readline().split()]


def _ss(ns: NetNS) -> dict[tuple[int, int], dict[str, int]]:
    text = ns.run(["ss", "-tniH", "state", "established"]).stdout.decode()
    found: dict[tuple[int, int], dict[str, int]] = {}
    lines = text.splitlines()
    for head, detail in zip(lines[::2], lines[1::2], strict=True):
        local, remote = head.split()[-2:]
        key = (int(local.rsplit(":", 1)[1]), int(remote.rsplit(":", 1)[1]))
        found[key] = {k: int(v) for k, v in re.findall(r"\b([a-z_]+):(\d+)\b", detail)}
    return found


def test_counters_are_what_ss_reads(transfers: tuple[NetNS, list[int]]) -> None:
    ns, client_ports = transfers

    def read() -> tuple[list[pnetstat.TcpInfo], dict[tuple[int, int], dict[str, int]]]:
        rows = pnetstat.tcp_info(netns=ns.name)
        return rows, {(r.local_port, r.remote_port): r.info for r in rows if r.state == 1}

    # A delayed ACK may still move a counter: ss is read between two equal reads of ours.
    for _ in range(20):
        rows, ours = read()
        theirs = _ss(ns)
        if read()[1] == ours:
            break
    assert set(ours) == set(theirs) and len(ours) == 2 * len(SIZES)
    for key, counters in theirs.items():
        for ss_name, our_name in FIELDS.items():
            assert ours[key].get(our_name, 0) == counters.get(ss_name, 0), (key, ss_name)
    by_client = {r.local_port: r.info for r in rows if r.local_port in client_ports}
    for port, size in zip(client_ports, SIZES, strict=True):
        assert by_client[port]["bytes_sent"] == size
        assert by_client[port]["bytes_acked"] == size + 1  # the SYN counts, as in ss
    assert all(r.info["rtt"] > 0 for r in rows if r.state == 1)


def test_a_listener_and_the_other_family_are_there(netns: NetNS) -> None:
    script = (
        "import socket, sys\n"
        "a = socket.socket(socket.AF_INET6); a.bind(('::1', 0)); a.listen()\n"
        "print('ready', flush=True); sys.stdin.read()\n"
    )
    with background_script(netns, script):
        rows = pnetstat.tcp_info(netns=netns.name)
    assert [(r.family, str(r.local_address), r.state) for r in rows] == [
        (pnetstat.Family.INET6, "::1", 10)
    ]
