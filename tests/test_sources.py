"""netlink and /proc agree; a failing netlink falls back to /proc with the same output."""

from __future__ import annotations

import json
import sys

import pytest
from netns import NetNS, assert_same, compare, netstat_cmd

pytestmark = pytest.mark.differential

AGREE = """
import json, sys
from pnetstat.model import Family, Protocol
from pnetstat.sources.proc_inet import read_inet_sockets
from pnetstat.sources.procfs import ProcFS
from pnetstat.sources.sockdiag import read_inet_sockets_diag, read_tcp_sockets_diag_both
def table(rows):
    return [[s.inode, str(s.local_address), s.local_port, str(s.remote_address),
             s.remote_port, s.state, s.rx_queue, s.tx_queue, s.uid] for s in rows]
both = dict(zip((Family.INET, Family.INET6), read_tcp_sockets_diag_both()))
out = {}
for protocol in (Protocol.TCP, Protocol.UDP, Protocol.UDPLITE):
    for family in (Family.INET, Family.INET6):
        diag = table(read_inet_sockets_diag(protocol, family))
        proc = table(read_inet_sockets(ProcFS(), protocol, family))
        key = f"{protocol.value}{family.value}"
        out[key] = {"diag": diag, "proc": proc}
        if protocol is Protocol.TCP:  # one dump of both families, as -t reads them
            out["both-" + key] = {"diag": table(both[family]), "proc": proc}
print(json.dumps(out))
"""

BROKEN_NETLINK = """
import errno, sys
from pnetstat.errors import NetlinkError
from pnetstat.sources.sockdiag import inet, unix
def refused(*args, **kwargs):
    raise NetlinkError("sock_diag: EPERM (forced by the test)", errno.EPERM)
inet._dump = unix._dump = refused  # every request: netlink forbidden
from pnetstat.cli import run
run()
"""

# Only the old-style request that dumps TCP of both families at once is refused: each family
# is then dumped on its own.
BROKEN_TCPDIAG = BROKEN_NETLINK.replace(
    "inet._dump = unix._dump = refused", "inet.dump_tcp = refused"
)


def test_netlink_and_proc_agree_on_the_sockets_the_test_opened(populated_ns: NetNS) -> None:
    done = populated_ns.run([sys.executable, "-c", AGREE])
    assert done.returncode == 0, done.stderr.decode()
    tables = json.loads(done.stdout)
    opened = {s["inode"] for s in populated_ns.holders[0].sockets if s["inode"]}
    seen: set[int] = set()
    for name, rows in tables.items():
        assert {r[0] for r in rows["diag"]} == {r[0] for r in rows["proc"]}, name
        # Same rows in the same order, with the same values (queues of live sockets aside).
        assert [r[:6] + r[8:] for r in rows["diag"]] == [r[:6] + r[8:] for r in rows["proc"]]
        seen |= {r[0] for r in rows["diag"]}
    inet_opened = {s["inode"] for s in populated_ns.holders[0].sockets
                   if s["inode"] and s["proto"].startswith(("tcp", "udp"))}  # fmt: skip
    assert inet_opened and inet_opened <= seen and opened
    assert tables["both-tcp2"]["diag"] and tables["both-tcp10"]["diag"]  # both families seen


@pytest.mark.parametrize(
    ("flags", "script"),
    [(["-tan"], BROKEN_NETLINK), (["-anp"], BROKEN_NETLINK), (["-uane"], BROKEN_NETLINK),
     (["-ta"], BROKEN_NETLINK), (["-tanoe"], BROKEN_NETLINK), (["-tanoe"], BROKEN_TCPDIAG)],
)  # fmt: skip
def test_refused_netlink_falls_back_to_proc(
    populated_ns: NetNS, flags: list[str], script: str
) -> None:
    def broken(args: list[str] | tuple[str, ...]) -> list[str]:
        return [sys.executable, "-c", script, *args]

    result = compare(populated_ns, flags, candidate=broken, reference=netstat_cmd)
    assert_same(result)


def test_insisting_on_refused_netlink_is_an_error(populated_ns: NetNS) -> None:
    done = populated_ns.run([sys.executable, "-c", BROKEN_NETLINK, "-tan", "--source=netlink"])
    assert done.returncode == 1
    assert b"netlink sock_diag refused" in done.stderr and b"Traceback" not in done.stderr
