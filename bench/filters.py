"""Benchmark part three: a narrow ss-language filter at N = 100,000 pairs (issue 14).

In one namespace filled by :meth:`Namespace.populate` (N established loopback TCP pairs, N
unix sockets, some UDP sockets) one more holder listens on 127.0.0.1:``PORT`` with
``MATCH_PAIRS`` connections from 127.0.0.100. ``PORT`` lies above the ephemeral range, so no
other socket has it and no other port has ``:PORT`` as a prefix (``grep :PORT`` matches only
the listener, its accepted connections and their clients). Through bench/driver.py, inside
the namespace, interleaved, it times

- ``pnetstat -tan sport = :PORT`` on Debian's /usr/bin/python3 and on the resolved
  interpreter against ``ss -tan sport = :PORT`` and ``sh -c 'netstat -tan | grep :PORT'``;
- ``pnetstat -tanp sport = :PORT`` on both against ``sh -c 'netstat -tanp | grep :PORT'``.

Before timing, a census runs each listing once and compares pnetstat's rows (local, foreign,
state) with ss's, and the PID column of ``-tanp`` with the holder's pid.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from namespace import UDP_PER_HOLDER, Namespace, bench_env
from namespaces import Drive, compile_package, interpreters

PAIRS = 100_000
PORT = 65000  # above net.ipv4.ip_local_port_range (32768-60999 here): nobody else's port
MATCH_PAIRS = 3  # sport = :PORT matches the listener and its 3 accepted connections
MATCH_SOURCE = "127.0.0.100"  # populate() uses 127.0.0.2 upwards, one per holder
SETUP_TIMEOUT = 160.0  # 100k pairs take ~5 s here
COMMAND_TIMEOUT = 300.0  # netstat -tanp at 100k pairs takes ~50 s here
FILTER = ["sport", "=", f":{PORT}"]
STATES = {"ESTAB": "ESTABLISHED", "LISTEN": "LISTEN"}


def pnetstat_label(flags: str, python: str) -> str:
    """The table's label of ``pnetstat FLAGS sport = :PORT`` on ``python``."""
    return f"pnetstat {flags} sport = :{PORT} ({python})"


def ss_label() -> str:
    """The label of ``ss -tan sport = :PORT``."""
    return f"ss -tan sport = :{PORT}"


def grep_label(flags: str) -> str:
    """The label of ``netstat FLAGS | grep :PORT`` (run through ``sh -c``)."""
    return f"netstat {flags} | grep :{PORT}"


def commands(pythons: dict[str, str], flags: str) -> dict[str, list[str]]:
    """pnetstat with the filter on each interpreter, then the references for ``flags``."""
    table = {pnetstat_label(flags, py): [py, "-m", "pnetstat", flags, *FILTER] for py in pythons}
    if flags == "-tan":
        table[ss_label()] = ["ss", "-tan", *FILTER]
    table[grep_label(flags)] = ["sh", "-c", f"netstat {flags} | grep :{PORT}"]
    return table


def _capture(ns: Namespace, argv: list[str], timeout: float = COMMAND_TIMEOUT) -> str:
    done = subprocess.run(ns.argv(argv), capture_output=True, text=True, env=bench_env(),
                          timeout=timeout, check=True)  # fmt: skip
    return done.stdout


def _netstat_rows(text: str) -> set[tuple[str, str, str]]:
    return {tuple(line.split()[3:6]) for line in text.splitlines() if line.startswith("tcp")}  # type: ignore[misc]


def _ss_rows(text: str) -> set[tuple[str, str, str]]:
    rows = [line.split() for line in text.splitlines()[1:]]
    return {(row[3], row[4], STATES.get(row[0], row[0])) for row in rows if row}


def census(ns: Namespace, pythons: dict[str, str], holder: int) -> dict[str, Any]:
    """Run each listing once: row counts, and whether pnetstat's rows are ss's."""
    ss = _ss_rows(_capture(ns, ["ss", "-tan", *FILTER]))
    found: dict[str, Any] = {
        "ss rows": len(ss),
        "grep lines": len(_capture(ns, ["sh", "-c", f"netstat -tan | grep :{PORT}"]).splitlines()),
        "holder pid": holder,
    }
    for python in pythons:
        for flags in ("-tan", "-tanp"):
            text = _capture(ns, [python, "-m", "pnetstat", flags, *FILTER])
            rows = _netstat_rows(text)
            entry: dict[str, Any] = {"rows": len(rows), "same rows as ss": rows == ss}
            if flags == "-tanp":
                lines = [line.split() for line in text.splitlines() if line.startswith("tcp")]
                pids = {line[6].split("/")[0] for line in lines}
                entry.update({"pids": sorted(pids), "holder's pid": pids == {str(holder)}})
            found[pnetstat_label(flags, python)] = entry
    return found


def measure(repeat: int, repeat_p: int, rss: str | None, drive: Drive) -> dict[str, Any]:
    """Fill a namespace, add the matching holder, time both groups with ``drive``."""
    pythons = interpreters()
    for python in pythons:
        compile_package(python)
    started = time.monotonic()
    with Namespace() as ns:
        holders = ns.populate(PAIRS, SETUP_TIMEOUT)
        pid = ns.hold(MATCH_SOURCE, MATCH_PAIRS, PORT, SETUP_TIMEOUT)
        setup = time.monotonic() - started
        print(f"filters: setup {setup:.1f} s ({holders} + 1 holders); census and timing",
              file=sys.stderr, flush=True)  # fmt: skip
        counted = census(ns, pythons, pid)
        tan, tanp = commands(pythons, "-tan"), commands(pythons, "-tanp")
        warm = {label: argv for label, argv in {**tan, **tanp}.items() if "pnetstat" in label}
        drive(ns.argv([]), warm, 1, rss, COMMAND_TIMEOUT)
        results = {
            "tan": drive(ns.argv([]), tan, repeat, rss, COMMAND_TIMEOUT),
            "tanp": drive(ns.argv([]), tanp, repeat_p, rss, COMMAND_TIMEOUT),
        }
        timing = time.monotonic() - started - setup
        closing = time.monotonic()
    teardown = time.monotonic() - closing
    print(f"filters: timing {timing:.1f} s, teardown {teardown:.1f} s", file=sys.stderr, flush=True)
    return {"pairs": PAIRS, "port": PORT, "match_pairs": MATCH_PAIRS, "holders": holders + 1,
            "udp": holders * UDP_PER_HOLDER, "setup_s": setup, "timing_s": timing,
            "teardown_s": teardown, "runs": repeat, "runs_p": repeat_p, "pythons": pythons,
            "census": counted, "commands": results}  # fmt: skip
