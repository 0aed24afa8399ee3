"""Benchmark: pnetstat against netstat and ss, side by side, at N = 1k, 10k, 100k TCP pairs.

For each N it builds a network namespace ``pnetstat-bench-<hex>`` holding N established
loopback TCP pairs (2N TCP sockets, from several source addresses), N unix sockets and some
UDP sockets, spread over holder processes for the per-process fd limit (bench/namespace.py).
A timing driver inside the namespace (bench/driver.py) then runs `netstat`, `ss` and
`pnetstat` with -tan, -tanp, -xa and -uan (and `pnetstat --source=netlink|proc` when this
pnetstat has that option), interleaved, several times, output to /dev/null. It also times
interpreter start-up (`python -c pass`) beside an idle `pnetstat -tan` in an empty namespace,
and what `ip netns exec` and the RSS wrapper cost. It prints a Markdown table of medians,
ratios and peak RSS, with PASS/MISS for the issue's targets, and writes it (plus the raw
samples as JSON) to bench/results/<date>-<host>.md.

Then bench/namespaces.py times ``pnetstat --all-netns -tan`` and ``-tanp`` over 100 network
namespaces of 1,000 pairs each against netstat and ss run in each namespace in turn, and
writes bench/results/<date>-<host>-netns.md (and .json).

Then bench/filters.py times a filter that matches four sockets, ``pnetstat -tan sport = :P``
and ``-tanp``, at N = 100,000 pairs against ``ss -tan sport = :P`` and ``netstat -tan[p] |
grep :P``, and writes bench/results/<date>-<host>-filters.md (and .json).

Last bench/startup.py times, in an empty namespace on Debian's /usr/bin/python3, the installed
console script's idle ``pnetstat -tan`` against ``python3 -c pass`` and ``python3 -S
pnetstat.pyz -tan`` against ``python3 -S -c pass`` (the wheel, a venv and the zipapp built in a
temporary directory), with ``-X importtime`` traces, and writes
bench/results/<date>-<host>-startup.md (and .json). ``--only sizes``, ``--only netns``,
``--only filters`` or ``--only startup`` runs one part.

    python3 bench/run.py [--sizes 1000,10000,100000] [--repeat K] [--quick] [--out PATH]
                         [--only sizes|netns|filters|startup] [--netns-repeat K]
                         [--netns-repeat-p K] [--filters-repeat K] [--filters-repeat-p K]
                         [--startup-repeat K]

Needs root, iproute2 and net-tools. Everything it makes is removed on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import filters
import namespaces
import startup
from namespace import BENCH, PYTHON, ROOT, UDP_PER_HOLDER, Namespace, bench_env, plan_holders
from report import (
    IDLE_PNETSTAT,
    IDLE_PYTHON,
    render,
    render_filters,
    render_netns,
    render_startup,
    write,
)

VIEWS = ["-tan", "-tanp", "-xa", "-uan"]
RSS_TOOL = "/usr/bin/time"
COMMAND_TIMEOUT = 600.0  # netstat -tanp at N = 100,000 takes about a minute here
SETUP_TIMEOUT_BASE = 60.0  # plus a second per thousand pairs; 100k pairs take ~5 s here


def pnetstat(*flags: str) -> list[str]:
    """argv of pnetstat from this checkout, on the resolved interpreter."""
    return [PYTHON, "-m", "pnetstat", *flags]


def has_source_option() -> bool:
    """True if this pnetstat documents ``--source`` (it is being added concurrently)."""
    done = subprocess.run(
        pnetstat("--help"), capture_output=True, text=True, env=bench_env(), timeout=60
    )
    return "--source" in done.stdout


def commands(sources: bool) -> dict[str, list[str]]:
    """Every timed command by label, grouped by view: netstat, ss, pnetstat (and variants)."""
    table: dict[str, list[str]] = {}
    for flags in VIEWS:
        table[f"netstat {flags}"] = ["netstat", flags]
        table[f"ss {flags}"] = ["ss", flags]
        table[f"pnetstat {flags}"] = pnetstat(flags)
        for source in ("netlink", "proc") if sources else ():
            table[f"pnetstat {flags} --source={source}"] = pnetstat(flags, f"--source={source}")
    return table


def rss_tool() -> str | None:
    """GNU time if it is here and prints %M, else None (the driver falls back to ru_maxrss)."""
    if not os.access(RSS_TOOL, os.X_OK):
        return None
    done = subprocess.run([RSS_TOOL, "-f", "%M", "true"], capture_output=True, text=True)
    return RSS_TOOL if done.stderr.strip().isdigit() else None


def drive(
    argv_prefix: list[str],
    table: dict[str, list[str]],
    repeat: int,
    rss: str | None,
    timeout: float = COMMAND_TIMEOUT,
) -> dict[str, Any]:
    """Run bench/driver.py (inside a namespace if ``argv_prefix`` says so) on ``table``; a
    command still running after ``timeout`` seconds is killed (exit -9, its time a floor)."""
    request = {"commands": table, "repeat": repeat, "timeout": timeout, "rss": rss}
    done = subprocess.run(
        [*argv_prefix, PYTHON, str(BENCH / "driver.py")],
        input=json.dumps(request).encode(),
        stdout=subprocess.PIPE,
        env=bench_env(),
        timeout=timeout * len(table) * repeat + 60,
    )
    if done.returncode:
        raise RuntimeError(f"bench/driver.py failed with status {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def measure_idle(table: dict[str, list[str]], repeat: int, rss: str | None) -> dict[str, Any]:
    """Warm every command up (byte code, page cache), then time start-up in an empty namespace
    and the cost of `ip netns exec` and of the RSS wrapper in the root namespace."""
    idle = {
        IDLE_PYTHON: [PYTHON, "-c", "pass"],
        IDLE_PNETSTAT: pnetstat("-tan"),
        # Without site: what is left once this host's site-packages .pth files are not run.
        "python -S -c pass": [PYTHON, "-S", "-c", "pass"],
        "pnetstat -tan (idle, python -S)": [PYTHON, "-S", "-m", "pnetstat", "-tan"],
        "netstat -tan (idle)": ["netstat", "-tan"],
        "ss -tan (idle)": ["ss", "-tan"],
    }
    with Namespace() as ns:
        prefix = ns.argv([])
        drive(prefix, table, 1, rss)
        found = drive(prefix, idle, repeat, rss)
        overhead = {
            "true": ["true"],
            f"{RSS_TOOL} -f %M true": [RSS_TOOL, "-f", "%M", "-o", os.devnull, "true"],
            "ip netns exec NS true": ns.argv(["true"]),
        }
        if rss is None:
            del overhead[f"{RSS_TOOL} -f %M true"]
        return {"idle": found, "overhead": drive([], overhead, repeat, None)}


def measure_size(n: int, table: dict[str, list[str]], repeat: int, rss: str | None) -> Any:
    """Fill a namespace with N pairs, time ``table`` in it; record setup/timing/teardown."""
    started = time.monotonic()
    with Namespace() as ns:
        holders = ns.populate(n, SETUP_TIMEOUT_BASE + n / 1000)
        setup = time.monotonic() - started
        print(f"N={n}: setup {setup:.1f} s ({holders} holders); timing {repeat} rounds",
              file=sys.stderr, flush=True)  # fmt: skip
        timed = drive(ns.argv([]), table, repeat, rss)
        timing = time.monotonic() - started - setup
        closing = time.monotonic()
    teardown = time.monotonic() - closing
    print(f"N={n}: timing {timing:.1f} s, teardown {teardown:.1f} s", file=sys.stderr, flush=True)
    return {"setup_s": setup, "timing_s": timing, "teardown_s": teardown, "holders": holders,
            "udp": holders * UDP_PER_HOLDER, "runs": repeat, "commands": timed}  # fmt: skip


def _first_line(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0]


def machine(rss: str | None, sources: bool) -> dict[str, str]:
    """Where and how this run was made: the report's header."""
    models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
              .splitlines() if line.startswith("model name")]  # fmt: skip
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "pnetstat"], capture_output=True)
    return {
        "date": datetime.date.today().isoformat(),
        "host": platform.node() or "host",
        "CPUs": f"{os.cpu_count()} ({models[0] if models else platform.machine()})",
        "kernel": f"Linux {platform.release()}",
        "Python": f"{platform.python_version()} ({PYTHON})",
        "netstat": _first_line(["netstat", "-V"]),
        "ss": _first_line(["ss", "-V"]),
        "pnetstat": commit.stdout.strip() + (" + uncommitted changes" if dirty.stdout else ""),
        "pnetstat --source": "variants timed" if sources else "option absent, variants skipped",
        "method": "each command run by bench/driver.py inside the namespace (no `ip netns "
        "exec` per run), stdout and stderr to /dev/null, commands interleaved; medians",
        "peak RSS": f"`{rss} -f %M` around each run (its cost is in every time: last table)"
        if rss
        else "ru_maxrss from wait4 (a floor: the driver's own RSS)",
    }


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated pair counts (default 1000,10000,100000)")
    parser.add_argument("--repeat", type=int, help="runs per command (default 5; 3 from 100k)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: N = 1000 only")
    parser.add_argument("--out", type=Path, help="report path (default bench/results/...)")
    parts = ["sizes", "netns", "filters", "startup"]
    parser.add_argument("--only", choices=parts, help="run one part only")
    parser.add_argument("--netns-repeat", type=int, default=5, help="netns -tan runs (5)")
    parser.add_argument(
        "--netns-repeat-p",
        type=int,
        default=1,
        help="netns -tanp runs (1: netstat's -tanp loop takes minutes)",
    )
    parser.add_argument("--filters-repeat", type=int, default=5, help="filter -tan runs (5)")
    parser.add_argument(
        "--filters-repeat-p",
        type=int,
        default=3,
        help="filter -tanp runs (3: netstat -tanp takes ~50 s a run at 100k pairs)",
    )
    parser.add_argument(
        "--startup-repeat", type=int, default=21, help="start-up runs per command (21)"
    )
    args = parser.parse_args(argv)
    default = "1000" if args.quick else "1000,10000,100000"
    args.sizes = [int(size) for size in (args.sizes or default).split(",")]
    repeats = [args.repeat or 1, args.netns_repeat, args.netns_repeat_p]
    repeats += [args.filters_repeat, args.filters_repeat_p, args.startup_repeat]
    if any(size < 1 for size in args.sizes) or min(repeats) < 1:
        parser.error("sizes and repeats must be positive")
    for size in args.sizes:
        plan_holders(size)  # fail now, not after the smaller sizes ran
    return args


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    # SystemExit unwinds through every `with Namespace()`, so SIGTERM cleans up like Ctrl-C.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the report; 2 if this machine cannot run it."""
    args = _parse(argv)
    missing = [tool for tool in ("ip", "netstat", "ss") if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing:
        print(f"bench/run.py needs root and ip, netstat, ss (missing: {missing})", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    sources, rss = has_source_option(), rss_tool()
    meta = machine(rss, sources)
    if args.only in (None, "sizes"):
        results: dict[str, Any] = {"meta": meta, "sizes": {}}
        table = commands(sources)
        runs = args.repeat or 5
        results.update(measure_idle(table, 4 * runs + 1, rss))
        for n in args.sizes:
            repeat = args.repeat or (5 if n < 100_000 else 3)
            results["sizes"][str(n)] = measure_size(n, table, repeat, rss)
        write(render(results), results, args.out or _default_out(meta, ""))
    if args.only in (None, "netns"):
        root = {**meta, "method": "each command run by bench/driver.py in the root namespace, "
                "stdout and stderr to /dev/null, commands interleaved; medians"}  # fmt: skip
        netns = namespaces.measure(args.netns_repeat, args.netns_repeat_p, rss, drive)
        results = {"meta": root, "netns": netns}
        out = args.out.with_name(args.out.stem + "-netns.md") if args.out else None
        write(render_netns(results), results, out or _default_out(meta, "-netns"))
    if args.only in (None, "filters"):
        found = filters.measure(args.filters_repeat, args.filters_repeat_p, rss, drive)
        results = {"meta": meta, "filters": found}
        out = args.out.with_name(args.out.stem + "-filters.md") if args.out else None
        write(render_filters(results), results, out or _default_out(meta, "-filters"))
    if args.only in (None, "startup"):
        found = startup.measure(args.startup_repeat, drive)
        skip = ("netstat", "ss", "pnetstat --source", "peak RSS")
        first = {key: value for key, value in meta.items() if key not in skip}
        first["method"] = ("each command run by bench/driver.py inside an empty namespace, "
                           "stdout and stderr to /dev/null, commands interleaved; medians")  # fmt: skip
        results = {"meta": first, "startup": found}
        out = args.out.with_name(args.out.stem + "-startup.md") if args.out else None
        write(render_startup(results), results, out or _default_out(meta, "-startup"))
    return 0


def _default_out(meta: dict[str, str], suffix: str) -> Path:
    return BENCH / "results" / f"{meta['date']}-{meta['host']}{suffix}.md"


if __name__ == "__main__":
    sys.exit(main())
