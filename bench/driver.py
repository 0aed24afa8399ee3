"""Time commands side by side, inside the namespace it runs in (no `ip netns exec` per run).

Reads {"commands": {label: argv}, "repeat": K} on stdin; runs the commands interleaved K
times, output to /dev/null; prints {label: {"times": [...s], "rss_kib": [...]}} as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time


def run(argv: list[str]) -> tuple[float, int]:
    # posix_spawn, so the child's peak RSS is the command's own, not a fork of this Python.
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        pid = os.posix_spawnp(
            argv[0], argv, os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)],
        )  # fmt: skip
        _, _status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
    finally:
        os.close(null)
    return elapsed, usage.ru_maxrss


def main() -> None:
    request = json.load(sys.stdin)
    results: dict[str, dict[str, list[float]]] = {
        label: {"times": [], "rss_kib": []} for label in request["commands"]
    }
    for _ in range(request["repeat"]):
        for label, argv in request["commands"].items():
            elapsed, rss = run(argv)
            results[label]["times"].append(elapsed)
            results[label]["rss_kib"].append(rss)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
