"""-i against netstat on generated interface sets: the order of the interface table.

netstat places each interface, in the order it reads them (/proc/net/dev, then the labels
SIOCGIFCONF reports), after the last one listed that sorts before it. Which names sort before
which is easy to get subtly wrong (``v0:zoo`` after ``v1``, ``eth001 < eth01 < eth1``, a
15-digit suffix wrapping as a C int), so each case builds a random interface set in a fresh
namespace: veth pairs, bridges and ifb devices (dummy-like, no peer), names with and without
digits and leading zeros, a 15-character name, several alias labels (numeric and not) on
several interfaces, devices up and down, created in random order (the ifindex order that
/proc/net/dev follows). Every ``-i`` flag set is then compared with netstat byte for byte.

The budget is ``PNETSTAT_IFACE_CASES`` cases (default 24) from ``PNETSTAT_IFACE_SEED``.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
from collections.abc import Iterator

import pytest
from netns import (
    NetNS,
    assert_same,
    compare,
    mask_numbers,
    netstat_cmd,
    pinned_env,
    pnetstat_cmd,
)

pytestmark = pytest.mark.differential

SEED = int(os.environ.get("PNETSTAT_IFACE_SEED", "20261205"))
CASES = int(os.environ.get("PNETSTAT_IFACE_CASES", "24"))

FLAG_SETS = [["-i"], ["-ia"], ["-in"], ["-ie"], ["-iea"], ["-ieW"], ["-iv"],
             ["--interfaces"], ["--interfaces", "--all"]]  # fmt: skip

STEMS = ["v", "veth", "eth", "br", "b", "x", "wan", "tap", "ens", "lo"]
ALIASES = ["1", "2", "02", "10", "0", "zoo", "a", "1x", "", "9"]


def _name(rng: random.Random, taken: set[str]) -> str:
    """A fresh interface name: a stem, digits (maybe with leading zeros), maybe a tail."""
    while True:
        roll = rng.random()
        if roll < 0.08:
            name = rng.choice(["averylongname15", "v12345678901234", "a4294967297bb", "eth0x"])
        else:
            name = rng.choice(STEMS)
            if rng.random() < 0.75:
                name += rng.choice(["0", "00", "01", ""]) + str(rng.randrange(0, 13))
            if rng.random() < 0.15:
                name += rng.choice(["a", "b0", "-x"])
        if name not in taken and name != "lo" and len(name) <= 15:
            taken.add(name)
            return name


def generate(seed: int) -> list[str]:
    """``ip`` commands (run inside the case's namespace) building one interface set."""
    rng = random.Random(seed)
    taken: set[str] = set()
    creates: list[list[str]] = []
    devices: list[str] = []
    for _ in range(rng.randint(1, 3)):
        a, b = _name(rng, taken), _name(rng, taken)
        creates.append(["ip link add name", a, "type veth peer name", b])
        devices += [a, b]
    for _ in range(rng.randint(0, 3)):
        name = _name(rng, taken)
        creates.append(["ip link add name", name, "type", rng.choice(["bridge", "ifb"])])
        devices.append(name)
    rng.shuffle(creates)
    commands = [" ".join(c) for c in creates]
    for device in devices:
        if rng.random() < 0.6:
            commands.append(f"ip link set dev {device} up")
    labelled = [*devices, "lo"]
    for index in range(rng.randint(1, 7)):
        device = rng.choice(labelled)
        label = f"{device}:{rng.choice(ALIASES)}" if rng.random() < 0.8 else None
        if label is not None and len(label) > 15:
            label = None
        address = f"10.{(seed + index) % 200 + 1}.{index}.1/24"
        command = f"ip addr add {address} dev {device}"
        commands.append(command + (f" label {label}" if label else ""))
    return commands


@pytest.fixture(params=range(CASES), ids=lambda k: f"case{k}-seed{SEED + k}")
def case_ns(request: pytest.FixtureRequest, namespace_support: None) -> Iterator[NetNS]:
    seed = SEED + request.param
    with NetNS() as ns:
        # No IPv6 on the generated devices: their router solicitations would move counters.
        ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"])
        for command in generate(seed):
            done = ns.run(command.split())
            assert done.returncode == 0, (seed, command, done.stderr)
        yield ns


def test_interface_table_order(case_ns: NetNS) -> None:
    names = case_ns.run(["netstat", "-ia"]).stdout.decode().split("\n")[2:]
    assert len([n for n in names if n]) >= 3  # lo and at least a veth pair
    for flags in FLAG_SETS:
        result = compare(case_ns, flags, mask=mask_numbers)
        assert_same(result)


def _first_pass(argv: list[str], ns: NetNS) -> list[tuple[str, str]]:
    """The (name, flags) columns of the first table a continuous ``-ic`` prints."""
    rows: list[tuple[str, str]] = []
    with subprocess.Popen(
        ["ip", "netns", "exec", ns.name, *argv],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=pinned_env(),
    ) as proc:
        watchdog = threading.Timer(30, proc.kill)  # a silent program cannot hang the test
        watchdog.start()
        try:
            assert proc.stdout is not None
            headers = 0
            for raw in proc.stdout:
                fields = raw.decode().split()
                if raw.startswith(b"Iface"):
                    headers += 1
                    if headers == 2:
                        break
                elif headers == 1 and fields:
                    rows.append((fields[0], fields[-1]))
        finally:
            watchdog.cancel()
            proc.kill()
    return rows


def test_interface_table_order_continuous(case_ns: NetNS) -> None:
    """``-ic``: the first pass lists the same interfaces, in the same order, as netstat."""
    theirs = _first_pass(netstat_cmd(["-ic"]), case_ns)
    ours = _first_pass(pnetstat_cmd(["-ic"]), case_ns)
    assert ours == theirs and theirs
