#!/usr/bin/env python3
"""Run netstat and pnetstat on fake /proc trees, inside a private mount namespace.

Usage (root; tests/fakeproc.py starts it)::

    ip netns exec NS unshare --mount --propagation private \\
        python3 tests/tools/fakeproc_runner.py JOB.json OUT.json

``JOB.json`` is a list of ``{"tree": DIR, "flags": [[flag, ...], ...]}``. For each case the
runner bind-mounts ``DIR`` over /proc, so netstat reads the tree as it reads the kernel's files,
runs ``netstat FLAGS`` twice (it sometimes prints uninitialised memory on broken input: a case
where the two runs disagree has no verdict) and pnetstat once in this process (``--source=proc``,
so it reads the same files instead of asking the kernel), then unmounts it. ``OUT.json`` gets,
per case and flag set, each run's stdout and stderr (base64) and exit status.
"""

from __future__ import annotations

import base64
import ctypes
import io
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pnetstat import cli

MS_BIND = 4096
MNT_DETACH = 2
NETSTAT_TIMEOUT = 20.0
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _netstat(flags: list[str]) -> dict[str, object]:
    try:
        done = subprocess.run(
            ["netstat", *flags],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=ENV,
            timeout=NETSTAT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"out": "", "err": _b64(b"TIMEOUT"), "rc": -999}
    return {"out": _b64(done.stdout), "err": _b64(done.stderr), "rc": done.returncode}


def _pnetstat(flags: list[str]) -> dict[str, object]:
    out, err = io.BytesIO(), io.BytesIO()
    text = {
        name: io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="\n")
        for name, raw in (("out", out), ("err", err))
    }
    try:
        rc = cli.main([*flags, "--source=proc"], stdout=text["out"], stderr=text["err"])
    except BaseException:  # the report names it; the test fails on it
        rc = -1000
        text["err"].write("CRASH " + traceback.format_exc())
    for stream in text.values():
        stream.flush()
    return {"out": _b64(out.getvalue()), "err": _b64(err.getvalue()), "rc": rc}


def main(job_path: str, out_path: str) -> int:
    job = json.loads(Path(job_path).read_text())
    results = []
    for case in job:
        tree = case["tree"].encode()
        _check(_libc.mount(tree, b"/proc", None, MS_BIND, None), f"mount {case['tree']}")
        try:
            runs = []
            for flags in case["flags"]:
                runs.append(
                    {
                        "flags": flags,
                        "netstat": [_netstat(flags), _netstat(flags)],
                        "pnetstat": _pnetstat(flags),
                    }
                )
        finally:
            _check(_libc.umount2(b"/proc", MNT_DETACH), "umount /proc")
        results.append(runs)
    Path(out_path).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
