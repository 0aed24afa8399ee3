"""Random combinations of netstat's options, same bytes as netstat (a fixed, seeded budget).

Each case draws 1-4 options from the pool and compares pnetstat with netstat in the populated
namespace: identical stdout, stderr and status, with counters (-s, -i) and queues/timers
masked only where two netstat runs show they moved. Usage errors (status 3) compare status
and message only: the usage text is our own (README).
"""

from __future__ import annotations

import random

import pytest
from netns import NetNS, assert_same, compare, mask_numbers, mask_queues_and_timers

pytestmark = pytest.mark.differential

POOL = ["-a", "-l", "-n", "-e", "-ee", "-p", "-o", "-W", "-t", "-u", "-U", "-w", "-x", "-4",
        "-6", "-A inet", "-A inet6", "-A unix", "-v", "-g", "-s", "-r", "-i", "-N", "-F", "-C",
        "--numeric-hosts", "--numeric-ports", "--numeric-users", "-S", "--tcp", "--udp",
        "-A inet,inet6", "--inet6", "-M", "-d", "--raw", "--listening"]  # fmt: skip


def _cases(seed: int, count: int) -> list[list[str]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        flags: list[str] = []
        for option in rng.sample(POOL, rng.randint(1, 4)):
            flags += option.split()
        cases.append(flags)
    return cases


CASES = _cases(20261128, 40)


@pytest.mark.parametrize("flags", CASES, ids=[" ".join(c) for c in CASES])
def test_random_combination_matches_netstat(populated_ns: NetNS, flags: list[str]) -> None:
    counters = any(f in flags for f in ("-s", "-i")) and not any(f in flags for f in ("-r", "-M"))
    mask = mask_numbers if counters else mask_queues_and_timers
    result = compare(populated_ns, flags, mask=mask)
    if result.first.returncode == 3:
        assert result.ours.returncode == 3
        theirs = result.first.stderr.split(b"\n", 1)[0]
        ours = result.ours.stderr.split(b"\n", 1)[0]
        assert ours.replace(b"pnetstat:", b"netstat:", 1) == theirs or ours.startswith(b"usage:")
        return
    assert_same(result)
