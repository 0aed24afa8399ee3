"""Reverse lookups have a deadline: a resolver that never answers cannot hold pnetstat up.

The namespace's resolv.conf points at 127.0.0.1, where a UDP socket of the test's own swallows
every query. netstat -t waits a full resolver timeout per unknown address; pnetstat prints
those addresses numerically once its deadline passes, and names from /etc/hosts as netstat does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from netns import NetNS, background_script, pnetstat_cmd

pytestmark = pytest.mark.differential

UNKNOWN = [f"127.0.0.{i}" for i in range(10, 22)]
BLACKHOLE = (
    "import socket, sys\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.bind(('127.0.0.1', 53))\n"
    "print('ready', flush=True)\n"
    "sys.stdin.read()\n"
)


@pytest.fixture
def silent_dns() -> Iterator[NetNS]:
    with NetNS(hosts=["127.0.0.5 five.example"]) as ns:
        ns.spawn_holder(
            {
                "sockets": [
                    {"id": f"u{i}", "kind": "tcp_established", "addr": addr}
                    for i, addr in enumerate([*UNKNOWN, "127.0.0.5"])
                ]
            }
        )
        with background_script(ns, BLACKHOLE):
            yield ns


def test_unanswered_lookups_end_at_the_deadline(silent_dns: NetNS) -> None:
    deadline = 1.5
    start = time.monotonic()
    ours = silent_dns.run(
        pnetstat_cmd(["-t", "--dns-timeout=0.5", f"--dns-deadline={deadline}"]), timeout=30
    )
    elapsed = time.monotonic() - start
    assert ours.returncode == 0, ours.stderr
    # Python start-up and `ip netns exec` come on top of the deadline.
    assert elapsed < deadline + 2.0, elapsed
    text = ours.stdout.decode()
    for address in UNKNOWN:
        assert f"{address}:" in text, address
    assert "five.example:" in text  # answered from /etc/hosts: named as netstat names it
    # The same invocation of netstat is still waiting well after pnetstat is done.
    theirs = silent_dns.run(["timeout", "4", "netstat", "-t"], timeout=30)
    assert theirs.returncode == 124


def test_default_deadline_bounds_a_plain_run(silent_dns: NetNS) -> None:
    start = time.monotonic()
    ours = silent_dns.run(pnetstat_cmd(["-t"]), timeout=30)
    assert ours.returncode == 0
    assert time.monotonic() - start < 5.0 + 2.0  # the documented default total deadline
