"""Benchmark part four: start-up of the installed pnetstat and of the zipapp (issue 17, point 4).

In a temporary directory it builds the wheel (``python -m build --no-isolation --wheel`` from a
copy of the checkout, as tests/test_packaging.py does), installs it into a fresh venv made with
Debian's /usr/bin/python3 (``pip install --no-index --no-deps``) and builds the zipapp with
tools/build_zipapp.py. Then, in an empty network namespace of its own (:class:`Namespace`:
``pnetstat-bench-<hex>``, lo up, deleted afterwards even on failure), bench/driver.py times,
interleaved, with a clean environment (no PYTHONPATH, no pycache prefix: what a user has)

- ``python3 -c pass`` against the console script's idle ``VENV/bin/pnetstat -tan``
  (target: at most 8 ms more), and the venv's own ``python -c pass`` (no .pth files of
  /usr/lib/python3/dist-packages run there);
- ``python3 -S -c pass`` against ``python3 -S pnetstat.pyz -tan`` (target: at most 8 ms more);
- for reference ``python3 -m pnetstat -tan`` from the checkout (byte-compiled first; through
  ``env PYTHONPATH=ROOT ...``, so beside ``env ... python3 -c pass``) and the resolved
  interpreter's ``-c pass``.

Last it runs the console script, the zipapp and both baselines once each with ``-X importtime``
and keeps their per-module import times for the report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from namespace import PYTHON, ROOT, Namespace, bench_env
from namespaces import DEBIAN_PYTHON, Drive, compile_package

sys.path.insert(0, str(ROOT / "tools"))
from checkout import copy_checkout  # tools/ is no package: on sys.path above

BUILD_TIMEOUT = 300.0
COMMAND_TIMEOUT = 60.0
LIMIT_MS = 8.0  # over the bare interpreter's start-up
CLEAN_ENV = ["env", "-i", f"PATH={bench_env()['PATH']}", "LC_ALL=C"]

# Labels of the timed commands (the report's rows, in this order).
PASS = "python3 -c pass"
SCRIPT = "VENV/bin/pnetstat -tan (console script)"
VENV_PASS = "VENV/bin/python -c pass"
PASS_S = "python3 -S -c pass"
ZIPAPP = "python3 -S pnetstat.pyz -tan"
CHECKOUT_PASS = "env PYTHONPATH=. python3 -c pass"
CHECKOUT = "env PYTHONPATH=. python3 -m pnetstat -tan (checkout)"
RESOLVED_PASS = "resolved python -c pass"
# The interpreter's own zipapp start: runpy (with importlib.util and contextlib) runs a
# __main__ that does nothing; the zipapp target's floor, before any pnetstat code runs.
ZIP_FLOOR = "python3 -S empty.pyz (a zipapp whose __main__ is pass)"
# The other views, idle, from the console script; and the C tools the issue names.
VIEWS = ("-s", "-i", "-rn", "-gn", "-xa")
REFERENCES = {"netstat -tan": ["netstat", "-tan"], "ss -tan": ["ss", "-tan"]}
# (ours, baseline): the two start-up targets.
TARGETS = [(SCRIPT, PASS), (ZIPAPP, PASS_S)]


def _run(argv: list[str], what: str, timeout: float = BUILD_TIMEOUT) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def build(top: Path, python: str) -> dict[str, Path]:
    """Build the wheel and install it into a venv of ``python``'s; build the zipapp with it."""
    source = copy_checkout(ROOT, top / "src")
    _run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir",
          str(top / "dist"), str(source)], "python -m build (needs the test extras: make bench)")  # fmt: skip
    (wheel,) = (top / "dist").glob("*.whl")
    venv = top / "venv"
    _run([python, "-m", "venv", str(venv)], f"{python} -m venv")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index",
          "--no-deps", str(wheel)], "pip install WHEEL")  # fmt: skip
    zipapp = top / "pnetstat.pyz"
    _run([python, str(source / "tools" / "build_zipapp.py"), str(zipapp)], "build_zipapp.py")
    return {"wheel": wheel, "venv": venv, "zipapp": zipapp, "empty": empty_zipapp(top, python)}


def empty_zipapp(top: Path, python: str) -> Path:
    """A zipapp built by tools/build_zipapp.py, laid out as pnetstat's, whose ``__main__`` is
    ``pass`` and which holds nothing else (built by the timed interpreter: its byte code)."""
    target = top / "empty.pyz"
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]); "
        "import build_zipapp; build_zipapp.build(Path(sys.argv[1]), main='pass\\n', "
        "package=False)"
    )
    _run([python, "-c", code, str(target), str(ROOT / "tools")], "building empty.pyz")
    return target


def commands(built: dict[str, Path], python: str) -> dict[str, list[str]]:
    """Every timed command by label (run with a clean environment, see CLEAN_ENV)."""
    venv, zipapp = built["venv"], str(built["zipapp"])
    checkout = [
        "env",
        f"PYTHONPATH={ROOT}",
        f"PYTHONPYCACHEPREFIX={bench_env()['PYTHONPYCACHEPREFIX']}",
    ]
    table = {
        PASS: [python, "-c", "pass"],
        SCRIPT: [str(venv / "bin" / "pnetstat"), "-tan"],
        VENV_PASS: [str(venv / "bin" / "python"), "-c", "pass"],
        PASS_S: [python, "-S", "-c", "pass"],
        ZIPAPP: [python, "-S", zipapp, "-tan"],
        CHECKOUT_PASS: [*checkout, python, "-c", "pass"],
        CHECKOUT: [*checkout, python, "-m", "pnetstat", "-tan"],
        RESOLVED_PASS: [PYTHON, "-c", "pass"],
        ZIP_FLOOR: [python, "-S", str(built["empty"])],
        **{f"VENV/bin/pnetstat {flags}": [str(venv / "bin" / "pnetstat"), flags] for flags in VIEWS},
        **{label: [shutil.which(argv[0]) or argv[0], *argv[1:]] for label, argv in REFERENCES.items()},
    }  # fmt: skip
    if os.path.realpath(PYTHON) == os.path.realpath(python):
        del table[RESOLVED_PASS]
    return table


def importtime_commands(built: dict[str, Path], python: str) -> dict[str, list[str]]:
    """The runs made once with ``-X importtime``. The console script runs on the venv's python
    (what its shebang names): /usr/bin/python3 itself would not see the venv's site-packages."""
    venv = built["venv"]
    return {
        SCRIPT: [str(venv / "bin" / "python"), "-X", "importtime",
                 str(venv / "bin" / "pnetstat"), "-tan"],
        PASS: [python, "-X", "importtime", "-c", "pass"],
        ZIPAPP: [python, "-S", "-X", "importtime", str(built["zipapp"]), "-tan"],
        PASS_S: [python, "-S", "-X", "importtime", "-c", "pass"],
    }  # fmt: skip


def parse_importtime(stderr: str) -> list[dict[str, Any]]:
    """``-X importtime`` lines as {"module", "depth", "self_us", "cumulative_us"}, in order.

    >>> parse_importtime("import time: self [us] | cumulative | imported package\\n"
    ...                  "import time:       227 |        300 |   re._parser\\n")
    [{'module': 're._parser', 'depth': 1, 'self_us': 227, 'cumulative_us': 300}]
    """
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|")
        stripped = name.lstrip(" ")
        depth = (len(name) - len(stripped) - 1) // 2
        rows.append({"module": stripped.strip(), "depth": depth, "self_us": int(own),
                     "cumulative_us": int(cumulative)})  # fmt: skip
    return rows


def host_tcp_sockets() -> int | None:
    """TCP sockets in use on the whole host (every namespace), from /proc/slabinfo's TCP and
    TCPv6 caches; None if unreadable. They share one established hash table, which even an
    empty namespace's dump walks: other namespaces' sockets slow an idle pnetstat -tan."""
    try:
        lines = Path("/proc/slabinfo").read_text().splitlines()
    except OSError:
        return None
    found = [int(line.split()[1]) for line in lines if line.split()[:1] in (["TCP"], ["TCPv6"])]
    return sum(found) if found else None


def interpreter_version(python: str) -> str:
    """``python``'s version, e.g. 3.11.2."""
    code = "import platform; print(platform.python_version())"
    return _run([python, "-c", code], f"{python} -c", 60).strip()


def measure(repeat: int, drive: Drive, python: str = DEBIAN_PYTHON) -> dict[str, Any]:
    """Build, then time and trace start-up in an empty namespace; everything made is removed."""
    if not os.access(python, os.X_OK):
        raise RuntimeError(f"{python} is not here: the start-up targets are Debian's python3's")
    compile_package(python)
    load = os.getloadavg()  # the VM is shared: a busy one shows here
    sockets = host_tcp_sockets()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pnetstat-bench-startup-") as temp:
        built = build(Path(temp), python)
        setup = time.monotonic() - started
        print(f"startup: built the wheel, venv and zipapp in {setup:.1f} s; timing",
              file=sys.stderr, flush=True)  # fmt: skip
        table = commands(built, python)
        with Namespace() as ns:
            prefix = ns.argv(CLEAN_ENV)
            drive(prefix, table, 1, None, COMMAND_TIMEOUT)  # warm: byte code, page cache
            timed = drive(prefix, table, repeat, None, COMMAND_TIMEOUT)
            traces = {}
            for label, argv in importtime_commands(built, python).items():
                done = subprocess.run(ns.argv([*CLEAN_ENV, *argv]), capture_output=True,
                                      text=True, timeout=COMMAND_TIMEOUT)  # fmt: skip
                if done.returncode:
                    raise RuntimeError(f"{argv} failed ({done.returncode}): {done.stderr[-500:]}")
                traces[label] = parse_importtime(done.stderr)
        wheel = built["wheel"].name
    return {"python": python, "version": interpreter_version(python), "resolved": PYTHON,
            "resolved_version": interpreter_version(PYTHON), "wheel": wheel, "runs": repeat,
            "limit_ms": LIMIT_MS, "setup_s": setup, "loadavg": load, "host_tcp_sockets": sockets, "commands": timed, "importtime": traces}  # fmt: skip
