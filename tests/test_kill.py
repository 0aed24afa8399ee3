"""--kill: TCP sockets matching the filter are printed, then closed with SOCK_DESTROY.

Each test has a namespace of its own with one loopback connection; the holder script reports
what each end then sees when asked (a reset on the peer, an abort on the closed end).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns import NetNS, background_script, pnetstat_cmd

pytestmark = pytest.mark.differential

CONNECTION = """
import socket, sys
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen()
client = socket.create_connection(listener.getsockname())
server, _ = listener.accept()
print("ready", flush=True)
print(listener.getsockname()[1], client.getsockname()[1], flush=True)
for line in sys.stdin:  # one question a line: what does each end see now?
    seen = []
    for end in (client, server):
        end.settimeout(5)
        try:
            seen.append("data" if end.recv(1) else "eof")
        except OSError as exc:
            seen.append(type(exc).__name__)
    print(" ".join(seen), flush=True)
"""


@pytest.fixture
def connection(netns: NetNS) -> Iterator[tuple[NetNS, subprocess.Popen[bytes], int, int]]:
    with background_script(netns, CONNECTION) as proc:
        assert proc.stdout is not None
        server_port, client_port = map(int, proc.stdout.readline().split())
        yield netns, proc, server_port, client_port


def _ask(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"?\n")
    proc.stdin.flush()
    return proc.stdout.readline().decode().strip()


def test_kill_closes_the_match_and_the_peer_sees_the_reset(
    connection: tuple[NetNS, subprocess.Popen[bytes], int, int],
) -> None:
    ns, proc, server_port, client_port = connection
    done = ns.run(pnetstat_cmd(["-tan", "--kill", "sport", "=", f":{client_port}"]))
    assert done.returncode == 0, done.stderr
    rows = done.stdout.decode().splitlines()[2:]
    assert len(rows) == 1 and f"127.0.0.1:{client_port}" in rows[0], rows
    # The closed end is aborted; its peer got a reset.
    assert _ask(proc) == "ConnectionAbortedError ConnectionResetError"
    after = ns.run(pnetstat_cmd(["-tan"])).stdout.decode()
    assert f":{client_port} " not in after and f"127.0.0.1:{server_port}" in after  # listener


def test_without_a_filter_nothing_is_touched(
    connection: tuple[NetNS, subprocess.Popen[bytes], int, int],
) -> None:
    ns, _proc, _server_port, client_port = connection
    before = ns.run(pnetstat_cmd(["-tan"])).stdout
    done = ns.run(pnetstat_cmd(["-tan", "--kill"]))
    assert done.returncode == 3 and done.stdout == b""
    assert (
        done.stderr
        == b"pnetstat: --kill needs a filter (without one it would close every socket)\n"
    )
    assert ns.run(pnetstat_cmd(["-tan"])).stdout == before
    assert f":{client_port} " in before.decode()


def test_what_the_kernel_refuses_is_said(
    connection: tuple[NetNS, subprocess.Popen[bytes], int, int], readable_package: Path
) -> None:
    """As nobody (no CAP_NET_ADMIN): the row is printed, then why it was not closed."""
    ns, _proc, server_port, client_port = connection
    done = ns.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         *pnetstat_cmd(["-tan", "--kill", "sport", "=", f":{client_port}"])],
        env={"PYTHONPATH": str(readable_package)},
    )  # fmt: skip
    assert done.returncode == 1
    assert f"127.0.0.1:{client_port}" in done.stdout.decode()
    assert done.stderr.decode() == (
        f"pnetstat: --kill: 127.0.0.1:{client_port} 127.0.0.1:{server_port}: not closed: "
        "Operation not permitted (closing another's socket needs CAP_NET_ADMIN)\n"
    )
    assert f":{client_port} " in ns.run(pnetstat_cmd(["-tan"])).stdout.decode()
