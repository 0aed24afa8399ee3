"""Benchmark: one ``--top`` refresh at N = 5,000 established loopback pairs (10,000 sockets).

In a namespace filled by :meth:`namespace.Namespace.populate`, a thread of this process that
has entered it (bench/exporter.py's ``in_netns``) runs refreshes the way the live view does,
without a terminal: one TCP_INFO dump (``read_tcp_info``), the rates against the previous
refresh, the sort, and the frame laid out as lines (``render_frame``, 120x40; the curses
``draw`` then only copies those lines into its window). ``time.process_time`` around each
refresh gives its CPU time (the dump decodes only the four TCP_INFO fields the rates use); the target is at most 100 ms. The process view adds one walk of
/proc/*/fd (``read_owners``) and the per-process sums: timed apart, as the same refresh with
``p`` pressed.

It writes bench/results/<date>-<host>-top.md (and .json). Its own part, not run by
bench/run.py: ``python bench/top.py [--pairs N] [--refreshes K] [--out PATH]``. Needs root.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from exporter import _exit_on_signal, in_netns
from namespace import BENCH, ROOT, Namespace, machine_facts
from report import write

sys.path.insert(0, str(ROOT))

from pnetstat.live.rates import FIELDS, process_rates, rates, sort_connections, sort_processes
from pnetstat.live.screen import Frame, render_frame
from pnetstat.sources.processes import read_owners
from pnetstat.sources.procfs import ProcFS
from pnetstat.sources.sockdiag.tcpinfo import read_tcp_info

SETUP_TIMEOUT = 300.0


def refreshes(count: int, processes: bool) -> dict[str, Any]:
    """``count`` timed refreshes (after one untimed to have a previous snapshot)."""
    proc = ProcFS("/proc")
    previous, at = read_tcp_info(fields=FIELDS), time.monotonic()
    cpu: list[float] = []
    shown = 0
    for _ in range(count):
        started = time.process_time()
        rows = read_tcp_info(fields=FIELDS)
        now = time.monotonic()
        found = rates(previous, rows, now - at)
        previous, at = rows, now
        frame = Frame("00:00:00", processes, "send", "", sort_connections(found, "send"))
        if processes:
            owners = read_owners(proc).owners
            frame = frame._replace(processes=sort_processes(process_rates(found, owners), "send"))
        render_frame(frame, 120, 40)
        cpu.append(time.process_time() - started)
        shown = len(found)
    return {"cpu_s": cpu, "connections": shown, "sockets": len(previous)}


def render(meta: dict[str, str], found: dict[str, Any]) -> str:
    """The Markdown report.

    >>> found = {"pairs": 5, "holders": 1, "setup_s": 1.0,
    ...          "connections": {"cpu_s": [0.05, 0.06], "connections": 10, "sockets": 11},
    ...          "processes": {"cpu_s": [0.2], "connections": 10, "sockets": 11}}
    >>> print(render({"date": "d"}, found).splitlines()[-2])
    | one refresh, connection view | 55.0 ms | <= 100 ms | PASS |
    """
    conn_ms = statistics.median(found["connections"]["cpu_s"]) * 1000
    proc_ms = statistics.median(found["processes"]["cpu_s"]) * 1000
    lines = [f"# pnetstat --top: one refresh at N = {found['pairs']:,} established pairs", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += [
        f"- setup: {found['setup_s']:.1f} s, {found['holders']} holders; "
        f"{found['connections']['sockets']:,} TCP sockets in the dump, "
        f"{found['connections']['connections']:,} connections listed",
        f"- CPU time (time.process_time) of a refresh: TCP_INFO dump + rates + sort + frame "
        f"layout (120x40); medians of {len(found['connections']['cpu_s'])} refreshes",
        "",
        "| measure | CPU | target | result |",
        "|---|---:|---|---|",
        f"| one refresh, connection view | {conn_ms:.1f} ms | <= 100 ms | "
        f"{'PASS' if conn_ms <= 100 else 'MISS'} |",
        f"| one refresh, process view (adds a /proc/*/fd walk) | {proc_ms:.1f} ms | | |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5_000)
    parser.add_argument("--refreshes", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("bench/top.py needs root", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    meta = machine_facts()
    with Namespace() as ns:
        started = time.monotonic()
        holders = ns.populate(args.pairs, SETUP_TIMEOUT)
        setup = time.monotonic() - started
        found = {
            "pairs": args.pairs, "holders": holders, "setup_s": setup,
            "connections": in_netns(ns.name, lambda: refreshes(args.refreshes, False)),
            "processes": in_netns(ns.name, lambda: refreshes(max(3, args.refreshes // 4), True)),
        }  # fmt: skip
    text = render(meta, found)
    out = args.out or BENCH / "results" / f"{meta['date']}-{meta['host']}-top.md"
    write(text, {"meta": meta, **found}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
