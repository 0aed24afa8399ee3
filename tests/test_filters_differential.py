"""Filters against the real ``ss``: seeded random filter expressions over the grammar (state
sets, ports with every operator, addresses and prefixes in both families, and/or/not,
parentheses, juxtaposition) on the populated test namespace. For each, the set of sockets
``pnetstat -tuna FILTER`` lists (protocol, local and foreign address and port) must equal the
set ``ss -tuna FILTER`` lists, on both sources.

pnetstat runs in-process, its main thread moved into the namespace (``entered``); ss runs
inside it through ``ip netns exec``. ``PNETSTAT_FILTER_CASES`` (default 220) and
``PNETSTAT_FILTER_SEED`` set the budget.
"""

from __future__ import annotations

import io
import json
import os
import random
from collections.abc import Iterator
from ipaddress import ip_address

import pytest
from netns import NetNS

from pnetstat.cli import main
from pnetstat.sources.netns import entered, find_namespace
from pnetstat.sources.procfs import ProcFS

pytestmark = pytest.mark.differential

SEED = int(os.environ.get("PNETSTAT_FILTER_SEED", "14"))
CASES = int(os.environ.get("PNETSTAT_FILTER_CASES", "220"))
STATE_WORDS = ["established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait",
               "closed", "close-wait", "last-ack", "listening", "closing", "all", "connected",
               "synchronized", "bucket", "big"]  # fmt: skip
OPS = ["=", "==", "eq", "!=", "ne", "neq", "<", "lt", ">", "gt", "<=", "le", ">=", "ge"]

Socket = tuple[str, str, int, str, int]


def _endpoint(text: str) -> tuple[str, int]:
    """An ss address column (``127.0.0.1:22``, ``[::1]:2222``, ``*:8080``, ``0.0.0.0:*``)."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]").split("%")[0]
    return str(ip_address("::" if host == "*" else host)), 0 if port == "*" else int(port)


def ss_sockets(ns: NetNS, words: list[str]) -> set[Socket]:
    done = ns.run(["ss", "-tunaH", *words])
    assert done.returncode == 0, (words, done.stderr)
    found = set()
    for line in done.stdout.decode().splitlines():
        fields = line.split()
        local, remote = _endpoint(fields[-2]), _endpoint(fields[-1])
        found.add((fields[0], *local, *remote))
    return found


def our_sockets(source: str, words: list[str]) -> set[Socket]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["-tuna", "--json", f"--source={source}", *words], stdout=out, stderr=err)
    assert status == 0 and not err.getvalue(), (words, err.getvalue())
    rows = json.loads(out.getvalue())["sockets"]
    return {
        (r["proto"], str(ip_address(r["local_address"])), r["local_port"],
         str(ip_address(r["remote_address"])), r["remote_port"])
        for r in rows
    }  # fmt: skip


class Generator:
    """Random filters over the addresses and ports present in the namespace."""

    def __init__(self, rng: random.Random, present: set[Socket]) -> None:
        self.rng = rng
        self.ports = sorted({s[2] for s in present} | {s[4] for s in present} | {0, 1, 1024})
        self.v4 = sorted({a for s in present for a in (s[1], s[3]) if "." in a and ":" not in a})
        self.v6 = sorted({a for s in present for a in (s[1], s[3]) if ":" in a})

    def port(self) -> str:
        rng = self.rng
        number = rng.choice(self.ports) + rng.choice([0, 0, 0, 1, -1])
        number = min(max(number, 0), 65535)
        return rng.choice([f":{number}", str(number)]) if number else ":0"

    def address(self) -> str:
        rng = self.rng
        roll = rng.random()
        port = f":{rng.choice(self.ports)}" if rng.random() < 0.25 else ""
        if roll < 0.45 and self.v4:
            parts = rng.choice(self.v4).split(".")
            prefix = rng.choice([None, 8, 16, 24, 30, 31, 32, 0])
            if prefix is not None and rng.random() < 0.3:
                kept = max(1, (prefix + 7) // 8) if prefix else 1
                return ".".join(parts[:kept]) + f"/{prefix}" + port
            return ".".join(parts) + ("" if prefix is None else f"/{prefix}") + port
        if roll < 0.85 and self.v6:
            address = rng.choice(self.v6)
            prefix = rng.choice([None, 128, 127, 112, 96, 64, 8, 0])
            inside = address + ("" if prefix is None else f"/{prefix}")
            return f"[{inside}]" + port
        return f"*:{rng.choice(self.ports)}"

    def leaf(self) -> list[str]:
        rng = self.rng
        if rng.random() < 0.5:
            side = rng.choice(["sport", "dport"])
            op = rng.choice([*OPS, ""])
            return [side, *([op] if op else []), self.port()]
        side = rng.choice(["src", "dst"])
        eq = rng.choice(["", "=", "==", "eq"])
        return [side, *([eq] if eq else []), self.address()]

    def expression(self, depth: int = 0) -> tuple[list[str], int]:
        """Words and their precedence (3: a leaf or parenthesised, 2: not, 1: and, 0: or)."""
        rng = self.rng
        if depth >= 3 or rng.random() < 0.35:
            return self.leaf(), 3
        kind = rng.choice(["and", "or", "not", "paren"])
        if kind == "not":
            words, level = self.expression(depth + 1)
            return [rng.choice(["not", "!"]), *self.wrap(words, level, 2)], 2
        if kind == "paren":
            words, _ = self.expression(depth + 1)
            return ["(", *words, ")"], 3
        left, left_level = self.expression(depth + 1)
        right, right_level = self.expression(depth + 1)
        need = 1 if kind == "and" else 0
        joiner = rng.choice(["and", "&", "&&", ""] if kind == "and" else ["or", "|", "||"])
        return [*self.wrap(left, left_level, need), *([joiner] if joiner else []),
                *self.wrap(right, right_level, need + 1)], need  # fmt: skip

    def wrap(self, words: list[str], level: int, need: int) -> list[str]:
        return words if level >= need else ["(", *words, ")"]

    def filter(self) -> list[str]:
        rng = self.rng
        words: list[str] = []
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
            words += [rng.choice(["state", "state", "exclude"]), rng.choice(STATE_WORDS)]
        if not words or rng.random() < 0.9:
            words += self.expression()[0]
        return words


@pytest.fixture(scope="module")
def inside(populated_ns: NetNS) -> Iterator[NetNS]:
    """The test process's main thread inside the populated namespace for the module."""
    namespace = find_namespace(populated_ns.name, ProcFS())
    with entered(namespace):
        yield populated_ns


def test_generated_filters_list_what_ss_lists(inside: NetNS) -> None:
    rng = random.Random(SEED)
    present = ss_sockets(inside, [])
    assert len(present) >= 15
    generator = Generator(rng, present)
    mismatches = []
    for case in range(CASES):
        words = generator.filter()
        for _attempt in range(3):  # a TIME_WAIT row may expire between the two listings
            theirs = ss_sockets(inside, words)
            ours = {source: our_sockets(source, words) for source in ("proc", "netlink")}
            if ours["proc"] == ours["netlink"] == theirs:
                break
        else:
            mismatches.append((case, " ".join(words), theirs, ours))
    assert not mismatches, mismatches[:3]


def test_the_manual_examples_give_ss_rows(inside: NetNS) -> None:
    for words in (
        ["state", "established", "( dport = :ssh or sport = :ssh )"],
        ["state", "fin-wait-1", "( sport = :http or sport = :https )", "dst", "193.233.7/24"],
        ["dst", "127.0.0.0/8", "or", "src", "[::1/128]"],
    ):
        split = " ".join(words).split()
        assert our_sockets("netlink", split) == ss_sockets(inside, split)


def test_kernel_bytecode_alone_agrees_with_the_kernel_reading(inside: NetNS) -> None:
    """The two back ends against each other: for each generated expression the kernel can
    decide, the sockets a bytecode dump returns are exactly those of a plain dump for which
    the predicate's kernel reading holds (no user-space second look to hide a wrong jump)."""
    from pnetstat.filters.bytecode import compilable, compile_bytecode
    from pnetstat.filters.parse import parse_filter
    from pnetstat.filters.predicate import Context, compile_expression
    from pnetstat.model import Family, Protocol
    from pnetstat.sources.sockdiag import read_inet_sockets_diag

    def key(row: object) -> tuple[object, ...]:
        return (row.protocol, row.local_address, row.local_port, row.remote_address,  # type: ignore[attr-defined]
                row.remote_port, row.state)  # type: ignore[attr-defined]  # fmt: skip

    rng = random.Random(SEED + 1)
    generator = Generator(rng, ss_sockets(inside, []))
    checked, cases = 0, CASES // 2
    for _ in range(cases):
        expression = parse_filter(generator.expression()[0]).expression
        assert expression is not None and compilable(expression)
        program, test = compile_bytecode(expression), compile_expression(expression)
        for protocol in (Protocol.TCP, Protocol.UDP):
            for family in (Family.INET, Family.INET6):
                for _attempt in range(3):  # a TIME_WAIT row may expire between the dumps
                    everything = list(read_inet_sockets_diag(protocol, family))
                    chosen = list(read_inet_sockets_diag(protocol, family, bytecode=program))
                    expected = {key(r) for r in everything if test(r, Context()) is True}
                    if {key(r) for r in chosen} == expected:
                        break
                else:
                    pytest.fail(f"bytecode and predicate disagree on {expression!r}")
                checked += 1
    assert checked == cases * 4


def test_kernel_only_conditions_list_what_ss_lists(inside: NetNS) -> None:
    for text in ("autobound", "not autobound", "dev = lo", "dev != lo", "dev = 1 or sport = :0",
                 "fwmark = 0", "fwmark = 0x0/0x1 and not autobound", "autobound or src 127/8"):  # fmt: skip
        words = text.split()
        out = io.StringIO()
        assert main(["-tuna", "--json", "--source=netlink", *words], stdout=out) == 0
        ours = {
            (r["proto"], str(ip_address(r["local_address"])), r["local_port"],
             str(ip_address(r["remote_address"])), r["remote_port"])
            for r in json.loads(out.getvalue())["sockets"]
        }  # fmt: skip
        assert ours == ss_sockets(inside, words), text


def test_unix_path_globs_list_what_ss_lists(inside: NetNS) -> None:
    """``src GLOB`` on UNIX sockets (ss(8)'s ``ss -x src /tmp/.X11-unix/*``): the same
    sockets, by inode, as ``ss -xa``; matching is case-insensitive, as ss's."""
    paths = [str(r["path"]) for r in _unix_records([]) if r.get("path")]
    directory = next(p for p in paths if p.startswith("/") and " " not in p).rsplit("/", 1)[0]
    globs = [f"{directory}/*", f"{directory.upper()}/*.SOCK", "@pnt-*", "unix:*dg.sock",
             "/nonexistent/*", f"{directory}/srv.sock"]  # fmt: skip
    for glob in globs:
        words = ["src", glob]
        theirs = inside.run(["ss", "-xaH", *words])
        assert theirs.returncode == 0, theirs.stderr
        expected = {int(line.split()[-3]) for line in theirs.stdout.decode().splitlines()}
        # A connection still in its listener's queue has inode 0 in /proc/net/unix, which
        # netstat (and so pnetstat) lists and unix_diag (and so ss) does not.
        ours = {r["inode"] for r in _unix_records(words)} - {0}
        assert ours == expected, glob
    assert any(_unix_records(["src", f"{directory}/*"]))


def _unix_records(words: list[str]) -> list[dict[str, object]]:
    out = io.StringIO()
    assert main(["-xa", "--json", *words], stdout=out) == 0
    return list(json.loads(out.getvalue())["sockets"])
