"""--top on a real terminal: tmux runs it in a namespace where a background script sends a
paced loopback transfer, the tests type keys with ``send-keys`` and read the screen with
``capture-pane`` (bounded polling, no fixed sleeps). Each test gets its own tmux server
(``-L``), killed in a finalizer even when the test fails."""

from __future__ import annotations

import os
import pty
import secrets
import shlex
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from netns import PYTHON, REPO_ROOT, NetNS, background_script, pinned_env, pnetstat_cmd

pytestmark = pytest.mark.differential

RATE = 2_000_000  # bytes per second, client to server
WAIT = 10.0
# A client sending RATE bytes/s to a server in 10 kB chunks, paced with time.monotonic; a
# thread of the same process reads on the server's side, so both rows belong to this PID.
TRANSFER = f"""
import os, socket, threading, time
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen()
client = socket.create_connection(listener.getsockname())
server, _ = listener.accept()
def drain():
    while server.recv(1 << 16):
        pass
threading.Thread(target=drain, daemon=True).start()
print("ready", flush=True)
print(os.getpid(), listener.getsockname()[1], client.getsockname()[1], flush=True)
chunk, sent, start = bytes(10_000), 0, time.monotonic()
while True:
    if sent < (time.monotonic() - start) * {RATE}:
        client.sendall(chunk)
        sent += len(chunk)
    else:
        time.sleep(0.002)
"""


class Transfer:
    def __init__(self, ns: NetNS, pid: int, server_port: int, client_port: int) -> None:
        self.ns, self.pid = ns, pid
        self.server_port, self.client_port = server_port, client_port


@pytest.fixture(scope="module")
def transfer(module_netns: NetNS) -> Iterator[Transfer]:
    with background_script(module_netns, TRANSFER) as proc:
        assert proc.stdout is not None
        pid, server_port, client_port = map(int, proc.stdout.readline().split())
        yield Transfer(module_netns, pid, server_port, client_port)


class Screen:
    """One tmux server with one session running a command in a 120x40 pane."""

    def __init__(self, command: str) -> None:
        self.server = f"pnetstat-top-{secrets.token_hex(4)}"
        self.tmux(
            "new-session", "-d", "-s", "top", "-x", "120", "-y", "40",
            f"{command}; echo TOP-EXITED $?; sleep 60",
        )  # fmt: skip

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.server, *args], capture_output=True, text=True,
            env=pinned_env(), timeout=10, check=True,
        )  # fmt: skip
        return done.stdout

    def lines(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-t", "top").split("\n")[:-1]

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", "top", *(["-l"] if literal else []), *keys)

    def until(self, wanted: Callable[[list[str]], bool], what: str) -> list[str]:
        """The screen once ``wanted`` holds for it (polled, at most WAIT seconds)."""
        deadline = time.monotonic() + WAIT
        while True:
            lines = self.lines()
            if wanted(lines):
                return lines
            assert time.monotonic() < deadline, f"no {what} in {WAIT} s:\n" + "\n".join(lines)
            time.sleep(0.05)  # polling the pane, bounded by the deadline

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True,
                       env=pinned_env(), timeout=10)  # fmt: skip


@pytest.fixture
def screen(transfer: Transfer, request: pytest.FixtureRequest) -> Iterator[Screen]:
    argv = ["ip", "netns", "exec", transfer.ns.name, *pnetstat_cmd(["--top=0.5"])]
    started = Screen(shlex.join(argv))
    request.addfinalizer(started.kill)
    started.until(lambda lines: lines[0].startswith("pnetstat --top"), "top screen")
    yield started


def parse_rate(text: str) -> float:
    scale = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    return float(text[:-1]) * scale[text[-1]] if text[-1] in scale else float(text)


def row(lines: list[str], column: int, value: str) -> list[str] | None:
    """The first row (split) whose ``column`` ends with ``value``."""
    for line in lines[2:-1]:
        fields = line.split()
        if len(fields) > column and fields[column].endswith(value):
            return fields
    return None


def steady(screen: Screen, pick: Callable[[list[str]], str | None]) -> list[float]:
    """Readings of ``pick`` over refreshes until two in a row are within 10 % of RATE."""
    readings: list[float] = []
    last_clock = ""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        lines = screen.lines()
        value = pick(lines)
        clock = lines[0].split()[2] if lines[0].startswith("pnetstat --top") else ""
        if value not in (None, "-") and clock != last_clock:
            last_clock = clock
            readings.append(parse_rate(value))
            if len(readings) >= 2 and all(abs(r - RATE) <= RATE * 0.1 for r in readings[-2:]):
                return readings
        time.sleep(0.05)  # polling the pane, bounded by the deadline
    raise AssertionError(f"rates never steady at {RATE}: {readings}")


def test_rates_of_a_paced_transfer(screen: Screen, transfer: Transfer) -> None:
    client = f":{transfer.client_port}"
    server = f":{transfer.server_port}"

    def client_send(lines: list[str]) -> str | None:
        found = row(lines, 0, client)
        return found[3] if found else None

    def server_recv(lines: list[str]) -> str | None:
        found = row(lines, 0, server)
        return found[4] if found else None

    assert statistics.median(steady(screen, client_send)[-2:]) == pytest.approx(RATE, rel=0.1)
    assert statistics.median(steady(screen, server_recv)[-2:]) == pytest.approx(RATE, rel=0.1)
    lines = screen.lines()
    assert lines[1].split() == ["Local", "Address:Port", "Foreign", "Address:Port", "State",
                                "Send/s", "Recv/s", "RTT", "ms", "Retrans"]  # fmt: skip
    assert lines[-1].startswith("q quit  p processes  s sort  f filter")
    client_row = row(lines, 0, client)
    assert client_row is not None and client_row[1].endswith(server)
    assert client_row[2] == "ESTABLISHED" and float(client_row[5]) >= 0


def test_process_view(screen: Screen, transfer: Transfer) -> None:
    screen.keys("p")
    screen.until(lambda lines: lines[1].startswith("PID/Program"), "process view")

    def pick(column: int) -> Callable[[list[str]], str | None]:
        def one(lines: list[str]) -> str | None:
            found = next((line.split() for line in lines[2:-1]
                          if line.startswith(f"{transfer.pid}/")), None)  # fmt: skip
            return found[column] if found and lines[1].startswith("PID/Program") else None

        return one

    steady(screen, pick(2))
    steady(screen, pick(3))
    found = next(line.split() for line in screen.lines() if line.startswith(f"{transfer.pid}/"))
    assert found[1] == "2" and found[4] == "-"  # two connections, in no container
    screen.keys("p")
    screen.until(lambda lines: lines[1].startswith("Local Address:Port"), "connection view")


def test_sort_key_cycles_and_reorders(screen: Screen, transfer: Transfer) -> None:
    def first_local(lines: list[str]) -> str:
        return lines[2].split()[0] if len(lines) > 2 and lines[2].strip() else ""

    client, server = f":{transfer.client_port}", f":{transfer.server_port}"
    screen.until(lambda lines: "sort: send" in lines[0] and first_local(lines).endswith(client)
                 and "-" not in lines[2].split()[3:5], "client first by send")  # fmt: skip
    screen.keys("s")
    screen.until(lambda lines: "sort: recv" in lines[0] and first_local(lines).endswith(server),
                 "server first by recv")  # fmt: skip
    for key in ("rtt", "retrans", "local", "send"):
        screen.keys("s")
        screen.until(lambda lines, key=key: f"sort: {key} " in lines[0], f"sort: {key}")


def test_filter_prompt(screen: Screen, transfer: Transfer) -> None:
    port = transfer.server_port
    screen.until(lambda lines: row(lines, 0, f":{transfer.client_port}") is not None, "rows")
    screen.keys("f")
    screen.until(lambda lines: lines[-1].startswith("filter: "), "the prompt")
    screen.keys(f"sport = :{port}", literal=True)
    screen.keys("Enter")
    lines = screen.until(lambda lines: f"filter: sport = :{port}" in lines[0], "the filter")
    rows = [line.split() for line in lines[2:-1] if line.strip()]
    assert rows and all(fields[0].endswith(f":{port}") for fields in rows)
    assert "1 connections" in lines[0]
    # A filter that does not parse: its error in the prompt, the old filter still in force.
    screen.keys("f")
    screen.keys("C-u", "BSpace")  # tmux keys; the prompt holds the current filter
    for _ in range(20):
        screen.keys("BSpace")
    screen.keys("sport =", literal=True)
    screen.keys("Enter")
    lines = screen.until(lambda lines: "error:" in lines[-1], "the filter's error")
    assert f"filter: sport = :{port}" in lines[0]
    screen.keys("Escape")
    screen.until(lambda lines: lines[-1].startswith("q quit"), "the prompt closed")


def test_resize_redraws(screen: Screen) -> None:
    for width, height in ((80, 24), (200, 50)):
        screen.tmux("resize-window", "-t", "top", "-x", str(width), "-y", str(height))
        lines = screen.until(
            lambda lines, h=height: len(lines) == h and lines[-1].startswith("q quit"),
            f"{height} lines",
        )
        assert lines[0].startswith("pnetstat --top") and lines[1].startswith("Local Address:Port")
        assert all(len(line) <= width for line in lines)
        assert lines[1].rstrip().endswith("Retrans")


def test_q_quits_and_restores_the_terminal(screen: Screen) -> None:
    screen.keys("q")
    lines = screen.until(lambda lines: any("TOP-EXITED" in line for line in lines), "exit")
    assert any(line.strip() == "TOP-EXITED 0" for line in lines)
    assert not any("pnetstat --top" in line or "q quit" in line for line in lines)


def test_needs_a_terminal() -> None:
    done = subprocess.run(pnetstat_cmd(["--top"]), capture_output=True, env=pinned_env(),
                          stdin=subprocess.DEVNULL, timeout=30)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        b"",
        b"pnetstat: --top needs a terminal\n",
    )


@pytest.mark.parametrize("flags", [["-r"], ["-i"], ["-s"], ["-g"], ["--json"], ["--watch"],
                                   ["-c"], ["--top=0"], ["--top=x"]])  # fmt: skip
def test_option_errors(flags: list[str]) -> None:
    done = subprocess.run(pnetstat_cmd(["--top", *flags]), capture_output=True, text=True,
                          env=pinned_env(), stdin=subprocess.DEVNULL, timeout=30)  # fmt: skip
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.startswith("pnetstat: --top") and done.stderr.count("\n") == 1


@pytest.mark.parametrize(("words", "message"), [
    ("sport =", "pnetstat: filter: "),
    ("dev = lo", "pnetstat: filter: dev, fwmark and autobound are not available in --top\n"),
])  # fmt: skip
def test_bad_filters_on_a_terminal(words: str, message: str) -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [PYTHON, "-m", "pnetstat", "--top", *words.split()], stdout=follower,
            stderr=subprocess.PIPE, stdin=follower, env=pinned_env({"TERM": "xterm"}),
            cwd=REPO_ROOT, timeout=30, text=True,
        )  # fmt: skip
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 3 and done.stderr.startswith(message)


SHORT_LIVED = """
import socket, sys, time
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(64)
print("ready", flush=True)
end = time.monotonic() + 8
while time.monotonic() < end:  # connections that open and close within one refresh
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    client.sendall(b"z" * 20_000)
    got = 0
    while got < 20_000:
        got += len(server.recv(65536))
    client.close(); server.recv(1); server.close()
    time.sleep(0.05)  # pacing the load, not synchronising
sys.stdin.read()
"""


def test_closed_connections_are_counted(netns: NetNS, request: pytest.FixtureRequest) -> None:
    """Connections that open and close between two refreshes still count: line 0 says how
    many closed and what they sent (from the kernel's destroy notices, as root)."""
    with background_script(netns, SHORT_LIVED):
        argv = ["ip", "netns", "exec", netns.name, *pnetstat_cmd(["--top=0.5"])]
        started = Screen(shlex.join(argv))
        request.addfinalizer(started.kill)
        lines = started.until(lambda lines: "closed: " in lines[0], "closed connections")
    count, rates = lines[0].split("closed: ", 1)[1].split()[:2]
    sent = parse_rate(rates.split("/")[0])
    assert int(count) >= 1 and sent >= 20_000  # at least one whole connection's bytes
