"""Time commands side by side, in the namespace it runs in (no `ip netns exec` per run).

Reads a JSON request on stdin::

    {"commands": {label: argv}, "repeat": K, "timeout": seconds, "rss": "/usr/bin/time" | null}

runs the commands interleaved K times (the order rotated each round, so no command always
follows the same one), output to /dev/null, and prints
``{label: {"times": [s...], "rss_kib": [...], "status": [...]}}`` as JSON.

Peak RSS: a child forked or spawned from this Python inherits its memory high-water mark
(the kernel records the old mm's peak at exec), so ``ru_maxrss`` from ``wait4`` would never
read below this interpreter's own ~13 MiB. ``/usr/bin/time -f %M`` is a small C program whose
child starts from its small footprint, so with ``"rss"`` set each command runs under it; the
wrapper's own cost (well under a millisecond here) is the same for every row and is reported.
Without it the RSS column falls back to ``ru_maxrss`` (a floor of this driver's size).
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import tempfile
import time
from typing import Any


def run(argv: list[str], timeout: float, rss_tool: str | None) -> tuple[float, int, int]:
    """Run ``argv`` once, output to /dev/null; return (seconds, peak RSS KiB, exit status)."""
    null = os.open(os.devnull, os.O_RDWR)
    report_fd, report_path = tempfile.mkstemp(prefix="pnetstat-bench-rss-")
    os.close(report_fd)
    if rss_tool is not None:
        argv = [rss_tool, "-f", "%M", "-o", report_path, *argv]
    try:
        start = time.perf_counter()
        pid = os.posix_spawnp(
            argv[0], argv, dict(os.environ),
            file_actions=[(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1),
                          (os.POSIX_SPAWN_DUP2, null, 2)],
        )  # fmt: skip
        _wait_bounded(pid, timeout)
        _pid, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
        rss = usage.ru_maxrss
        if rss_tool is not None:
            with open(report_path) as report:  # "Command exited with non-zero status N" first
                words = report.read().split()
            rss = int(words[-1]) if words else 0  # nothing if the wrapper was killed (timeout)
    finally:
        os.close(null)
        os.unlink(report_path)
    return elapsed, rss, os.waitstatus_to_exitcode(status)


def _wait_bounded(pid: int, timeout: float) -> None:
    """Block until ``pid`` exits (without reaping it), killing it after ``timeout`` seconds."""
    pidfd = os.pidfd_open(pid)
    try:
        if not select.select([pidfd], [], [], timeout)[0]:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(pidfd)


def main() -> None:
    """Serve one JSON request from stdin (see the module docstring)."""
    request: dict[str, Any] = json.load(sys.stdin)
    commands: dict[str, list[str]] = request["commands"]
    results: dict[str, dict[str, list[float]]] = {
        label: {"times": [], "rss_kib": [], "status": []} for label in commands
    }
    labels = list(commands)
    for round_ in range(request["repeat"]):
        shift = round_ % len(labels)
        for label in labels[shift:] + labels[:shift]:
            elapsed, rss, status = run(commands[label], request["timeout"], request.get("rss"))
            results[label]["times"].append(elapsed)
            results[label]["rss_kib"].append(rss)
            results[label]["status"].append(status)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
