"""The benchmark's throw-away network namespace and the holder processes that fill it.

:class:`Namespace` creates ``pnetstat-bench-<hex>`` with ``lo`` up and pinned name-service
files (``ip netns exec`` bind-mounts ``/etc/netns/<name>/<file>`` over ``/etc/<file>``: the
only nameserver is 127.0.0.1 inside the namespace, where nothing listens, so no lookup ever
leaves it). :meth:`Namespace.populate` spreads N TCP pairs, N unix sockets and some UDP
sockets over enough ``holder.py`` processes for the per-process fd limit and waits, with a
deadline, for each to say "ready". :meth:`Namespace.close` (also on Ctrl-C or SIGTERM, with
those signals held off meanwhile) kills the holders and anything else left in the
namespace, deletes it and removes ``/etc/netns/<name>``.

This is a standalone cousin of tests/netns.py (which names its namespaces pnetstat-test-*
and holds a few hand-made sockets rather than hundreds of thousands).
"""

from __future__ import annotations

import ipaddress
import os
import resource
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The real interpreter, not a venv or pyenv shim (a shim adds tens of ms to every run).
PYTHON = os.path.realpath(sys.executable)
NAME_PREFIX = "pnetstat-bench-"
ETC_NETNS = Path("/etc/netns")
RUN_NETNS = Path("/run/netns")
PINNED_ETC = {
    "hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
    "resolv.conf": "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\n"
    "protocols: files\nservices: files\n",
}
FD_MARGIN = 64  # stdio, the interpreter's own files, the listener
MAX_FDS_PER_HOLDER = 18_000  # below the ~20,000 fds one process may hold on this machine
UDP_PER_HOLDER = 8
IP_TIMEOUT = 30.0
STOP_TIMEOUT = 60.0


class SetupError(RuntimeError):
    """The namespace or its holders could not be set up."""


def bench_env() -> dict[str, str]:
    """The environment of every benchmarked command: C locale, the checkout importable.

    Byte code goes to a temp directory so that the benchmark writes nothing into the checkout.
    """
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL": "C",
        "PYTHONPATH": str(ROOT),
        "PYTHONPYCACHEPREFIX": "/tmp/pnetstat-bench-pycache",
    }


@dataclass(frozen=True, slots=True)
class HolderPlan:
    """One holder's share: TCP pairs from ``source``, unix socketpairs, UDP sockets."""

    source: str
    tcp_pairs: int
    unix_pairs: int
    udp: int

    @property
    def fds(self) -> int:
        """File descriptors this share needs."""
        return 2 * self.tcp_pairs + 2 * self.unix_pairs + self.udp + 1


def plan_holders(pairs: int, fd_budget: int = MAX_FDS_PER_HOLDER) -> list[HolderPlan]:
    """Spread ``pairs`` TCP pairs and ``pairs`` unix sockets evenly over as few holders as fit.

    Each holder gets its own source address 127.0.0.2, 127.0.0.3, ... so that no address
    needs more ephemeral ports than the 28,000 of the default range.

    >>> [(p.source, p.tcp_pairs, p.unix_pairs) for p in plan_holders(1000)]
    [('127.0.0.2', 1000, 500)]
    >>> plans = plan_holders(100_000)
    >>> len(plans), max(p.fds for p in plans) <= MAX_FDS_PER_HOLDER, plans[-1].source
    (17, True, '127.0.0.18')
    >>> sum(p.tcp_pairs for p in plans), sum(2 * p.unix_pairs for p in plans)
    (100000, 100000)
    """
    unix_pairs = pairs // 2
    total = 2 * pairs + 2 * unix_pairs
    room = fd_budget - UDP_PER_HOLDER - 1
    count = max(1, -(-total // room))
    first = ipaddress.IPv4Address("127.0.0.2")
    return [
        HolderPlan(
            str(first + i),
            pairs // count + (i < pairs % count),
            unix_pairs // count + (i < unix_pairs % count),
            UDP_PER_HOLDER,
        )
        for i in range(count)
    ]


def _ip(*args: str) -> str:
    done = subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=IP_TIMEOUT, stdin=subprocess.DEVNULL
    )
    if done.returncode:
        raise SetupError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def wait_ready(holders: Sequence[subprocess.Popen[bytes]], deadline: float) -> None:
    """Read one line from every holder, failing at ``deadline`` (no sleeps, bounded)."""
    with selectors.DefaultSelector() as selector:
        for holder in holders:
            assert holder.stdout is not None
            selector.register(holder.stdout, selectors.EVENT_READ, holder)
        waiting = len(holders)
        while waiting:
            left = deadline - time.monotonic()
            events = selector.select(left) if left > 0 else []
            if not events:
                raise SetupError(f"{waiting} holders not ready before the deadline")
            for key, _mask in events:
                holder = key.data
                line = holder.stdout.readline()  # the holder writes its one line at once
                if line != b"ready\n":
                    raise SetupError(f"holder {holder.args[-4:]} failed (see its stderr)")
                selector.unregister(key.fileobj)
                waiting -= 1


class Namespace:
    """A throw-away network namespace ``pnetstat-bench-<hex>``; use as a context manager."""

    def __init__(self) -> None:
        self.name = ""
        self._etc: Path | None = None
        self._created = False
        self._holders: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Namespace:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _open(self) -> None:
        ETC_NETNS.mkdir(mode=0o755, exist_ok=True)
        for _ in range(20):  # an exclusive mkdir claims the name: never reuse another's files
            name = NAME_PREFIX + secrets.token_hex(4)
            if (RUN_NETNS / name).exists():
                continue
            try:
                (ETC_NETNS / name).mkdir(mode=0o755)
            except FileExistsError:
                continue
            self.name, self._etc = name, ETC_NETNS / name
            break
        else:
            raise SetupError("no unused namespace name")
        for fname, text in PINNED_ETC.items():
            if Path("/etc", fname).is_file():  # ip netns exec bind-mounts over existing files only
                (self._etc / fname).write_text(text)
        _ip("netns", "add", self.name)
        self._created = True
        _ip("-n", self.name, "link", "set", "lo", "up")
        print(f"namespace {self.name}", file=sys.stderr, flush=True)

    def argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def run(
        self, argv: Sequence[str], stdin: bytes, timeout: float
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``argv`` inside the namespace with :func:`bench_env`, stdout captured."""
        return subprocess.run(
            self.argv(argv), input=stdin, stdout=subprocess.PIPE, env=bench_env(), timeout=timeout
        )

    def populate(self, pairs: int, timeout: float) -> int:
        """Start the holders for ``pairs`` and wait until all are ready; return their count."""
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        plans = plan_holders(pairs, min(MAX_FDS_PER_HOLDER, hard - FD_MARGIN))
        for plan in plans:
            self._start_holder(
                [plan.source, str(plan.tcp_pairs), str(plan.unix_pairs), str(plan.udp)]
            )
        wait_ready(self._holders, time.monotonic() + timeout)
        return len(plans)

    def hold(self, source: str, tcp_pairs: int, port: int, timeout: float) -> int:
        """Start one more holder: ``tcp_pairs`` pairs from ``source`` to its listener on
        127.0.0.1:``port`` (no unix or UDP sockets); wait until it is ready; return its pid."""
        holder = self._start_holder([source, str(tcp_pairs), "0", "0", str(port)])
        wait_ready([holder], time.monotonic() + timeout)
        return holder.pid  # ip netns exec execs the holder, so this pid is the holder itself

    def _start_holder(self, share: list[str]) -> subprocess.Popen[bytes]:
        # A new session: a Ctrl-C at the terminal reaches us, and we stop them in order.
        holder = subprocess.Popen(
            self.argv([PYTHON, str(BENCH / "holder.py"), *share]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=bench_env(),
            start_new_session=True,
        )
        self._holders.append(holder)
        return holder

    def close(self) -> None:
        """Kill everything in the namespace, delete it and its /etc files (idempotent)."""
        # A second Ctrl-C must not cut the cleanup short: hold the signals until it is done.
        held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            self._stop_holders()
            if self._created:
                self._kill_leftovers()
                _ip("netns", "del", self.name)
                self._created = False
            if self._etc is not None:
                shutil.rmtree(self._etc, ignore_errors=True)
                self._etc = None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def _stop_holders(self) -> None:
        for holder in self._holders:
            holder.kill()  # ip netns exec execs the holder, so this pid is the holder itself
        for holder in self._holders:
            holder.wait(timeout=STOP_TIMEOUT)
            for stream in (holder.stdin, holder.stdout):
                if stream is not None:
                    stream.close()
        self._holders.clear()

    def _kill_leftovers(self) -> None:
        """Kill what is still in the namespace: only this benchmark ever put processes there."""
        for pid in _ip("netns", "pids", self.name).split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def machine_facts(**extra: str) -> dict[str, str]:
    """What a report says of the run: date, host, CPUs, kernel, Python and pnetstat's commit,
    then ``extra`` (another tool's version...)."""
    import datetime
    import platform

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True)  # fmt: skip
    facts = {
        "date": datetime.date.today().isoformat(),
        "host": platform.node() or "host",
        "CPUs": str(os.cpu_count()),
        "kernel": f"Linux {platform.release()}",
        "Python": f"{platform.python_version()} ({sys.executable})",
        **extra,
        "pnetstat": commit.stdout.strip(),
    }
    return facts
