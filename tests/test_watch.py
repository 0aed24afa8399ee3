"""--watch in a namespace where a connection opens and closes when the test says: the + and -
lines are exactly those changes, and nothing else (the closing is abortive, SO_LINGER 0, so
no FIN_WAIT or TIME_WAIT comes between)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from netns import NetNS, background_script, pinned_env, pnetstat_cmd

pytestmark = pytest.mark.differential

WAIT = 20.0

CONNECTION = """
import socket, struct, sys
print("ready", flush=True)
held = []
for line in sys.stdin:
    if line.strip() == "open":
        listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen()
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        held = [client, server, listener]
        print(listener.getsockname()[1], client.getsockname()[1], flush=True)
    elif line.strip() == "close":
        for sock in held:  # abortive: a reset, no TIME_WAIT left behind
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        print("closed", flush=True)
"""


class Watch:
    """A running ``pnetstat --watch`` whose stdout lines arrive on a queue."""

    def __init__(self, ns: NetNS, flags: list[str]) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, *pnetstat_cmd(["--watch=0.1", *flags])],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=pinned_env(),
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode())

    def until(self, wanted: int, marked: tuple[str, ...]) -> list[str]:
        """Lines until ``wanted`` of them start with one of ``marked``; all lines seen."""
        seen, found = [], 0
        deadline = time.monotonic() + WAIT
        while found < wanted:
            left = deadline - time.monotonic()
            assert left > 0, f"only {found} of {wanted} changes in {WAIT} s: {seen}"
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            seen.append(line)
            found += line.startswith(marked)
        return seen

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.reader.join(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def connection(netns: NetNS) -> Iterator[tuple[NetNS, subprocess.Popen[bytes]]]:
    with background_script(netns, CONNECTION) as proc:
        yield netns, proc


def _tell(proc: subprocess.Popen[bytes], word: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(word.encode() + b"\n")
    proc.stdin.flush()
    return proc.stdout.readline().decode().strip()


def test_watch_prints_exactly_the_changes(
    connection: tuple[NetNS, subprocess.Popen[bytes]],
) -> None:
    ns, holder = connection
    watch = Watch(ns, ["-tan"])
    try:
        first = watch.until(1, ("20",))  # the first listing, then a pass's timestamp
        assert first[0].startswith("Active Internet connections")
        assert not any(line.startswith(("+", "-")) for line in first)
        server_port, client_port = map(int, _tell(holder, "open").split())
        opened = watch.until(3, ("+", "-"))
        assert _tell(holder, "close") == "closed"
        closed = watch.until(3, ("+", "-"))
    finally:
        watch.stop()
    changes = [line for line in opened + closed if line.startswith(("+", "-"))]
    others = [line for line in opened + closed if not line.startswith(("+", "-", "20"))]
    assert others == []
    listener = f"127.0.0.1:{server_port}"
    client = f"127.0.0.1:{client_port}"
    assert sorted((line[0], line.split()[4], line.split()[5], line.split()[6]) for line in changes) == sorted([
        ("+", listener, "0.0.0.0:*", "LISTEN"), ("+", listener, client, "ESTABLISHED"),
        ("+", client, listener, "ESTABLISHED"), ("-", listener, "0.0.0.0:*", "LISTEN"),
        ("-", listener, client, "ESTABLISHED"), ("-", client, listener, "ESTABLISHED"),
    ])  # fmt: skip
    assert all(line.startswith("+") for line in changes[:3])


def test_watch_json_lines_are_events(connection: tuple[NetNS, subprocess.Popen[bytes]]) -> None:
    """The connection is there before the watch starts (its first listing shows it), then
    closes, then opens again: three close events, then three open ones."""
    ns, holder = connection
    first_port = int(_tell(holder, "open").split()[0])
    watch = Watch(ns, ["-tan", "--json-lines"])
    try:
        listed = watch.until(3, ('{"schema_version"',))
        _tell(holder, "close")
        closed = watch.until(3, ('{"event"',))
        second_port = int(_tell(holder, "open").split()[0])
        opened = watch.until(3, ('{"event"',))
    finally:
        watch.stop()
    assert {json.loads(line)["state"] for line in listed} == {"LISTEN", "ESTABLISHED"}
    events = [json.loads(line) for line in closed + opened if line.startswith('{"event"')]
    assert [e["event"] for e in events] == ["close"] * 3 + ["open"] * 3
    assert first_port in {e["local_port"] for e in events[:3]}
    assert second_port in {e["local_port"] for e in events[3:]}
    assert all(e["proto"] == "tcp" and e["time"].endswith("Z") for e in events)


def test_watch_option_errors() -> None:
    for flags, message in (
        (["--watch=0"], b"--watch wants a number of seconds"),
        (["--watch", "-c"], b"not with -c"),
        (["--watch", "--json"], b"--watch takes --json-lines, not --json"),
        (["--watch", "-r"], b"--watch goes with socket listings"),
    ):
        done = subprocess.run(
            pnetstat_cmd(flags), capture_output=True, env=pinned_env(), timeout=30
        )
        assert done.returncode == 3 and done.stdout == b"" and message in done.stderr, flags


def test_watch_every_namespace(connection: tuple[NetNS, subprocess.Popen[bytes]]) -> None:
    """With --all-netns a change's row is led by its namespace's label (other namespaces of
    the host may change meanwhile: only this one's lines are looked at)."""
    ns, holder = connection
    watch = Watch(ns, ["-tan", "--all-netns"])
    mine = f"{ns.name}: "
    try:
        first = watch.until(1, ("20",))
        assert f"netns: {ns.name}\n" in first
        server_port, client_port = map(int, _tell(holder, "open").split())
        opened = watch.until(3, (f"+ {mine}",))
        _tell(holder, "close")
        closed = watch.until(3, (f"- {mine}",))
    finally:
        watch.stop()
    ours = [line for line in opened + closed if line.startswith((f"+ {mine}", f"- {mine}"))]
    assert len(ours) == 6
    assert all(f":{server_port} " in line or f":{client_port} " in line for line in ours)


def test_library_changes(connection: tuple[NetNS, subprocess.Popen[bytes]]) -> None:
    """pnetstat.changes(): the same events as records, from any reading of sockets()."""
    import pnetstat

    ns, holder = connection
    readings = pnetstat.changes(["tcp"], interval=0.05, netns=ns.name)
    assert next(readings) == []  # nothing moved in an empty namespace
    server_port = int(_tell(holder, "open").split()[0])
    opened: list[pnetstat.SocketChange] = []
    for _ in range(200):  # bounded: at most 200 readings 50 ms apart
        opened += next(readings)
        if len(opened) >= 3:
            break
    _tell(holder, "close")
    closed: list[pnetstat.SocketChange] = []
    for _ in range(200):
        closed += next(readings)
        if len(closed) >= 3:
            break
    assert [c.event for c in opened] == ["open"] * 3
    assert [c.event for c in closed] == ["close"] * 3
    assert server_port in {c.after.local_port for c in opened if c.after is not None}
    assert all(c.before is not None and c.after is None for c in closed)
