"""Benchmark: pnetstat against netstat and ss, side by side, on N established TCP pairs.

For each N it builds a network namespace holding N loopback TCP pairs (2N TCP sockets, spread
over holder processes because one process may hold ~20,000 fds, from several source
addresses) and N unix sockets, then times each command inside the namespace, interleaved,
several times, and prints medians, ratios and peak RSS. It also compares an idle
`pnetstat -tan` with the interpreter's own start-up. Results go to bench/results/.

    python3 bench/run.py [--sizes 1000,10000,100000] [--repeat K] [--quick] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from netns import NetNS, pinned_env  # noqa: E402

PYTHON = os.path.realpath(sys.executable)
PAIRS_PER_HOLDER = 9000  # 2 fds per pair: well under the ~20,000 fds one process may hold
UNIX_PAIRS_PER_HOLDER = 9000


def _pnetstat(*flags: str) -> list[str]:
    return [PYTHON, "-m", "pnetstat", *flags]


COMMANDS: dict[str, list[str]] = {
    "netstat -tan": ["netstat", "-tan"],
    "ss -tan": ["ss", "-tan"],
    "pnetstat -tan": _pnetstat("-tan"),
    "pnetstat -tan --source=proc": _pnetstat("-tan", "--source=proc"),
    "netstat -tanp": ["netstat", "-tanp"],
    "ss -tanp": ["ss", "-tanp"],
    "pnetstat -tanp": _pnetstat("-tanp"),
    "netstat -xa": ["netstat", "-xa"],
    "ss -xa": ["ss", "-xa"],
    "pnetstat -xa": _pnetstat("-xa"),
    "netstat -uan": ["netstat", "-uan"],
    "ss -uan": ["ss", "-uan"],
    "pnetstat -uan": _pnetstat("-uan"),
}
TARGETS = [  # (N, pnetstat command, reference, maximum ratio)
    (10_000, "pnetstat -tan", "netstat -tan", 1.0),
    (100_000, "pnetstat -tan", "netstat -tan", 0.8),
    (100_000, "pnetstat -tanp", "netstat -tanp", 0.4),
    (100_000, "pnetstat -xa", "netstat -xa", 1.0),
]


def _populate(ns: NetNS, pairs: int) -> list[subprocess.Popen[bytes]]:
    holders = []
    remaining_tcp, remaining_unix, index = pairs, pairs // 2, 0
    while remaining_tcp > 0 or remaining_unix > 0:
        tcp = min(remaining_tcp, PAIRS_PER_HOLDER)
        unix = min(remaining_unix, UNIX_PAIRS_PER_HOLDER - tcp)
        source = f"127.0.{1 + index // 250}.{1 + index % 250}"
        holder = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, PYTHON, str(ROOT / "bench" / "holder.py"),
             source, str(tcp), str(max(unix, 0))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=pinned_env(),
            start_new_session=True,
        )  # fmt: skip
        holders.append(holder)
        remaining_tcp -= tcp
        remaining_unix -= max(unix, 0)
        index += 1
    for holder in holders:
        assert holder.stdout is not None
        if holder.stdout.readline() != b"ready\n":
            raise RuntimeError("a holder failed to open its sockets")
    return holders


def _stop(holders: list[subprocess.Popen[bytes]]) -> None:
    for holder in holders:
        holder.kill()
        holder.wait(timeout=60)
        for stream in (holder.stdin, holder.stdout):
            if stream is not None:
                stream.close()


def _time(ns: NetNS, commands: dict[str, list[str]], repeat: int) -> dict[str, Any]:
    request = json.dumps({"commands": commands, "repeat": repeat}).encode()
    done = ns.run([PYTHON, str(ROOT / "bench" / "driver.py")], input=request, timeout=3600)
    if done.returncode:
        raise RuntimeError(done.stderr.decode())
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _median_ms(samples: dict[str, list[float]]) -> float:
    return statistics.median(samples["times"]) * 1000


def measure(sizes: list[int], repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {"sizes": {}}
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "pnetstat")], check=True)
    for size in sizes:
        with NetNS() as ns:
            start = time.monotonic()
            holders = _populate(ns, size)
            try:
                setup = time.monotonic() - start
                _time(ns, {k: v for k, v in COMMANDS.items() if "pnetstat" in k}, 1)  # warm-up
                runs = repeat if size < 100_000 else max(3, repeat // 2)
                timed = _time(ns, COMMANDS, runs)
                results["sizes"][size] = {"setup_s": setup, "runs": runs, "commands": timed}
            finally:
                _stop(holders)
    with NetNS() as ns:
        idle = {"python -c pass": [PYTHON, "-c", "pass"], "pnetstat -tan (idle)": _pnetstat("-tan"),
                "netstat -tan (idle)": ["netstat", "-tan"]}  # fmt: skip
        results["idle"] = _time(ns, idle, max(repeat * 4, 11))
    return results


def report(results: dict[str, Any]) -> str:
    lines = []
    for size, data in results["sizes"].items():
        commands = data["commands"]
        lines.append(f"\n### N = {int(size):,} pairs ({2 * int(size):,} TCP sockets, "
                     f"{int(size):,} unix sockets; setup {data['setup_s']:.1f} s, "
                     f"median of {data['runs']})\n")  # fmt: skip
        lines.append("| command | median ms | vs netstat | vs ss | peak RSS MiB |")
        lines.append("|---|---:|---:|---:|---:|")
        for label, samples in commands.items():
            view = label.split()[1]
            ours = _median_ms(samples)
            netstat = _median_ms(commands[f"netstat {view}"])
            ss = _median_ms(commands[f"ss {view}"])
            rss = max(samples["rss_kib"]) / 1024
            lines.append(f"| `{label}` | {ours:.1f} | {ours / netstat:.2f}x | "
                         f"{ours / ss:.2f}x | {rss:.1f} |")  # fmt: skip
    idle = results["idle"]
    base, ours = _median_ms(idle["python -c pass"]), _median_ms(idle["pnetstat -tan (idle)"])
    lines.append("\n### Start-up (empty namespace)\n")
    lines.append("| command | median ms |\n|---|---:|")
    for label, samples in idle.items():
        lines.append(f"| `{label}` | {_median_ms(samples):.1f} |")
    lines.append(f"\nidle pnetstat -tan - python -c pass = {ours - base:.1f} ms (target <= 15 ms: "
                 f"{'PASS' if ours - base <= 15 else 'MISS'})")  # fmt: skip
    lines.append("\n### Targets\n")
    lines.append("| N | ratio | target | result |\n|---:|---|---:|---|")
    for size, label, reference, limit in TARGETS:
        data = results["sizes"].get(size) or results["sizes"].get(str(size))
        if data is None:
            continue
        ratio = _median_ms(data["commands"][label]) / _median_ms(data["commands"][reference])
        verdict = "PASS" if ratio <= limit else "MISS"
        lines.append(
            f"| {size:,} | `{label}` / `{reference}` = {ratio:.2f} | <= {limit} | {verdict} |"
        )
    big = results["sizes"].get(100_000) or results["sizes"].get("100000")
    if big is not None:
        rss = max(big["commands"]["pnetstat -tan"]["rss_kib"]) / 1024
        lines.append(f"| 100,000 | peak RSS of `pnetstat -tan` = {rss:.1f} MiB | <= 64 MiB | "
                     f"{'PASS' if rss <= 64 else 'MISS'} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _versions() -> str:
    netstat = subprocess.run(["netstat", "-V"], capture_output=True, text=True).stdout.split("\n")[
        0
    ]
    ss = subprocess.run(["ss", "-V"], capture_output=True, text=True).stdout.strip()
    return (f"date {datetime.date.today()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
            f"Python {platform.python_version()} ({PYTHON}), {netstat}, {ss}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="N = 1000 only")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print(
            "bench/run.py needs root and iproute2 (it builds network namespaces)", file=sys.stderr
        )
        return 2
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    results = measure(sizes, args.repeat)
    text = f"# pnetstat benchmark\n\n{_versions()}\n" + report(results)
    print(text)
    out = args.out or ROOT / "bench" / "results" / (
        f"{datetime.date.today()}-{platform.node() or 'host'}.md")  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
