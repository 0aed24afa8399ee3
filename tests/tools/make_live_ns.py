#!/usr/bin/env python3
"""Rebuild the ``live-ns`` scenario: real sockets in a throwaway netns, captured, plus fake pids.

Usage (root)::

    python3 tests/tools/make_live_ns.py [--scenario live-ns] [--no-ipv6-copy]

Steps: create netns ``pnetstat-capture`` (lo up, 2001:db8:1234:5678:9abc:def0:1234:5678/128
on lo, nodad); run live_sockets.py in it; capture /proc/PID/net with capture_proc.py; give
chosen sockets the fake owners in FAKE_PROCS; tear everything down. Also refreshes the
``no-ipv6`` scenario from the IPv4 files of the capture (tcp, udp, raw, unix only).
Nothing leaves the namespace: every socket is on loopback.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import capture_proc

NETNS = "pnetstat-capture"
UNIX_DIR = Path("/tmp/pnetstat-live")
LONG_V6 = "2001:db8:1234:5678:9abc:def0:1234:5678"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# pid -> cmdline and the socket roles (from live_sockets.py) it holds, in fd order.
# Sorted by number the pids are 1, 200, 1000, ...; sorted as strings "1000" precedes "200".
# tcp4_listen_ssh is held by both 200 and 1000: netstat (ascending /proc order) shows 200.
FAKE_PROCS: dict[str, dict[str, Any]] = {
    "1": {
        "cmdline": ["/sbin/init"],
        "extra_fds": {"0": "/dev/null", "1": "/dev/null", "3": "anon_inode:[eventfd]"},
    },
    "200": {
        "cmdline": ["./rel/prog", "--flag"],
        "roles": ["tcp4_listen_ssh", "unix_listen_named", "unix_named_server"],
        "extra_fds": {"0": "/dev/pts/0", "9": "pipe:[4242]"},
    },
    "1000": {
        "cmdline": ["/usr/bin/python3", "server.py"],
        "roles": [
            "tcp4_listen_ssh",
            "tcp4_listen_httpalt",
            "tcp4_listen_clc",
            "tcp6_listen_dual",
            "tcp6_listen_long",
            "tcp4_est_client",
            "tcp4_est_server",
            "tcp4_mapped_client",
            "tcp6_mapped_server",
            "tcp4_closewait_client",
            "tcp4_listen_pending",
            "tcp4_pending_client",
            "tcp4_synsent_client",
            "tcp4_probe_sender",
            "tcp4_probe_receiver",
            "unix_named_client",
        ],
    },
    "1500": {
        "cmdline_b64": b64(b"sshd: root@pts/0\0\0\0\0"),
        "roles": ["tcp6_listen_v6only", "tcp6_est_client", "tcp6_est_server"],
    },
    "2000": {
        "cmdline": ["/usr/lib/x/averyveryverylongprogramname", "-d"],
        "roles": [
            "udp4_bound_domain",
            "udp4_bound_mdns",
            "udp4_connected",
            "udp6_bound_dhcpv6",
            "udp6_connected",
        ],
    },
    "2500": {"cmdline": ["/", "arg"], "roles": ["raw4_icmp", "raw4_255"]},
    "3000": {"cmdline_b64": "", "roles": ["raw6_icmp6", "raw4_tcp_connected"]},
    "3500": {
        "cmdline_b64": b64(b"/usr/sbin/daemon: worker /var/lib/x"),
        "roles": ["udpl4_bound", "udpl4_connected", "udpl6_bound"],
    },
    "4000": {
        "cmdline": ["python3", "-m", "http.server"],
        "roles": [
            "unix_listen_abstract",
            "unix_abstract_client",
            "unix_listen_seqpacket",
            "unix_dgram_named",
        ],
        # The old "[0000]:INODE" link form is also accepted by netstat.
        "old_form_roles": ["unix_abstract_server"],
    },
    "5000": {"cmdline": ["/usr/bin/zombie"], "no_fd_dir": True},
    "4194303": {
        "cmdline": ["/usr/bin/nc", "-U", "/tmp/x"],
        "roles": [
            "unix_pair_stream_a",
            "unix_pair_stream_b",
            "unix_dgram_space",
            "unix_dgram_abstract_nul",
            "tcp4_listen_nobody",
        ],
    },
}


def fake_proc_spec(inodes: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Turn FAKE_PROCS (roles) into capture_proc's spec (fd symlink targets)."""
    spec: dict[str, dict[str, Any]] = {}
    for pid, proc in FAKE_PROCS.items():
        fds = dict(proc.get("extra_fds", {}))
        n = 10
        for role in proc.get("roles", []):
            fds[str(n)] = f"socket:[{inodes[role]}]"
            n += 1
        for role in proc.get("old_form_roles", []):
            fds[str(n)] = f"[0000]:{inodes[role]}"
            n += 1
        entry = {k: v for k, v in proc.items() if k in ("cmdline", "cmdline_b64", "no_fd_dir")}
        entry["fds"] = fds
        spec[pid] = entry
    return spec


def sh(*cmd: str, check: bool = True) -> None:
    subprocess.run(cmd, check=check)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="live-ns")
    parser.add_argument(
        "--no-ipv6-copy", action="store_true", help="do not refresh the no-ipv6 scenario"
    )
    args = parser.parse_args()
    root = capture_proc.FIXTURES / "proc"

    sh("ip", "netns", "del", NETNS, check=False)
    shutil.rmtree(UNIX_DIR, ignore_errors=True)
    sh("ip", "netns", "add", NETNS)
    child = None
    try:
        sh("ip", "-n", NETNS, "link", "set", "lo", "up")
        sh("ip", "-n", NETNS, "addr", "add", f"{LONG_V6}/128", "dev", "lo", "nodad")
        out = UNIX_DIR / "inodes.json"
        UNIX_DIR.mkdir()
        script = Path(__file__).resolve().parent / "live_sockets.py"
        child = subprocess.Popen(
            ["ip", "netns", "exec", NETNS, sys.executable, str(script), str(out), str(UNIX_DIR)]
        )
        deadline = time.monotonic() + 30
        while not out.exists():
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("live_sockets.py failed")
            time.sleep(0.05)
        inodes = json.loads(out.read_text())
        # ip netns exec execs the command, so child.pid is the python process in the netns.
        src_net = Path(f"/proc/{child.pid}/net")
        capture_proc.capture(
            args.scenario, src_net=src_net, root=root, fake_procs=fake_proc_spec(inodes)
        )
        roles = capture_proc.FIXTURES / "roles" / f"{args.scenario}.json"
        roles.parent.mkdir(exist_ok=True)
        roles.write_text(json.dumps(inodes, indent=1) + "\n")
    finally:
        if child is not None:
            child.terminate()
            child.wait()
        sh("ip", "netns", "del", NETNS, check=False)
        shutil.rmtree(UNIX_DIR, ignore_errors=True)

    if not args.no_ipv6_copy:
        dest = root / "no-ipv6" / "net"
        shutil.rmtree(dest.parent, ignore_errors=True)
        dest.mkdir(parents=True)
        for name in ("tcp", "udp", "raw", "unix"):
            shutil.copyfile(root / args.scenario / "net" / name, dest / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
