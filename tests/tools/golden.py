#!/usr/bin/env python3
"""Run the real netstat against a fixture /proc tree and record its output as goldens.

Usage::

    python3 tests/tools/golden.py [SCENARIO ...]            # all scenarios if none given
    python3 tests/tools/golden.py odd --flags "-an" --flags "-tanp"   # only these flag sets
    python3 tests/tools/golden.py --run odd -- netstat -an   # any command in the sandbox
    python3 tests/tools/golden.py --check                    # re-run, compare with the goldens

(``--flags`` values start with ``-``, so write them ``--flags=-tan``.)

Each flag set runs as ``netstat FLAGS`` inside ``unshare --mount --net`` (a private mount
namespace and a fresh network namespace whose loopback is down, so a DNS lookup fails at
once and nothing can leave the machine). Inside, a tmpfs is mounted on /proc and filled
with ``tests/fixtures/proc/<scenario>/``; then the pinned name-service files of
``tests/fixtures/etc/<scenario>/`` (falling back to ``tests/fixtures/etc/default/``) are
bind-mounted over their /etc counterparts (see ETC_FILES).

Fake pid directories are created so that readdir(/proc) returns them in ascending numeric
order, as the real /proc does (netstat -p keeps the *first* owner of a shared socket).
Git keeps no directory modes, so ``tests/fixtures/modes/<scenario>.json`` (``{"20/fd":
"000"}``) lists modes to apply inside the tmpfs; the measured command then runs through
``setpriv`` without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH so that root gets EACCES on
such directories like an unprivileged user would (nothing else in a fixture is unreadable).

Output: ``tests/fixtures/golden/<scenario>.json``, a JSON list of records
``{"argv": [...], "stdout": "...", "stderr": "...", "status": N}``; ``argv`` holds only
the flags (not the program name). A stream that is not valid UTF-8 is stored as
``"stdout_b64"`` / ``"stderr_b64"`` (base64 of the exact bytes) instead.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

#: Files bind-mounted over /etc/<name> inside the sandbox, in this order.
ETC_FILES = (
    "hosts",
    "services",
    "protocols",
    "networks",
    "resolv.conf",
    "nsswitch.conf",
    "passwd",
    "group",
)

#: Prefix of every measured command: drop the capabilities that let root ignore file modes.
DROP_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]

#: Environment of every sandboxed command: C locale, nothing inherited.
SANDBOX_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL": "C",
}

#: Flag sets recorded for every scenario ("" = no flags), in recording order.
FLAG_SETS = (
    "",
    "-a",
    "-l",
    "-t",
    "-u",
    "-w",
    "-x",
    "-U",
    "-at",
    "-au",
    "-aw",
    "-ax",
    "-lx",
    "-n",
    "-an",
    "-tn",
    "-tan",
    "-uan",
    "-wan",
    "-xan",
    "-tln",
    "-tuln",
    "-ate",
    "-atee",
    "-ane",
    "-ano",
    "-tano",
    "-W",
    "-anW",
    "-4",
    "-6",
    "-an4",
    "-an6",
    "-A inet",
    "-A inet6",
    "-A unix",
    "-A inet,unix",
    "--inet",
    "--inet6",
    "--unix",
    "--numeric-hosts -a",
    "--numeric-ports -a",
    "--numeric-users -ae",
    "-S",
    "-tS",
    "-v",
    "-anp",
    "-tanp",
    "-xap",
    "-aep",
    # Beyond the required list: timers/users without -n, UDP-Lite/RAW with -e/-o, -l with -p.
    "-ao",
    "-aeo",
    "-Uan",
    "-waneo",
    "-lp",
    "-aW",
)


#: Scenarios that only make sense for a few flag sets record these instead of FLAG_SETS.
STAT_FLAG_SETS = (
    "-s",
    "-st",
    "-su",
    "-sw",
    "-sU",
    "-sS",
    "-s -4",
    "-s -6",
    "-s6t",
    "-s6u",
    "-s6w",
    "-s --inet",
    "-s --inet6",
    "-sx",
    "-s -4 -6",
    "-s -A inet,inet6",
    "-sn",
    "-se",
    "-s -A inet6",
    "-s6U",
    "-s -A unix",
    "--statistics --tcp",
    # -c is ignored by -s: one pass, then exit 0 (appended last so older records keep their place).
    "-sc",
)

ROUTE_FLAG_SETS = (
    "-r",
    "-rn",
    "-re",
    "-ree",
    "-reee",
    "-reeee",
    "-r -6",
    "-rn -6",
    "-r -A inet6",
    "-r -A inet,inet6",
    "-r -6 -4",
    "-rC",
    "-rF",
    "-rCF",
    "-rn -C -6",
    "-rN",
    "--numeric-hosts -r",
    "-rCe",
    "-rCee",
    "-rn -A inet,inet",
    "-r -ee -6",
    "--route --numeric",
)

SCENARIO_FLAG_SETS = {
    # live-ns holds real counter files captured with its sockets: its socket sets, then -s.
    "live-ns": FLAG_SETS + STAT_FLAG_SETS,
    "routes": ROUTE_FLAG_SETS,
    "no-routes": ("-r", "-rn", "-r -6", "-rC", "-rn -A inet6,inet", "-r -4 -6"),
    "stats": STAT_FLAG_SETS,
    "stats-odd": STAT_FLAG_SETS,
    "empty-stats": ("-s", "-s -6", "-st"),
    # Counter files as netstat reads them when they are odd, are directories, are unreadable.
    "stats-quirks": STAT_FLAG_SETS,
    "stats-dirs": ("-s", "-s -6", "-st", "-sS", "-s6t"),
    "stats-snmp-dir": ("-s", "-s -6", "-st", "-sS", "-s6t"),
    "stats-no-snmp": ("-s", "-s -6", "-st", "-sS", "-s6t"),
    "groups": (
        "-g",
        "-gn",
        "-g -4",
        "-g -6",
        "-gn -4",
        "-gn -6",
        "-g -x",
        "-g -t",
        "-g -A inet6",
        "--groups",
        "-ga",
        "-gv",
        "-gn -A inet",
    ),
    "no-igmp": ("-g", "-gn", "-g -6", "-g -4"),
    "perm-some": ("-anp", "-tanp", "-xap", "-aep", "-lp", "-tp", "-xp", "-an", "-tan"),
    "perm-none": ("-anp", "-tanp", "-xap", "-aep", "-lp", "-tp", "-xp", "-an", "-tan"),
}


def flag_sets_for(scenario: str) -> list[str]:
    """The flag sets recorded for ``scenario``."""
    return list(SCENARIO_FLAG_SETS.get(scenario, FLAG_SETS))


def scenarios() -> list[str]:
    """Names of all fixture scenarios (directories under fixtures/proc)."""
    return sorted(p.name for p in (FIXTURES / "proc").iterdir() if p.is_dir())


def etc_files(scenario: str, fixtures: Path = FIXTURES) -> dict[str, Path]:
    """Map each /etc file name to the fixture file pinned for ``scenario``."""
    chosen = {}
    for name in ETC_FILES:
        override = fixtures / "etc" / scenario / name
        chosen[name] = override if override.exists() else fixtures / "etc" / "default" / name
    return chosen


def sandbox_argv(scenario: str, command: list[str], fixtures: Path = FIXTURES) -> list[str]:
    """Return an argv that runs ``command`` (a list) in the sandbox of ``scenario``.

    Tests may use it to run pnetstat under exactly the environment of the goldens, e.g.
    ``subprocess.run(sandbox_argv("odd", [sys.executable, "-m", "pnetstat", "-an"]))``.
    Needs root (unshare, mount).
    """
    spec = _base_spec(scenario, fixtures)
    spec["exec"] = command
    return _unshare_argv(spec)


def _base_spec(scenario: str, fixtures: Path) -> dict[str, Any]:
    modes_file = fixtures / "modes" / f"{scenario}.json"
    return {
        "proc": str((fixtures / "proc" / scenario).resolve()),
        "etc": {k: str(v.resolve()) for k, v in etc_files(scenario, fixtures).items()},
        "modes": json.loads(modes_file.read_text()) if modes_file.exists() else {},
    }


def _unshare_argv(spec: dict[str, Any]) -> list[str]:
    return [
        "unshare",
        "--mount",
        "--net",
        "--propagation",
        "private",
        "--",
        sys.executable,
        str(Path(__file__).resolve()),
        "--inside",
        json.dumps(spec),
    ]


# ----------------------------------------------------------------------------------------
# Inside the sandbox


def _populate_proc(src: Path, pid_order: list[str]) -> None:
    """Mount a tmpfs on /proc and copy ``src`` into it, pid dirs in ``pid_order``."""
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "mode=555", "pnetstat-fixture", "/proc"], check=True
    )
    for entry in sorted(src.iterdir()):
        if entry.name.startswith(".") or entry.name.isdigit():
            continue
        _copy(entry, Path("/proc") / entry.name)
    for pid in pid_order:
        _copy(src / pid, Path("/proc") / pid)


def _copy(src: Path, dst: Path) -> None:
    if src.is_symlink() or not src.is_dir():
        shutil.copy2(src, dst, follow_symlinks=False)
        return
    dst.mkdir()
    for entry in sorted(src.iterdir()):
        if not entry.name.startswith("."):
            _copy(entry, dst / entry.name)
    shutil.copystat(src, dst)
    # net/ of an empty scenario keeps a .gitkeep that must not appear in /proc.


def _setup_sandbox(spec: dict[str, Any]) -> None:
    src = Path(spec["proc"])
    pids = sorted((p.name for p in src.iterdir() if p.name.isdigit()), key=int)
    # tmpfs readdir order depends on the kernel (creation order or its reverse): try
    # ascending creation first, then descending, and keep whichever lists ascending.
    for order in (pids, pids[::-1]):
        _populate_proc(src, order)
        listed = [n for n in os.listdir("/proc") if n.isdigit()]
        if listed == pids:
            break
        subprocess.run(["umount", "/proc"], check=True)
    else:
        raise SystemExit("cannot make tmpfs list pid directories in ascending order")
    for rel, mode in spec["modes"].items():
        os.chmod(Path("/proc") / rel, int(mode, 8))
    for name, path in spec["etc"].items():
        subprocess.run(["mount", "--bind", path, f"/etc/{name}"], check=True)


def _inside(spec: dict[str, Any]) -> int:
    _setup_sandbox(spec)
    if "exec" in spec:
        command = DROP_DAC + spec["exec"]
        os.execvpe(command[0], command, SANDBOX_ENV)
    results = []
    for argv in spec["runs"]:
        proc = subprocess.run(
            [*DROP_DAC, spec["netstat"], *argv],
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=SANDBOX_ENV,
            timeout=60,
        )
        results.append(
            {"argv": argv, "stdout": proc.stdout, "stderr": proc.stderr, "status": proc.returncode}
        )
    json.dump([_encode(r) for r in results], sys.stdout)
    return 0


def _encode(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"argv": record["argv"]}
    for stream in ("stdout", "stderr"):
        data: bytes = record[stream]
        try:
            out[stream] = data.decode("utf-8")
        except UnicodeDecodeError:
            out[stream + "_b64"] = base64.b64encode(data).decode("ascii")
    out["status"] = record["status"]
    return out


# ----------------------------------------------------------------------------------------
# Outside


def record(
    scenario: str,
    flag_sets: list[str],
    netstat: str = "/usr/bin/netstat",
    fixtures: Path = FIXTURES,
) -> list[dict[str, Any]]:
    """Run netstat for each flag set against ``scenario`` and return the golden records."""
    spec = _base_spec(scenario, fixtures)
    spec["netstat"] = netstat
    spec["runs"] = [shlex.split(f) for f in flag_sets]
    proc = subprocess.run(_unshare_argv(spec), capture_output=True, check=False)
    if proc.returncode != 0:
        sys.stderr.buffer.write(proc.stderr)
        raise SystemExit(f"{scenario}: sandbox failed with status {proc.returncode}")
    records: list[dict[str, Any]] = json.loads(proc.stdout)
    return records


def write_golden(scenario: str, records: list[dict[str, Any]], fixtures: Path = FIXTURES) -> Path:
    """Write ``records`` to ``fixtures/golden/<scenario>.json`` (one record per line block)."""
    path = fixtures / "golden" / f"{scenario}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--inside"]:
        return _inside(json.loads(argv[1]))
    if argv[:1] == ["--run"]:
        if len(argv) < 4 or argv[2] != "--":
            raise SystemExit("usage: golden.py --run SCENARIO -- COMMAND [ARG ...]")
        return subprocess.call(sandbox_argv(argv[1], argv[3:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="*", help="scenarios to record (default: all)")
    parser.add_argument("--flags", action="append", help="one flag set, e.g. '-tan' (repeatable)")
    parser.add_argument("--netstat", default="/usr/bin/netstat")
    parser.add_argument("--print", action="store_true", help="print instead of writing goldens")
    parser.add_argument("--check", action="store_true", help="compare with the stored goldens")
    args = parser.parse_args(argv)
    status = 0
    for scenario in args.scenario or scenarios():
        flag_sets = args.flags if args.flags is not None else flag_sets_for(scenario)
        records = record(scenario, flag_sets, args.netstat)
        if args.check:
            path = FIXTURES / "golden" / f"{scenario}.json"
            stored = {tuple(r["argv"]): r for r in json.loads(path.read_text(encoding="utf-8"))}
            for r in records:
                if stored.get(tuple(r["argv"])) != r:
                    print(f"{scenario}: netstat {shlex.join(r['argv'])}: differs from {path.name}")
                    status = 1
            continue
        if args.print:
            for r in records:
                print(f"=== netstat {shlex.join(r['argv'])}  (status {r['status']})")
                sys.stdout.write(r.get("stderr", "<b64>"))
                sys.stdout.write(r.get("stdout", "<b64>"))
            continue
        print(write_golden(scenario, records))
    return status


if __name__ == "__main__":
    sys.exit(main())
