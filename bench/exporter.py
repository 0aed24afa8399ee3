"""Benchmark: the exporter (``pnetstat --serve``) at N = 100k established TCP pairs.

In a namespace filled by :meth:`namespace.Namespace.populate` it starts ``python -m pnetstat
--serve=127.0.0.1:PORT`` (on this interpreter: the exporter needs prometheus_client, so run it
from the venv, as ``make bench`` does), then, from a thread of this process that has entered
the namespace (so no ``ip netns exec`` is timed):

* times scrapes (GET /metrics, the whole body read) against ``ss -tan`` (output to /dev/null)
  at the same N, interleaved; the target is a scrape within 1.0 x (ss -tan + 50 ms);
* reads the exporter's RSS (VmRSS) after 10 and after 100 scrapes; the target is at most
  64 MiB, and no growth between the two.

It writes bench/results/<date>-<host>-exporter.md (and .json). Its own part, not run by
bench/run.py (whose smoke test must stay quick): ``python bench/exporter.py [--pairs N]
[--scrapes K] [--out PATH]``. Needs root, iproute2 and ss.
"""

from __future__ import annotations

import argparse
import ctypes
import http.client
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from namespace import BENCH, Namespace, bench_env, machine_facts
from report import write

PORT = 9100  # below the ephemeral range, in a namespace of our own: free
SETUP_TIMEOUT = 300.0
CLONE_NEWNET = 0x40000000  # include/uapi/linux/sched.h
T = TypeVar("T")


def in_netns(name: str, call: Callable[[], T]) -> T:
    """``call()`` on a thread that entered namespace ``name`` (setns moves one thread)."""
    libc = ctypes.CDLL(None, use_errno=True)
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            fd = os.open(f"/run/netns/{name}", os.O_RDONLY | os.O_CLOEXEC)
            try:
                if libc.setns(fd, CLONE_NEWNET):
                    raise OSError(ctypes.get_errno(), "setns")
            finally:
                os.close(fd)
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def scrape() -> tuple[float, int]:
    """One GET /metrics: (seconds, body bytes)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"scrape answered {response.status}")
    finally:
        conn.close()
    return time.perf_counter() - started, len(body)


def ss_tan() -> float:
    started = time.perf_counter()
    subprocess.run(["ss", "-tan"], stdout=subprocess.DEVNULL, check=True, timeout=120)
    return time.perf_counter() - started


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def wait_serving(name: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    def attempt() -> None:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the exporter exited with {proc.returncode}")
            try:
                scrape()
                return
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # polling with a deadline

    in_netns(name, attempt)


def measure(pairs: int, scrapes: int, timing_rounds: int) -> dict[str, Any]:
    """Fill a namespace, start the exporter there, time scrapes and ss, read RSS."""
    with Namespace() as ns:
        started = time.monotonic()
        holders = ns.populate(pairs, SETUP_TIMEOUT)
        setup = time.monotonic() - started
        print(f"N={pairs}: setup {setup:.1f} s ({holders} holders)", file=sys.stderr, flush=True)
        exporter = subprocess.Popen(
            ns.argv([sys.executable, "-m", "pnetstat", f"--serve=127.0.0.1:{PORT}"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=bench_env(),
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_serving(ns.name, exporter, time.monotonic() + 60)  # one scrape: the warm-up
            done = 1
            timed: dict[str, list[float]] = {"scrape": [], "ss -tan": []}
            size = 0
            for _ in range(timing_rounds):
                seconds, size = in_netns(ns.name, scrape)
                timed["scrape"].append(seconds)
                timed["ss -tan"].append(in_netns(ns.name, ss_tan))
            done += timing_rounds
            rss: dict[str, int] = {}
            for mark in (10, scrapes):
                for _ in range(mark - done):
                    in_netns(ns.name, scrape)
                done = max(done, mark)
                rss[str(mark)] = rss_kib(exporter.pid)
                print(f"RSS after {mark} scrapes: {rss[str(mark)]} KiB", file=sys.stderr)
        finally:
            exporter.send_signal(signal.SIGTERM)
            status = exporter.wait(timeout=60)
    return {"pairs": pairs, "holders": holders, "setup_s": setup, "timed": timed,
            "body_bytes": size, "rss_kib": rss, "exit_status": status}  # fmt: skip


def render(meta: dict[str, str], found: dict[str, Any]) -> str:
    """The Markdown report.

    >>> meta = {"date": "d"}
    >>> found = {"pairs": 10, "holders": 1, "setup_s": 1.0, "body_bytes": 5, "exit_status": 0,
    ...          "timed": {"scrape": [0.2, 0.3, 0.4], "ss -tan": [0.1, 0.1, 0.1]},
    ...          "rss_kib": {"10": 30000, "100": 30000}}
    >>> print(render(meta, found).splitlines()[-1])
    | RSS after 100 scrapes | 29.3 MiB | <= 64 MiB, no growth | PASS |
    """
    timed = found["timed"]
    scrape_ms = statistics.median(timed["scrape"]) * 1000
    ss_ms = statistics.median(timed["ss -tan"]) * 1000
    budget = ss_ms + 50
    ratio = scrape_ms / budget
    rss10, rss100 = (found["rss_kib"][k] / 1024 for k in sorted(found["rss_kib"], key=int))
    grew = rss100 > rss10 * 1.05  # 5 %: allocator noise, not growth
    lines = [f"# pnetstat exporter at N = {found['pairs']:,} established pairs", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += [
        f"- setup: {found['setup_s']:.1f} s, {found['holders']} holders; scrape body "
        f"{found['body_bytes']:,} bytes; exporter exit status after SIGTERM "
        f"{found['exit_status']}",
        f"- runs: {len(timed['scrape'])} scrapes and `ss -tan` runs, interleaved (medians)",
        "",
        "| measure | value | target | result |",
        "|---|---:|---|---|",
        f"| one scrape (GET /metrics) | {scrape_ms:.1f} ms | | |",
        f"| `ss -tan` | {ss_ms:.1f} ms | | |",
        f"| scrape / (`ss -tan` + 50 ms) | {ratio:.2f} x | <= 1.0 x | "
        f"{'PASS' if ratio <= 1.0 else 'MISS'} |",
        f"| RSS after 10 scrapes | {rss10:.1f} MiB | <= 64 MiB | "
        f"{'PASS' if rss10 <= 64 else 'MISS'} |",
        f"| RSS after {max(found['rss_kib'], key=int)} scrapes | {rss100:.1f} MiB | "
        f"<= 64 MiB, no growth | {'PASS' if rss100 <= 64 and not grew else 'MISS'} |",
    ]
    return "\n".join(lines) + "\n"


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through `with Namespace()`: it cleans up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=100, help="scrapes before the last RSS")
    parser.add_argument("--rounds", type=int, default=5, help="timed scrape/ss rounds")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or shutil.which("ss") is None or shutil.which("ip") is None:
        print("bench/exporter.py needs root, ip and ss", file=sys.stderr)
        return 2
    if args.scrapes < max(10, args.rounds + 1):
        parser.error("--scrapes must be at least 10 and above --rounds")
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    ss = subprocess.run(["ss", "-V"], capture_output=True, text=True).stdout.strip()
    meta = machine_facts(ss=ss)
    found = measure(args.pairs, args.scrapes, args.rounds)
    text = render(meta, found)
    out = args.out or BENCH / "results" / f"{meta['date']}-{meta['host']}-exporter.md"
    write(text, {"meta": meta, **found}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
