"""Tests of the namespace harness itself (tests/netns.py, the socket holder).

They compare netstat with netstat, so they pass before pnetstat exists; what
they check is that the namespaces, holders and masking behave as the
differential tests assume.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from netns import (  # conftest.py puts tests/ on sys.path
    RESOLV_CONF,
    Comparison,
    Holder,
    HolderError,
    NetNS,
    apply_masks,
    assert_same,
    compare,
    find_masks,
    mask_nothing,
    mask_numbers,
    mask_queues_and_timers,
    netstat_cmd,
    pnetstat_cmd,
)

# ---------------------------------------------------------------------------
# helpers


def listed_namespaces() -> list[str]:
    """Names `ip netns list` shows."""
    out = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def process_gone(pid: int) -> bool:
    """True if pid has exited (absent or zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat[stat.rfind(")") + 2] == "Z"


def prog_cell(pid: int, argv0: str) -> str:
    """netstat's -p cell before padding (behaviour doc §2.9): argv[0], the
    part after the last "/" if it starts with "/", cut to 19 characters."""
    name = argv0.rsplit("/", 1)[1] if argv0.startswith("/") else argv0
    return f"{pid}/{name}"[:19]


def argv0_of(holder: Holder, pid: int) -> str:
    """argv[0] of the holder or one of its children."""
    if pid == holder.pid:
        return str(holder.info["argv0"])
    return next(str(c["argv0"]) for c in holder.children if c["pid"] == pid)


def rows_with_inode(text: str, inode: int) -> list[str]:
    """Lines that have ``inode`` as a whitespace-separated field."""
    pat = re.compile(rf"(?:^|\s){inode}(?:\s|$)")
    return [line for line in text.splitlines() if pat.search(line)]


def netstat(ns: NetNS, *flags: str) -> str:
    """stdout of a successful netstat run in ``ns``."""
    done = ns.run(netstat_cmd(flags))
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


def row_for_ports(text: str, proto: str, local_port: int, remote_port: int) -> str:
    """The single numeric-mode Internet row with these ports."""
    found = [
        line
        for line in text.splitlines()
        if line.split()[:1] == [proto]
        and line.split()[3].endswith(f":{local_port}")
        and line.split()[4].endswith(f":{remote_port or '*'}")
    ]
    assert len(found) == 1, (proto, local_port, remote_port, text)
    return found[0]


# ---------------------------------------------------------------------------
# namespace lifecycle


@pytest.mark.usefixtures("namespace_support")
def test_namespace_is_created_pinned_and_removed() -> None:
    with NetNS(hosts=["127.0.0.9 nine.example"], files={"services": "pnt-svc\t4242/tcp\n"}) as ns:
        name, etc_dir, tmpdir = ns.name, ns.etc_dir, ns.tmpdir
        assert name.startswith("pnetstat-test-")
        assert name in listed_namespaces()
        assert etc_dir is not None and etc_dir.is_dir()
        assert tmpdir is not None and tmpdir.is_dir()
        hosts = ns.run(["cat", "/etc/hosts"]).stdout.decode().splitlines()
        assert hosts[:3] == [
            "127.0.0.1 localhost",
            "::1 localhost ip6-localhost ip6-loopback",
            "127.0.0.9 nine.example",
        ]
        assert ns.run(["cat", "/etc/resolv.conf"]).stdout.decode() == RESOLV_CONF
        assert ns.run(["cat", "/etc/services"]).stdout == b"pnt-svc\t4242/tcp\n"
        links = ns.run(["ip", "-o", "link", "show"]).stdout.decode().splitlines()
        assert [line.split(":")[1].strip() for line in links] == ["lo"]
        assert "UP" in links[0].split("<")[1].split(">")[0].split(",")
        inside = ns.run(["readlink", "/proc/self/ns/net"]).stdout
        assert inside != Path("/proc/self/ns/net").readlink().as_posix().encode() + b"\n"
    assert name not in listed_namespaces()
    assert not etc_dir.exists()
    assert not tmpdir.exists()


@pytest.mark.usefixtures("namespace_support")
def test_namespace_and_holders_removed_after_exception() -> None:
    with pytest.raises(RuntimeError, match="boom"), NetNS() as ns:
        holder = ns.spawn_holder(
            {
                "sockets": [
                    {"id": "l", "kind": "tcp_listen"},
                    {"id": "s", "kind": "tcp_listen"},
                ],
                "children": [
                    {"id": "c", "argv0": "pnt-child", "move": ["s"]},
                    {"id": "f", "mode": "fork", "share": ["l"]},
                ],
            }
        )
        name, etc_dir, pids = ns.name, ns.etc_dir, holder.pids
        assert len(pids) == 3
        raise RuntimeError("boom")
    assert name not in listed_namespaces()
    assert etc_dir is not None and not etc_dir.exists()
    assert all(process_gone(pid) for pid in pids)


def test_namespace_refuses_to_unpin_resolution() -> None:
    with pytest.raises(ValueError, match="pinned"):
        NetNS(files={"resolv.conf": "nameserver 10.255.255.53\n"})


def test_holder_failure_is_reported(netns: NetNS) -> None:
    with pytest.raises(HolderError, match="unknown kind"):
        netns.spawn_holder({"sockets": [{"id": "x", "kind": "no-such-kind"}]})
    with pytest.raises(HolderError, match="port 53"):
        netns.spawn_holder({"sockets": [{"id": "x", "kind": "udp", "port": 53}]})
    # The namespace is still usable afterwards.
    holder = netns.spawn_holder({"sockets": [{"id": "l", "kind": "tcp_listen"}]})
    assert str(holder.one("l")["inode"]) in netstat(netns, "-tlne")


def test_run_pins_environment(netns: NetNS) -> None:
    env = dict(
        line.split("=", 1)
        for line in netns.run(["env"], env={"EXTRA": "1"}).stdout.decode().splitlines()
    )
    assert env["LC_ALL"] == "C"
    assert env["PYTHONPATH"] == str(Path(__file__).resolve().parent.parent)
    assert env["EXTRA"] == "1"
    assert "LANG" not in env


def test_commands() -> None:
    assert netstat_cmd(["-an"]) == ["netstat", "-an"]
    cmd = pnetstat_cmd(["-an"])
    assert cmd[1:] == ["-m", "pnetstat", "-an"]
    assert Path(cmd[0]).is_absolute() and Path(cmd[0]).resolve() == Path(cmd[0])
    assert Path(cmd[0]).samefile(sys.executable)


# ---------------------------------------------------------------------------
# name resolution stays inside the namespace and fails fast


def test_no_route_leaves_the_namespace(populated_ns: NetNS) -> None:
    routes = populated_ns.run(["ip", "route", "show", "table", "all"]).stdout.decode()
    assert "default" not in routes
    for line in routes.splitlines():
        assert " dev lo " in f" {line} ", line


def test_non_numeric_netstat_is_fast(populated_ns: NetNS) -> None:
    # 127.0.0.6 and fd00:1::6 are in no hosts file: each lookup goes to the
    # namespace's own 127.0.0.1:53 and must fail at once.
    for flags in (["-t"], ["-a"], ["-ae"]):
        start = time.monotonic()
        done = populated_ns.run(netstat_cmd(flags))
        elapsed = time.monotonic() - start
        assert done.returncode == 0, done.stderr
        assert elapsed < 5, f"netstat {flags} took {elapsed:.1f} s"
    text = done.stdout.decode()
    holder = populated_ns.holders[0]
    assert f"127.0.0.6:{holder.one('e4unknown', 'listener')['local'][1]}" in text
    assert f"fd00:1::6:{holder.one('e6unknown', 'listener')['local'][1]}" in text
    assert f"pnt-five.example:{holder.one('l5')['local'][1]}" in text
    # cut to 23 columns (behaviour doc §2.7)
    assert f"pnt-v6five.exampl:{holder.one('e6named', 'listener')['local'][1]}" in text
    assert "localhost:" in text


def test_failed_lookup_is_instant(populated_ns: NetNS) -> None:
    code = (
        "import socket, time\n"
        "for a in ('127.0.0.6', 'fd00:1::6', '10.99.0.1'):\n"
        "    t = time.monotonic()\n"
        "    try: socket.gethostbyaddr(a)\n"
        "    except OSError: pass\n"
        "    else: raise SystemExit(a + ' resolved')\n"
        "    assert time.monotonic() - t < 1, a\n"
    )
    done = populated_ns.run([sys.executable, "-c", code])
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------
# holders: every socket visible, with the right owner


def test_holder_sockets_visible_with_owner(populated_ns: NetNS) -> None:
    holder = populated_ns.holders[0]
    text = netstat(populated_ns, "-anpe")
    checked = 0
    for sock in holder.sockets:
        if sock["inode"] == 0:
            continue
        rows = rows_with_inode(text, sock["inode"])
        assert len(rows) == 1, (sock, rows)
        owner = min(sock["pids"])
        cell = prog_cell(owner, argv0_of(holder, owner))
        assert f" {cell} " in rows[0], (sock, rows[0])
        if sock["local"] is not None:
            assert f":{sock['local'][1]} " in rows[0], (sock, rows[0])
        checked += 1
    assert checked > 50


def test_first_owner_wins(populated_ns: NetNS) -> None:
    holder = populated_ns.holders[0]
    shared = holder.one("shared")
    assert len(shared["pids"]) == 3  # holder, forked child, exec'd child
    (row,) = rows_with_inode(netstat(populated_ns, "-tlnpe"), shared["inode"])
    assert f" {min(shared['pids'])}/pnt-holder " in row


@pytest.mark.parametrize(
    ("child_id", "cell_name"),
    [
        ("abs", "pnt-abs-holder"),  # argv[0] starting with "/"
        ("spaces", "pnt spaced holder"),  # spaces kept
        ("long", "pnt-a-very-long-holder-name"),  # cut to 19 with the pid
        ("second", "pnt-holder-2"),
    ],
)
def test_child_argv0_in_program_column(populated_ns: NetNS, child_id: str, cell_name: str) -> None:
    holder = populated_ns.holders[0]
    child = next(c for c in holder.children if c["id"] == child_id)
    sock = holder.one(child["move"][0])
    assert sock["pids"] == [child["pid"]]
    (row,) = rows_with_inode(netstat(populated_ns, "-anpe"), sock["inode"])
    cell = f"{child['pid']}/{cell_name}"[:19]
    assert f" {cell.ljust(20)}" in row + " "


def test_transient_states_present(netns: NetNS) -> None:
    holder = netns.spawn_holder(
        {
            "sockets": [
                {"id": "tw4", "kind": "tcp_time_wait"},
                {"id": "tw6", "kind": "tcp_time_wait", "family": 6},
                {"id": "cw", "kind": "tcp_close_wait"},
                {"id": "orphan", "kind": "tcp_fin_wait2", "family": 6, "orphan": True},
                {"id": "rq", "kind": "tcp_established", "recv_q": 123},
                {"id": "pend", "kind": "tcp_listen", "pending": 3},
            ]
        }
    )
    text = netstat(netns, "-tanoe")

    def row(sid: str, role: str) -> list[str]:
        s = holder.one(sid, role)
        return row_for_ports(text, s["proto"], s["local"][1], s["remote"][1]).split()

    for sid in ("tw4", "tw6"):
        fields = row(sid, "client")
        assert fields[5] == "TIME_WAIT" and fields[7] == "0" and fields[8] == "timewait"
    assert row("cw", "server")[5] == "CLOSE_WAIT"
    assert row("cw", "client")[5] == "FIN_WAIT2"
    orphan = row("orphan", "client")
    assert orphan[5] == "FIN_WAIT2" and orphan[7] == "0" and orphan[8] == "timewait"
    assert row("orphan", "server")[5] == "CLOSE_WAIT"
    assert row("rq", "server")[1] == "123"
    assert row("pend", "listener")[1] == "3"
    for pending in holder.find("pend", "pending_server"):
        fields = row_for_ports(text, "tcp", pending["local"][1], pending["remote"][1]).split()
        assert fields[5] == "ESTABLISHED" and fields[7] == "0"  # no inode yet


def test_udp_raw_unix_rows_present(populated_ns: NetNS) -> None:
    holder = populated_ns.holders[0]
    text = netstat(populated_ns, "-an")

    def fields_of(sid: str, role: str = "socket") -> list[str]:
        (row,) = rows_with_inode(netstat(populated_ns, "-ane"), holder.one(sid, role)["inode"])
        return row.split()

    assert fields_of("u4")[0] == "udp"
    assert fields_of("u6")[0] == "udp6"
    assert fields_of("u4c")[5] == "ESTABLISHED"
    assert fields_of("u6c")[5] == "ESTABLISHED"
    assert int(fields_of("u4q")[1]) > 0
    assert fields_of("ul4")[0] == "udpl"
    assert fields_of("ul6")[0] == "udpl6"
    assert fields_of("r4")[:6] == ["raw", "0", "0", "0.0.0.0:1", "0.0.0.0:*", "7"]
    assert fields_of("r6")[:6] == ["raw6", "0", "0", ":::58", ":::*", "7"]
    assert fields_of("r255")[3:6] == ["0.0.0.0:255", "0.0.0.0:*", "7"]
    # connect() on a raw socket also picks the local address
    assert fields_of("r4c")[3:6] == ["127.0.0.1:253", "127.0.0.1:*", "1"]

    unix = text.split("Active UNIX domain sockets", 1)[1]
    path = holder.one("ustream", "listener")["path"]
    assert re.search(rf"\[ ACC \]\s+STREAM\s+LISTENING\s+\d+\s+{re.escape(path)}$", unix, re.M)
    assert re.search(rf"STREAM\s+CONNECTING\s+0\s+{re.escape(path)}$", unix, re.M)
    assert re.search(rf"STREAM\s+CONNECTED\s+\d+\s+{re.escape(path)}$", unix, re.M)
    assert re.search(r"SEQPACKET\s+LISTENING\s+\d+\s+@pnt-seqpacket$", unix, re.M)
    assert re.search(r"STREAM\s+LISTENING\s+\d+\s+@pnt-abstract$", unix, re.M)
    # netstat cuts paths at the first whitespace (behaviour doc §3).
    spaced = holder.one("uspace")["path"]
    assert re.search(rf"DGRAM\s+\d+\s+{re.escape(spaced.split(' ')[0])}$", unix, re.M)
    for sid in ("upair", "upair_dgram", "upair_seq"):
        for role in ("a", "b"):
            inode = holder.one(sid, role)["inode"]
            (row,) = rows_with_inode(unix, inode)
            assert "CONNECTED" in row


# ---------------------------------------------------------------------------
# masking (pure, synthetic strings)

HEAD = b"Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"


def tcp_row(rq: str, sq: str, state: str = "ESTABLISHED", timer: str = "") -> bytes:
    line = f"tcp   {rq:>6} {sq:>6} {'127.0.0.1:1':<23} {'127.0.0.1:2':<23} {state:<11}"
    return (line + (f" {timer}" if timer else "") + "\n").encode()


def synthetic(first: bytes, ours: bytes, second: bytes) -> Comparison:
    def done(out: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(["x"], 0, out, b"")

    masks = find_masks(first, second)
    return Comparison(
        ("-x",), "synthetic", done(first), done(ours), done(second), masks or {}, masks is not None
    )


def test_mask_only_changed_queue_field() -> None:
    a = HEAD + tcp_row("0", "0") + tcp_row("5", "0")
    b = HEAD + tcp_row("0", "0") + tcp_row("7", "0")
    assert find_masks(a, b) == {2: frozenset({1})}
    masked = apply_masks(a, find_masks(a, b) or {}, a, b)
    assert masked.split(b"\n")[1] == tcp_row("0", "0").rstrip(b"\n")
    assert masked.split(b"\n")[2].startswith(b"tcp        #      0 127.0.0.1:1")
    assert masked == apply_masks(b, find_masks(a, b) or {}, a, b)


def test_mask_timer_fields() -> None:
    a = tcp_row("0", "0", "TIME_WAIT", "timewait (58.12/0/0)")
    b = tcp_row("0", "0", "TIME_WAIT", "timewait (57.98/0/0)")
    assert find_masks(a, b) == {0: frozenset({7})}
    c = tcp_row("0", "0", "TIME_WAIT", "timewait (9.98/0/0)")
    assert find_masks(a, c) == {0: frozenset({7})}
    # Width changed between the runs: normalised to one space + placeholder.
    assert apply_masks(a, {0: frozenset({7})}, a, c).endswith(b"timewait <masked>\n")
    d = tcp_row("0", "0", "ESTABLISHED", "keepalive (7018.28/0/0)")
    e = tcp_row("0", "0", "ESTABLISHED", "on (0.20/1/0)")
    assert find_masks(d, e) == {0: frozenset({6, 7})}


def test_other_changes_are_not_masked() -> None:
    a = HEAD + tcp_row("0", "0", "ESTABLISHED")
    assert find_masks(a, HEAD + tcp_row("0", "0", "CLOSE_WAIT")) is None
    assert find_masks(a, a + tcp_row("0", "0")) is None  # a row appeared
    assert find_masks(a, HEAD + tcp_row("0", "0").replace(b":2", b":3")) is None
    unix_a = b"unix  2      [ ]         STREAM     CONNECTED     71737    \n"
    unix_b = b"unix  3      [ ]         STREAM     CONNECTED     71737    \n"
    assert find_masks(unix_a, unix_b) is None  # only Internet rows have queues
    assert find_masks(a, a, mask_nothing) == {}
    assert find_masks(HEAD + tcp_row("0", "0"), HEAD + tcp_row("1", "0"), mask_nothing) is None
    assert find_masks(b"    12 total packets\n", b"    13 total packets\n", mask_numbers) == {
        0: frozenset({0})
    }


def test_mask_rule_sees_both_runs() -> None:
    first = [b"tcp", b"0", b"0", b"a:1"]
    assert mask_queues_and_timers(first, [b"tcp", b"9", b"0", b"a:1"], 1)
    assert not mask_queues_and_timers(first, [b"tcp", b"x", b"0", b"a:1"], 1)
    assert not mask_queues_and_timers(first, [b"tcp", b"0", b"0", b"a:2"], 3)
    assert not mask_queues_and_timers([b"unix", b"2", b"[", b"]"], [b"unix", b"3", b"[", b"]"], 1)


def test_assert_same_masks_volatile_fields_only() -> None:
    a = HEAD + tcp_row("0", "0") + tcp_row("5", "0")
    b = HEAD + tcp_row("0", "0") + tcp_row("7", "0")
    assert_same(synthetic(a, HEAD + tcp_row("0", "0") + tcp_row("6", "0"), b))
    # A wrong value in a field that did not change between the runs fails.
    with pytest.raises(AssertionError) as info:
        assert_same(synthetic(a, HEAD + tcp_row("1", "0") + tcp_row("6", "0"), b))
    message = str(info.value)
    assert "--- netstat stdout" in message and "+++ pnetstat stdout" in message
    assert "\n-tcp        0      0 127.0.0.1:1" in message
    # A wrong width in a masked field still fails.
    bad = HEAD + tcp_row("0", "0") + tcp_row("6", "0").replace(b"     6", b"    6")
    with pytest.raises(AssertionError):
        assert_same(synthetic(a, bad, b))
    # Trailing whitespace matters and is visible in the message.
    with pytest.raises(AssertionError, match=r"ESTABLISHED\$"):
        assert_same(synthetic(a, a.replace(b"ESTABLISHED\n", b"ESTABLISHED \n"), a))


def test_assert_same_checks_stderr_and_status() -> None:
    ok = subprocess.CompletedProcess(["x"], 0, b"out\n", b"")
    bad = subprocess.CompletedProcess(["x"], 1, b"out\n", b"netstat: oops\n")
    with pytest.raises(AssertionError) as info:
        assert_same(Comparison(("-x",), "synthetic", ok, bad, ok))
    assert "+netstat: oops$" in str(info.value)
    assert "exit status: netstat 0, pnetstat 1" in str(info.value)


# ---------------------------------------------------------------------------
# compare() against the real netstat


@pytest.mark.differential
@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["-a"],
        ["-an"],
        ["-anpeo"],
        ["-tuwanoW"],
        ["-x"],
        ["-axp"],
        ["-l"],
        ["-A", "inet6"],
    ],
)
def test_netstat_matches_itself(populated_ns: NetNS, flags: list[str]) -> None:
    result = compare(populated_ns, flags, candidate=netstat_cmd)
    assert result.stable
    assert_same(result)


def test_compare_reports_a_unified_diff(populated_ns: NetNS) -> None:
    result = compare(populated_ns, ["-an"], candidate=lambda flags: netstat_cmd(["-a"]))
    with pytest.raises(AssertionError) as info:
        assert_same(result)
    message = str(info.value)
    assert "--- netstat stdout" in message and "+++ pnetstat stdout" in message
    assert "\n+tcp " in message and "\n-tcp " in message


def test_compare_retries_unstable_output_a_bounded_number_of_times(netns: NetNS) -> None:
    calls: list[Any] = []

    def changing(flags: Any) -> list[str]:
        calls.append(flags)
        return ["sh", "-c", "cat /proc/sys/kernel/random/uuid"]

    result = compare(netns, [], reference=changing, candidate=changing, attempts=3)
    assert not result.stable and result.attempts == 3 and len(calls) == 9
    with pytest.raises(AssertionError, match="not stable"):
        assert_same(result)
