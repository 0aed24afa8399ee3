"""The exporter (``--serve``, ``--textfile``, ``--max-series``) run for real in throw-away
namespaces: a real Prometheus server scraping it, the textfile against a scrape, sockets and
namespaces vanishing mid-scrape, hostile HTTP clients, signals and the one-line errors.

Every HTTP request is made from inside the test's namespace by a thread of this process that
has entered it (setns applies to the calling thread only), so only the namespace's loopback is
ever used. Prometheus is Debian's package (``make sysdeps`` installs it); without it these
tests fail, saying so.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from netns import DEFAULT_PATH, PYTHON, REPO_ROOT, NetNS, background_script, pinned_env
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.differential

# This interpreter (the venv's): it has prometheus_client, which the exporter needs; the
# checkout comes first on PYTHONPATH (pinned_env), so the code under test is this worktree's.
EXPORTER_PYTHON = sys.executable
# Ports inside a namespace of our own, below the ephemeral range (32768-60999 by default), so
# no connection made there can have taken them: free by construction.
EXPORTER_PORT = 9100
PROMETHEUS_PORT = 9090
WAIT = 30.0  # bound on each wait for a process or a scrape; they take well under a second here
CLONE_NEWNET = 0x40000000  # include/uapi/linux/sched.h
_libc = ctypes.CDLL(None, use_errno=True)
T = TypeVar("T")


# --- helpers ------------------------------------------------------------------------------


def in_netns(ns: NetNS, call: Callable[[], T], timeout: float = WAIT * 2) -> T:
    """``call()`` on a new thread that has entered ``ns`` (setns moves that thread only)."""
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            fd = os.open(f"/run/netns/{ns.name}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {ns.name}")
            finally:
                os.close(fd)
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=body, name=f"in {ns.name}")
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"a call inside {ns.name} still runs after {timeout} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def get(port: int, path: str = "/metrics", timeout: float = WAIT) -> tuple[int, str]:
    """GET http://127.0.0.1:port/path in the calling thread's namespace: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def poll(what: str, attempt: Callable[[], T | None], deadline: float) -> T:
    """Call ``attempt`` until it returns something other than None, failing at ``deadline``."""
    while True:
        found = attempt()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)  # polling interval (bounded by the deadline), not a synchronisation


def families(text: str) -> dict[str, tuple[str, str, list[tuple[str, tuple[Any, ...], float]]]]:
    """name -> (type, help, sorted samples), parsed by prometheus_client's own parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        samples = sorted((s.name, tuple(sorted(s.labels.items())), s.value) for s in family.samples)
        found[family.name] = (family.type, family.documentation, samples)
    return found


def sample_map(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of family ``name``: sorted label pairs -> value."""
    return {labels: value for _, labels, value in families(text)[name][2]}


class Exporter:
    """``python -m pnetstat --serve=127.0.0.1:PORT FLAGS`` running inside a namespace."""

    def __init__(self, ns: NetNS, port: int, flags: tuple[str, ...], log: Path) -> None:
        self.ns, self.port, self.log = ns, port, log
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", ns.name, EXPORTER_PYTHON, "-m", "pnetstat",
                 f"--serve=127.0.0.1:{port}", *flags],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                env=pinned_env(), cwd=REPO_ROOT, start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.proc.pid  # ip netns exec execs: this is the exporter itself

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_serving(self) -> None:
        def attempt() -> bool | None:
            if self.proc.poll() is not None:
                raise AssertionError(f"exporter exited {self.proc.returncode}: {self.stderr()}")
            try:
                return get(self.port)[0] == 200 or None
            except ConnectionRefusedError:
                return None

        deadline = time.monotonic() + WAIT
        in_netns(self.ns, lambda: poll(f"the exporter on :{self.port}", attempt, deadline))

    def scrape(self) -> str:
        """One scrape over HTTP; asserts it answered 200."""
        status, body = in_netns(self.ns, lambda: get(self.port))
        assert status == 200, body
        return body

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=WAIT)


@contextlib.contextmanager
def exporter(ns: NetNS, tmp: Path, *flags: str, port: int = EXPORTER_PORT) -> Iterator[Exporter]:
    """An exporter serving in ``ns``; killed and reaped when the block ends, even on failure."""
    running = Exporter(ns, port, flags, tmp / f"exporter-{port}.stderr")
    try:
        running.wait_serving()
        yield running
    finally:
        running.stop()


def require_prometheus() -> str:
    found = shutil.which("prometheus", path=DEFAULT_PATH)
    if found is None:
        pytest.fail(
            "the Prometheus integration test needs the prometheus binary (Debian package "
            "prometheus): run `make sysdeps` as root, or apt-get install --no-install-recommends "
            "prometheus",
            pytrace=False,
        )
    return found


@contextlib.contextmanager
def prometheus(ns: NetNS, tmp: Path, target: int, port: int = PROMETHEUS_PORT) -> Iterator[int]:
    """A Prometheus server inside ``ns`` scraping 127.0.0.1:``target`` every second; yields its
    port once ready; killed and reaped when the block ends, even on failure."""
    binary = require_prometheus()
    config = tmp / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: pnetstat\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
    )
    log = tmp / "prometheus.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, binary, f"--config.file={config}",
             f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env=pinned_env(), cwd=tmp, start_new_session=True,
        )  # fmt: skip
    try:

        def ready() -> bool | None:
            if proc.poll() is not None:
                raise AssertionError(f"prometheus exited {proc.returncode}: {log.read_text()}")
            try:
                return get(port, "/-/ready")[0] == 200 or None
            except (ConnectionRefusedError, ConnectionResetError):
                return None

        deadline = time.monotonic() + WAIT
        in_netns(ns, lambda: poll("prometheus to be ready", ready, deadline))
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=WAIT)


def query(port: int, promql: str, at: float) -> list[dict[str, Any]]:
    """Prometheus's /api/v1/query for ``promql`` at time ``at`` (run inside the namespace)."""
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode(
        {"query": promql, "time": f"{at:.3f}"}
    )
    with urllib.request.urlopen(url, timeout=WAIT) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def ss_lines(ns: NetNS, *args: str) -> list[str]:
    done = ns.run(["ss", "-tanH", *args])
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().splitlines()


def expected_connections(holder_sockets: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """(port, direction, state) -> count for the holder's TCP sockets, by the exporter's rule:
    inbound on a port something listens on, else outbound to the remote port."""
    listening = {s["local"][1] for s in holder_sockets if s["state"] == "LISTEN"}
    counts: dict[tuple[str, str, str], int] = {}
    for s in holder_sockets:
        if s["proto"] != "tcp" or s["state"] == "LISTEN":
            continue
        inbound = s["local"][1] in listening
        port = s["local"][1] if inbound else s["remote"][1]
        key = (str(port), "inbound" if inbound else "outbound", s["state"].lower())
        counts[key] = counts.get(key, 0) + 1
    return counts


# --- a real Prometheus server ----------------------------------------------------------------

SPEC = {
    "sockets": [
        {"id": "queue", "kind": "tcp_listen", "pending": 3},  # 3 waiting in its accept queue
        {"id": "pair", "kind": "tcp_established", "count": 4},
        {"id": "tw", "kind": "tcp_time_wait", "count": 2},
    ]
}


def test_prometheus_scrapes_the_sockets_we_opened(netns: NetNS, tmp_path: Path) -> None:
    holder = netns.spawn_holder(SPEC)
    queue_port = holder.one("queue", "listener")["local"][1]
    noise = (EXPORTER_PORT, PROMETHEUS_PORT)  # the scrapes' and our queries' own connections
    with (
        exporter(netns, tmp_path),
        prometheus(netns, tmp_path, EXPORTER_PORT) as prom,
    ):
        # Wait for a scrape, then evaluate every query at that scrape's own timestamp: all
        # of them then see that one scrape (a later one could land between two queries).
        wanted_series = f'timestamp(pnetstat_listen_queue_length{{port="{queue_port}"}})'

        def scraped() -> float | None:
            found = query(prom, wanted_series, time.time())
            return float(found[0]["value"][1]) if found else None

        deadline = time.monotonic() + WAIT
        at = in_netns(netns, lambda: poll("a scrape by Prometheus", scraped, deadline))

        def ask() -> dict[str, list[dict[str, Any]]]:
            names = ("up", "pnetstat_tcp_connections", "pnetstat_listen_queue_length",
                     "pnetstat_connections")  # fmt: skip
            return {name: query(prom, name, at) for name in names}

        answers = in_netns(netns, ask)
        not_noise = (
            "( " + " and ".join(f"not sport = :{p} and not dport = :{p}" for p in noise) + " )"
        )
        ss_counts = {
            state: len(ss_lines(netns, "state", ss_state, not_noise))
            for state, ss_state in (("established", "established"), ("time_wait", "time-wait"))
        }
        listeners = ss_lines(netns, "state", "listening")  # while ours still listen

    assert [float(r["value"][1]) for r in answers["up"]] == [1.0]
    wanted = expected_connections(holder.sockets)
    connections = {
        (r["metric"]["port"], r["metric"]["direction"], r["metric"]["state"]): float(r["value"][1])
        for r in answers["pnetstat_connections"]
        if r["metric"]["protocol"] == "tcp"
    }
    ours = {key: value for key, value in connections.items() if int(key[0]) not in noise}
    assert ours == wanted
    assert wanted[(str(queue_port), "inbound", "established")] == 3  # the unaccepted ones

    # Per state: the exporter's count less the noise ports' equals ss's count without them.
    states = {
        r["metric"]["state"]: float(r["value"][1]) for r in answers["pnetstat_tcp_connections"]
    }
    for state, ss_count in ss_counts.items():
        from_noise = sum(v for k, v in connections.items() if k[2] == state and int(k[0]) in noise)
        held = sum(v for k, v in wanted.items() if k[2] == state)
        assert states.get(state, 0) - from_noise == ss_count == held, state
    # The queue's, the pairs' and the TIME_WAIT sockets' listeners, the exporter, Prometheus.
    assert states["listen"] == len(listeners) == 1 + 4 + 2 + 2

    # Every listener has its queue series; ours holds the 3 unaccepted connections, as ss says.
    queues = {(r["metric"]["address"], r["metric"]["port"]): float(r["value"][1])
              for r in answers["pnetstat_listen_queue_length"]}  # fmt: skip
    ss_queues = {}
    for line in listeners:
        recv_q, _send_q, local, _peer = line.split()  # no State column with a state filter
        address, _, port = local.rpartition(":")
        ss_queues[(address, port)] = float(recv_q)
    assert queues.keys() == ss_queues.keys()
    assert queues[("127.0.0.1", str(queue_port))] == ss_queues[("127.0.0.1", str(queue_port))] == 3


# --- --textfile against a scrape ----------------------------------------------------------


def test_textfile_equals_a_scrape(tmp_path: Path) -> None:
    # The namespace read holds only the holder's sockets: the exporter serves from a second
    # namespace and reads the first through /proc/PID/net (--source=proc --proc-root), so the
    # scrape's own connection, and the lo counters it moves, are not in what is compared.
    with NetNS() as quiet, NetNS() as server:
        holder = quiet.spawn_holder(
            {"sockets": [
                {"id": "l", "kind": "tcp_listen", "pending": 2},
                {"id": "e", "kind": "tcp_established", "count": 2, "recv_q": 10},
                {"id": "u", "kind": "udp", "connect": True},
                {"id": "x", "kind": "unix", "type": "stream", "path": "s.sock", "listen": True},
            ]}
        )  # fmt: skip
        flags = ("--source=proc", f"--proc-root=/proc/{holder.pid}")
        path = tmp_path / "pnetstat.prom"
        done = server.run([EXPORTER_PYTHON, "-m", "pnetstat", *flags, f"--textfile={path}"])
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
        with exporter(server, tmp_path, *flags) as running:
            scraped = running.scrape()
        written = path.read_text()
    from_file, from_scrape = families(written), families(scraped)
    for found in (from_file, from_scrape):
        assert found.pop("pnetstat_scrape_duration_seconds")[2]
    assert from_file == from_scrape
    port = str(holder.one("l", "listener")["local"][1])
    queue = sample_map(written, "pnetstat_listen_queue_length")
    assert queue[(("address", "127.0.0.1"), ("port", port), ("protocol", "tcp"))] == 2
    # Both ends of the 2 pending connections and of the 2 pairs.
    assert sample_map(written, "pnetstat_tcp_connections")[(("state", "established"),)] == 8
    assert sample_map(written, "pnetstat_series_dropped") == {(): 0}


def test_max_series_folds_into_other_and_counts_the_folded(netns: NetNS, tmp_path: Path) -> None:
    netns.spawn_holder(
        {"sockets": [{"id": f"l{k}", "kind": "tcp_listen", "pending": k} for k in range(1, 5)]}
    )
    path = tmp_path / "folded.prom"
    done = netns.run([EXPORTER_PYTHON, "-m", "pnetstat", "--max-series=2", f"--textfile={path}"])
    assert (done.returncode, done.stderr) == (0, b"")
    text = path.read_text()
    queue = sample_map(text, "pnetstat_listen_queue_length")
    ports = sorted(dict(labels)["port"] for labels in queue)
    assert len(queue) == 2 and "other" in ports, queue
    assert sorted(queue.values()) == [4, 1 + 2 + 3]
    # 8 connection series (each listener's pending connections, inbound and outbound). Their
    # "other" series are one per direction, so keeping any would break the bound of 2: all 8
    # are folded, into 2. The folded count covers those and the queue's 3.
    connections = sample_map(text, "pnetstat_connections")
    assert len(connections) <= 2
    assert sum(connections.values()) == 2 * (1 + 2 + 3 + 4)
    assert {dict(labels)["port"] for labels in connections} == {"other"}
    assert sample_map(text, "pnetstat_series_dropped") == {(): 3 + 8}


# --- failure cases ------------------------------------------------------------------------

CHURN = r"""
import socket, sys
listener = socket.create_server(("127.0.0.1", 0), backlog=512)
port = listener.getsockname()[1]
print("ready", flush=True)
linger = __import__("struct").pack("ii", 1, 0)
n = 0
while True:
    n += 1
    client = socket.create_connection(("127.0.0.1", port))
    server, _ = listener.accept()
    if n % 4:  # mostly RST (no TIME_WAIT pile-up), every fourth a clean close
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    client.close()
    server.close()
    a, b = socket.socketpair()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    for s in (a, b, u):
        s.close()
"""


def test_sockets_vanishing_during_scrapes(netns: NetNS, tmp_path: Path) -> None:
    # Two exporters: sock_diag for TCP (the default) and /proc only, each racing the churn.
    with (
        background_script(netns, CHURN),
        exporter(netns, tmp_path) as netlink,
        exporter(netns, tmp_path, "--source=proc", port=EXPORTER_PORT + 1) as proc,
    ):
        for _ in range(25):
            for running in (netlink, proc):
                found = families(running.scrape())
                assert found["pnetstat_tcp_connections"][2], "no TCP socket at all"
        for running in (netlink, proc):
            assert running.proc.poll() is None
            assert "Traceback" not in running.stderr(), running.stderr()


def test_namespaces_vanishing_between_and_during_scrapes(netns: NetNS, tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        doomed = [stack.enter_context(NetNS()) for _ in range(3)]
        for ns in doomed:
            ns.spawn_holder({"sockets": [{"id": "l", "kind": "tcp_listen", "pending": 1}]})
        running = stack.enter_context(exporter(netns, tmp_path, "--all-netns"))

        def labelled() -> set[str]:
            queue = sample_map(running.scrape(), "pnetstat_listen_queue_length")
            return {dict(labels)["netns"] for labels in queue}

        assert {ns.name for ns in doomed} <= labelled()
        doomed[0].close()  # between two scrapes
        seen = labelled()
        assert doomed[0].name not in seen and doomed[1].name in seen
        # During: a thread deletes the other two while scrapes run back to back.
        deleter = threading.Thread(target=lambda: [ns.close() for ns in doomed[1:]])
        deleter.start()
        try:
            while deleter.is_alive():
                labelled()
        finally:
            deleter.join(WAIT)
        assert not {ns.name for ns in doomed} & labelled()
        assert running.proc.poll() is None
        assert "Traceback" not in running.stderr(), running.stderr()


def test_parallel_scrapes_all_answered(netns: NetNS, tmp_path: Path) -> None:
    netns.spawn_holder(SPEC)
    with exporter(netns, tmp_path) as running:
        results: list[str] = []
        threads = [
            threading.Thread(target=lambda: results.append(running.scrape())) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT * 2)
        assert len(results) == 8
        for text in results:
            assert "pnetstat_listen_queue_length" in families(text)


def test_clients_that_hang_up_mid_response(netns: NetNS, tmp_path: Path) -> None:
    with exporter(netns, tmp_path) as running:

        def hang_up(reset: bool) -> None:
            with socket.create_connection(("127.0.0.1", running.port), timeout=WAIT) as sock:
                sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                if reset:  # close with RST: the response is written to a dead peer
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

        for reset in [False, True] * 10:
            try:
                in_netns(running.ns, lambda reset=reset: hang_up(reset))  # type: ignore[misc]
            except ConnectionRefusedError:
                status = running.proc.wait(timeout=WAIT)
                raise AssertionError(
                    f"the exporter died (status {status}) after a client hung up: "
                    f"{running.stderr()!r}"
                ) from None
        assert "pnetstat_tcp_connections" in families(running.scrape())
        assert running.proc.poll() is None


def test_malformed_request_gets_400_and_the_exporter_serves_on(
    netns: NetNS, tmp_path: Path
) -> None:
    with exporter(netns, tmp_path) as running:

        def send(request: bytes) -> bytes:
            with socket.create_connection(("127.0.0.1", running.port), timeout=WAIT) as sock:
                sock.sendall(request)
                sock.shutdown(socket.SHUT_WR)
                reply = b""
                while chunk := sock.recv(65536):
                    reply += chunk
                return reply

        # An HTTP/1.1 request line with words too many: a 400 with its status line.
        reply = in_netns(running.ns, lambda: send(b"GET /metrics and more HTTP/1.1\r\n\r\n"))
        assert re.match(rb"HTTP/1\.[01] 400 ", reply), reply[:200]
        # Bytes that are no HTTP at all (a TLS hello's start): http.server answers as to
        # HTTP/0.9, the error page without a status line.
        reply = in_netns(running.ns, lambda: send(b"\x16\x03\x01 this is not HTTP\r\n\r\n"))
        assert b"Error code: 400" in reply, reply[:200]
        assert "pnetstat_tcp_connections" in families(running.scrape())
        assert running.proc.poll() is None


def test_sighup_is_ignored_and_sigterm_exits_0_promptly(netns: NetNS, tmp_path: Path) -> None:
    with exporter(netns, tmp_path) as running:
        status = Path(f"/proc/{running.pid}/status").read_text()
        mask = re.search(r"^SigIgn:\s*([0-9a-f]+)$", status, re.M)
        assert mask is not None, status
        ignored = int(mask[1], 16)
        assert ignored & 1 << (signal.SIGHUP - 1), "SIGHUP is not ignored"
        os.kill(running.pid, signal.SIGHUP)
        running.scrape()  # it ran since the signal (so took it) and still serves
        assert running.proc.poll() is None
        started = time.monotonic()
        os.kill(running.pid, signal.SIGTERM)
        assert running.proc.wait(timeout=5) == 0, running.stderr()
        took = time.monotonic() - started
        assert took < 2.0, f"SIGTERM took {took:.2f} s"
        assert running.stderr() == ""


# --- one-line errors ----------------------------------------------------------------------


def test_missing_prometheus_client_is_one_line_with_the_install_command(
    module_netns: NetNS,
) -> None:
    # -S: no site-packages of any kind (the venv's, Debian's dist-packages), so only the
    # standard library and the checkout (PYTHONPATH) are importable.
    argv = [PYTHON, "-S", "-m", "pnetstat", f"--serve=127.0.0.1:{EXPORTER_PORT}"]
    premise = module_netns.run([PYTHON, "-S", "-c", "import prometheus_client"])
    assert b"ModuleNotFoundError" in premise.stderr, "prometheus_client importable with -S"
    done = module_netns.run(argv, timeout=WAIT)
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr == (
        b"pnetstat: the exporter needs prometheus_client: pip install 'pnetstat[exporter]'\n"
    )


@pytest.mark.parametrize(
    "flags",
    [
        ["--serve=nonsense"],
        ["--serve=:0"],
        ["--serve=127.0.0.1:65536"],
        ["--serve=127.0.0.1"],
        [f"--serve=:{EXPORTER_PORT}", "--max-series=0"],
        [f"--serve=:{EXPORTER_PORT}", "--max-series=many"],
        ["--textfile="],
    ],
)
def test_bad_values_are_one_line_with_status_3(module_netns: NetNS, flags: list[str]) -> None:
    done = module_netns.run([EXPORTER_PYTHON, "-m", "pnetstat", *flags], timeout=WAIT)
    assert done.returncode == 3, done.stderr
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pnetstat: --"), lines
