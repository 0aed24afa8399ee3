#!/usr/bin/env python3
"""Copy the socket-relevant files of a live /proc into a fixture tree.

A fixture tree mirrors /proc: ``tests/fixtures/proc/<scenario>/net/tcp`` and so on,
plus optional fake process entries ``<scenario>/<pid>/cmdline`` and
``<scenario>/<pid>/fd/<n>`` (symlinks to ``socket:[INODE]``) so that ``-p`` can be tested.

Usage::

    python3 tests/tools/capture_proc.py SCENARIO [--netns NS | --pid PID]
                                        [--fake-procs SPEC.json] [--root DIR]

``--netns NS`` re-runs this script under ``ip netns exec NS`` (``/proc/net`` shows the
reader's network namespace); ``--pid PID`` reads ``/proc/PID/net`` instead (the
namespace of that process). Without either, the caller's own namespace is captured.

The fake-process spec is JSON: ``{"<pid>": {"cmdline": [argv...] | "cmdline_b64": "...",
"fds": {"<n>": "<symlink target>"}, "no_fd_dir": false}}``. A ``cmdline`` list is
written NUL-terminated (``"a\\0b\\0"``, as the kernel does); ``cmdline_b64`` gives the
exact bytes (for rewritten titles, empty files or non-UTF-8 bytes).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

#: The socket listings netstat reads (Appendix B of netstat-behavior.md).
SOCKET_FILES = (
    "tcp",
    "tcp6",
    "udp",
    "udp6",
    "udplite",
    "udplite6",
    "raw",
    "raw6",
    "unix",
)
#: Copied when present, for the -s / -r / -i / -g work that comes later.
EXTRA_FILES = (
    "snmp",
    "snmp6",
    "netstat",
    "route",
    "ipv6_route",
    "igmp",
    "igmp6",
    "dev",
    "if_inet6",
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def copy_net_files(src_net: Path, dest_net: Path) -> list[str]:
    """Copy every known file that exists in ``src_net`` to ``dest_net``; return the names.

    /proc files report size 0, so they are read whole rather than copied with shutil.
    """
    dest_net.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in SOCKET_FILES + EXTRA_FILES:
        try:
            data = (src_net / name).read_bytes()
        except FileNotFoundError:
            continue
        (dest_net / name).write_bytes(data)
        copied.append(name)
    return copied


def cmdline_bytes(spec: dict[str, Any]) -> bytes:
    """Return the raw /proc/PID/cmdline content described by one fake-process spec."""
    if "cmdline_b64" in spec:
        return base64.b64decode(spec["cmdline_b64"])
    argv = spec.get("cmdline", [])
    return b"".join(os.fsencode(arg) + b"\0" for arg in argv)


def write_fake_procs(scenario_dir: Path, procs: dict[str, dict[str, Any]]) -> None:
    """Create ``<pid>/cmdline`` and ``<pid>/fd/<n>`` symlinks under ``scenario_dir``.

    Existing pid directories are replaced so that re-running is idempotent.
    """
    for pid, spec in procs.items():
        if not pid.isdigit():
            raise ValueError(f"fake pid must be all digits: {pid!r}")
        pid_dir = scenario_dir / pid
        if pid_dir.exists():
            shutil.rmtree(pid_dir)
        pid_dir.mkdir(parents=True)
        (pid_dir / "cmdline").write_bytes(cmdline_bytes(spec))
        if spec.get("no_fd_dir"):
            continue
        fd_dir = pid_dir / "fd"
        fd_dir.mkdir()
        for fd, target in spec.get("fds", {}).items():
            os.symlink(target, fd_dir / fd)


def remove_pid_dirs(scenario_dir: Path) -> None:
    """Remove all-digit entries (fake processes) from a scenario directory."""
    if not scenario_dir.is_dir():
        return
    for entry in scenario_dir.iterdir():
        if entry.name.isdigit():
            shutil.rmtree(entry)


def capture(scenario: str, *, src_net: Path, root: Path, fake_procs: dict[str, Any] | None) -> Path:
    """Capture ``src_net`` into ``root/<scenario>/net`` and add the fake processes."""
    scenario_dir = root / scenario
    net_dir = scenario_dir / "net"
    if net_dir.exists():
        shutil.rmtree(net_dir)
    remove_pid_dirs(scenario_dir)
    copied = copy_net_files(src_net, net_dir)
    if fake_procs:
        write_fake_procs(scenario_dir, fake_procs)
    print(f"{scenario}: copied {' '.join(copied)}", file=sys.stderr)
    return scenario_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--netns", help="network namespace to capture (via ip netns exec)")
    where.add_argument("--pid", type=int, help="capture /proc/PID/net")
    parser.add_argument("--proc", default="/proc", help="proc root to read (default /proc)")
    parser.add_argument("--fake-procs", type=Path, help="JSON spec of fake pid entries")
    parser.add_argument("--root", type=Path, default=FIXTURES / "proc", help="fixture proc root")
    args = parser.parse_args(argv)

    if args.netns:
        rest = [a for a in (argv if argv is not None else sys.argv[1:])]
        i = rest.index("--netns") if "--netns" in rest else None
        if i is not None:
            del rest[i : i + 2]
        else:
            rest = [a for a in rest if not a.startswith("--netns=")]
        cmd = ["ip", "netns", "exec", args.netns, sys.executable, __file__, *rest]
        return subprocess.call(cmd)

    proc = Path(args.proc)
    src_net = proc / str(args.pid) / "net" if args.pid else proc / "net"
    fake = json.loads(args.fake_procs.read_text()) if args.fake_procs else None
    capture(args.scenario, src_net=src_net, root=args.root, fake_procs=fake)
    return 0


if __name__ == "__main__":
    sys.exit(main())
