"""Benchmark part two: ``pnetstat --all-netns`` against netstat and ss run once per namespace.

:class:`Fleet` builds 100 network namespaces, 50 named ``pnetstat-bench-<hex>-NN`` (``ip
netns add``) and 50 held only by a process (``unshare --net``, no name), each with ``lo`` up
and 1,000 established loopback TCP pairs opened by one bench/holder.py (2,001 fds; the
process-only namespace's holder is that namespace's only process). :func:`measure` then
compiles pnetstat for each interpreter and, from the root namespace through bench/driver.py,
times ``pnetstat --all-netns -tan`` and ``-tanp`` on Debian's /usr/bin/python3 and on the
resolved interpreter beside one shell loop per reference: ``ip netns exec NAME netstat -tan``
for each named namespace and ``nsenter -t PID -n netstat -tan`` for each process-only one,
one after another (likewise ``ss -tan`` and ``netstat -tanp``).

:meth:`Fleet.close` (also on Ctrl-C or SIGTERM, those signals held off meanwhile) kills the
holders, which ends the process-only namespaces, kills anything else left in the named ones
and deletes them.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from namespace import (
    BENCH,
    NAME_PREFIX,
    PYTHON,
    ROOT,
    RUN_NETNS,
    STOP_TIMEOUT,
    SetupError,
    _ip,
    bench_env,
    wait_ready,
)

NAMED = 50
HELD = 50
PAIRS = 1000  # per namespace, from one holder: 2,001 fds
SOURCE = "127.0.0.2"
DEBIAN_PYTHON = "/usr/bin/python3"
SETUP_TIMEOUT = 180.0  # 100 holders start at once; about 10 s here
# The netstat -tanp loop walks the host's 200,000 fds once per namespace, 7 s or more each
# here: over 600 s in all. It is killed after LOOP_TIMEOUT; its time is then a floor and the
# ratio of pnetstat to it a ceiling, which still decides the target.
LOOP_TIMEOUT = 300.0


class Fleet:
    """NAMED named and HELD process-only namespaces with PAIRS pairs each; a context manager."""

    def __init__(self, named: int = NAMED, held: int = HELD, pairs: int = PAIRS) -> None:
        self.counts = (named, held, pairs)
        self.names: list[str] = []  # created with ip netns add, deleted by close()
        self.holders: list[subprocess.Popen[bytes]] = []
        self.held_pids: list[int] = []

    def __enter__(self) -> Fleet:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _open(self) -> None:
        named, held, pairs = self.counts
        stem = NAME_PREFIX + secrets.token_hex(4)
        if any(path.name.startswith(stem) for path in RUN_NETNS.glob("*")):
            raise SetupError(f"namespaces {stem}-* exist already")
        holder = [PYTHON, str(BENCH / "holder.py"), SOURCE, str(pairs), "0", "0"]
        for i in range(named):
            name = f"{stem}-{i:02d}"
            _ip("netns", "add", name)
            self.names.append(name)
            _ip("-n", name, "link", "set", "lo", "up")
            self._start(["ip", "netns", "exec", name, *holder])  # ip netns exec execs it
        for _ in range(held):
            # unshare and sh exec, so the Popen's pid is the holder and the namespace's owner.
            up = 'ip link set lo up && exec "$@"'
            self._start(["unshare", "--net", "--", "sh", "-c", up, "sh", *holder])
            self.held_pids.append(self.holders[-1].pid)
        print(f"netns fleet {stem}-00..{named - 1:02d} and {held} process-only namespaces",
              file=sys.stderr, flush=True)  # fmt: skip
        wait_ready(self.holders, time.monotonic() + SETUP_TIMEOUT)

    def _start(self, argv: list[str]) -> None:
        # A new session: a Ctrl-C at the terminal reaches us, and we stop them in order.
        self.holders.append(
            subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=bench_env(),
                start_new_session=True,
            )
        )

    def loop(self, *command: str) -> list[str]:
        """One ``sh`` running ``command`` in every namespace in turn (stops at a failure)."""
        steps = [f"ip netns exec {name} {' '.join(command)}" for name in self.names]
        steps += [f"nsenter -t {pid} -n {' '.join(command)}" for pid in self.held_pids]
        return ["sh", "-ec", "\n".join(steps)]

    def close(self) -> None:
        """Kill the holders, delete the named namespaces (idempotent; errors raised last)."""
        held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        errors: list[str] = []
        try:
            for holder in self.holders:
                holder.kill()
            for holder in self.holders:
                try:
                    holder.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    errors.append(f"holder {holder.pid} did not end")
                for stream in (holder.stdin, holder.stdout):
                    if stream is not None:
                        stream.close()
            self.holders.clear()
            self.held_pids.clear()
            while self.names:
                try:
                    _kill_and_delete(self.names[-1])
                except (SetupError, subprocess.TimeoutExpired) as error:
                    errors.append(str(error))
                self.names.pop()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
        if errors:
            raise SetupError("; ".join(errors))


def _kill_and_delete(name: str) -> None:
    """Kill what is still in namespace ``name`` (only this benchmark put processes there)."""
    for pid in _ip("netns", "pids", name).split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    _ip("netns", "del", name)


def interpreters() -> dict[str, str]:
    """Debian's python3 and the resolved one, by path, each with its version (one if same)."""
    found = {}
    for path in (DEBIAN_PYTHON, PYTHON):
        if os.access(path, os.X_OK) and os.path.realpath(path) not in map(os.path.realpath, found):
            version = subprocess.run([path, "-c", "import platform; print(platform.python_version())"],
                                     capture_output=True, text=True, timeout=60)  # fmt: skip
            found[path] = version.stdout.strip()
    return found


def compile_package(python: str) -> None:
    """Byte-compile pnetstat for ``python`` where the timed runs will look for it."""
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "pnetstat")],
                   env=bench_env(), check=True, timeout=300, stdout=subprocess.DEVNULL)  # fmt: skip


def pnetstat_label(flags: str, python: str) -> str:
    """The table's label of ``pnetstat --all-netns FLAGS`` on ``python``."""
    return f"pnetstat --all-netns {flags} ({python})"


def commands(fleet: Fleet, pythons: dict[str, str], flags: str, refs: list[str]) -> Any:
    """``pnetstat --all-netns FLAGS`` on each interpreter and a loop of each reference tool."""
    table = {
        pnetstat_label(flags, py): [py, "-m", "pnetstat", "--all-netns", flags] for py in pythons
    }
    for tool in refs:
        table[f"{tool} {flags} loop"] = fleet.loop(tool, flags)
    return table


def _capture(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, env=bench_env(), timeout=600)
    return done.stdout


def census(fleet: Fleet, python: str) -> dict[str, int]:
    """What one run prints: pnetstat's sections and ESTABLISHED rows against the loop's."""
    ours = _capture([python, "-m", "pnetstat", "--all-netns", "-tan"]).splitlines()
    loop = _capture(fleet.loop("netstat", "-tan")).splitlines()
    return {
        "pnetstat sections": sum(line.startswith("netns: ") for line in ours),
        "pnetstat ESTABLISHED rows": sum(line.endswith("ESTABLISHED") for line in ours),
        "loop namespaces": len(fleet.names) + len(fleet.held_pids),
        "loop ESTABLISHED rows": sum(line.endswith("ESTABLISHED") for line in loop),
    }


# bench/run.py's drive(): time a table of commands (argv prefix, table, rounds, RSS tool, timeout).
Drive = Callable[[list[str], dict[str, list[str]], int, "str | None", float], dict[str, Any]]


def measure(repeat: int, repeat_p: int, rss: str | None, drive: Drive) -> dict[str, Any]:
    """Build the fleet, time everything with ``drive`` (bench/run.py's), tear it down."""
    pythons = interpreters()
    for python in pythons:
        compile_package(python)
    started = time.monotonic()
    with Fleet() as fleet:
        setup = time.monotonic() - started
        named, held, pairs = fleet.counts
        print(f"netns: setup {setup:.1f} s; timing", file=sys.stderr, flush=True)
        tan = commands(fleet, pythons, "-tan", ["netstat", "ss"])
        tanp = commands(fleet, pythons, "-tanp", ["netstat"])
        counted = census(fleet, PYTHON)
        warm = {label: argv for label, argv in {**tan, **tanp}.items() if "pnetstat" in label}
        drive([], warm, 1, rss, LOOP_TIMEOUT)
        results = {
            "tan": drive([], tan, repeat, rss, LOOP_TIMEOUT),
            "tanp": drive([], tanp, repeat_p, rss, LOOP_TIMEOUT),
        }
        timing = time.monotonic() - started - setup
        closing = time.monotonic()
    teardown = time.monotonic() - closing
    print(f"netns: timing {timing:.1f} s, teardown {teardown:.1f} s", file=sys.stderr, flush=True)
    return {"named": named, "held": held, "pairs": pairs, "setup_s": setup, "timing_s": timing,
            "teardown_s": teardown, "runs": repeat, "runs_p": repeat_p, "timeout_s": LOOP_TIMEOUT, "pythons": pythons,
            "census": counted, "commands": results}  # fmt: skip
