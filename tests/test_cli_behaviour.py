"""The command line as a user meets it: option errors, pipes, Ctrl-C, -c, races under -p."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from netns import REPO_ROOT, NetNS, pinned_env, pnetstat_cmd

# netstat exits on these before it reads anything, so they run outside any namespace.
BAD_OPTIONS = [
    ["-X"], ["-c5"], ["-T"], ["-I"], ["-Ieth0"], ["-L"], ["--bogus"], ["--bogus=3"],
    ["--i"], ["--i=3"], ["--ver"], ["--a"], ["--r"], ["--u"], ["--num"], ["--s"], ["--in"],
    ["--tcp=1"], ["--protocol"], ["-A"], ["-t", "-A"], ["-?"], ["-rr"], ["-ii"], ["-s", "-s"],
    ["-ri"], ["-rM"], ["-A", "foo"], ["-A", "inet,"], ["-Afoo"], ["--protocol=bogus"],
    ["-Z"], ["-Z", "-h"], ["-X", "-V"], ["-tx", "--context"], ["-A", "local"],
]  # fmt: skip


def _run(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        argv, capture_output=True, timeout=30, env=pinned_env(), cwd=REPO_ROOT, check=False
    )


@pytest.mark.parametrize("flags", BAD_OPTIONS, ids=[" ".join(f) for f in BAD_OPTIONS])
def test_bad_options_answer_like_netstat(flags: list[str]) -> None:
    """Same status, same message; the usage text after it is our own (README)."""
    theirs = _run(["netstat", *flags])
    ours = _run(pnetstat_cmd(flags))
    assert ours.returncode == theirs.returncode
    assert ours.stdout == theirs.stdout == b""
    their_first = theirs.stderr.split(b"\n", 1)[0]
    our_first = ours.stderr.split(b"\n", 1)[0]
    if their_first.startswith(b"usage:"):
        assert our_first.startswith(b"usage:")
    else:
        # getopt's messages name the program as typed; netstat's own messages say "netstat".
        assert our_first.replace(b"pnetstat:", b"netstat:", 1) == their_first
    assert b"Traceback" not in ours.stderr


@pytest.mark.parametrize("flags", [["-V"], ["--version"], ["-V", "-X"], ["-h"], ["--help"],
                                   ["-h", "-Z"], ["--he"]])  # fmt: skip
def test_help_and_version_exit_zero(flags: list[str]) -> None:
    ours = _run(pnetstat_cmd(flags))
    assert ours.returncode == _run(["netstat", *flags]).returncode == 0
    assert ours.stdout.startswith((b"pnetstat ", b"usage: pnetstat"))
    assert ours.stderr == b""


@pytest.mark.parametrize("flags", [["-ac"], ["-anc"], ["-rnc"], ["-ic"], ["-gnc"], ["-s"],
                                   ["-xac"], ["-anc", "--json-lines"]])  # fmt: skip
def test_head_closes_pipe_quietly(populated_ns: NetNS, flags: list[str]) -> None:
    """`pnetstat VIEW | head -1`: one line, no BrokenPipeError, the writer ends (-c makes
    every view write again after head has gone). In the populated test namespace: -ac looks
    names up, and every view has rows to write."""
    script = f"{' '.join(pnetstat_cmd(flags))} | head -1"
    done = populated_ns.run(["sh", "-c", script], timeout=30)
    assert done.stdout.count(b"\n") == 1
    assert done.stderr == b""


def test_ctrl_c_during_continuous_exits_130() -> None:
    proc = subprocess.Popen(
        pnetstat_cmd(["-c", "-tn"]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=pinned_env(),
        cwd=REPO_ROOT,
    )
    try:
        assert proc.stdout is not None
        # -c flushes each pass: the first header line means the loop is running.
        assert proc.stdout.readline().startswith(b"Active Internet")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == 130
    assert err == b""


@pytest.mark.differential
def test_continuous_matches_netstat_pass_for_pass(netns: NetNS) -> None:
    netns.spawn_holder({"sockets": [{"id": "l", "kind": "tcp_listen", "family": 4},
                                    {"id": "u", "kind": "unix", "type": "stream",
                                     "path": "c.sock", "listen": True}]})  # fmt: skip
    outputs = []
    for argv in (["netstat", "-lnc"], pnetstat_cmd(["-lnc"])):
        # Two passes and a bit: -c sleeps one second between passes.
        done = netns.run(["timeout", "-s", "INT", "2.5", *argv], timeout=30)
        passes = done.stdout.split(b"Active Internet")
        assert len(passes) >= 3, done.stdout
        outputs.append(passes[1:3])
        assert b"Traceback" not in done.stderr
    assert outputs[0] == outputs[1]


CHURN = textwrap.dedent(
    """
    import os, signal, socket, sys, time
    deadline = time.monotonic() + float(sys.argv[1])
    children = []
    lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(512)
    port = lst.getsockname()[1]
    print("ready", flush=True)
    for _ in range(100000):
        if time.monotonic() > deadline:
            break
        pid = os.fork()
        if pid == 0:
            held = [socket.socket(socket.AF_UNIX) for _ in range(20)]
            conn = socket.create_connection(("127.0.0.1", port))
            os.read(os.open("/dev/null", os.O_RDONLY), 1)
            signal.pause()
        children.append(pid)
        if len(children) > 8:
            victim = children.pop(0)
            os.kill(victim, signal.SIGKILL)
            os.waitpid(victim, 0)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    """
)


@pytest.mark.differential
def test_processes_vanishing_during_p_scan(netns: NetNS) -> None:
    """Holders fork and die while -p walks /proc, and -s and -i read counters that move:
    every run succeeds, with well-formed rows and no duplicate row."""
    churn = subprocess.Popen(
        ["ip", "netns", "exec", netns.name, sys.executable, "-c", CHURN, "6"],
        stdout=subprocess.PIPE,
        env=pinned_env(),
        start_new_session=True,
    )
    try:
        assert churn.stdout is not None and churn.stdout.readline() == b"ready\n"
        runs = 0
        deadline = time.monotonic() + 5
        views = [["-anp"], ["-anpe"], ["-s"], ["-i"], ["-anp", "--source=proc"]]
        # Every view once whatever the machine's load, then more while the churn lasts.
        while runs < len(views) or (time.monotonic() < deadline and runs < 40):
            flags = views[runs % len(views)]
            done = netns.run(pnetstat_cmd(flags), timeout=30)
            runs += 1
            assert done.returncode == 0, (flags, done.stderr)
            assert done.stderr == b""
            lines = done.stdout.decode("utf-8", "replace").splitlines()
            if flags[0].startswith("-anp"):
                rows = [line for line in lines if line.startswith(("tcp", "unix"))]
                for line in lines:
                    assert line.split()[0] in {"Active", "Proto", "tcp", "unix"}, line
                inet = [r for r in rows if r.startswith("tcp")]
                assert len(inet) == len(set(inet)), "a TCP row appeared twice"
        assert runs >= len(views)
    finally:
        os.killpg(churn.pid, signal.SIGKILL)
        churn.wait(timeout=10)
        if churn.stdout is not None:
            churn.stdout.close()


@pytest.mark.parametrize("redirect", [">&-", ">/dev/full", ">&- 2>&-"])
def test_closed_or_full_stdout_is_not_an_error(redirect: str) -> None:
    """netstat ignores failed writes to stdout and exits 0; so does pnetstat, quietly."""
    ours = subprocess.run(
        ["sh", "-c", f"{' '.join(pnetstat_cmd(['-tan']))} {redirect}"],
        capture_output=True, timeout=30, env=pinned_env(), cwd=REPO_ROOT,
    )  # fmt: skip
    theirs = subprocess.run(["sh", "-c", f"netstat -tan {redirect}"], capture_output=True)
    assert ours.returncode == theirs.returncode == 0
    assert b"Traceback" not in ours.stderr


@pytest.mark.parametrize("flags", [["-M"], ["-Mn"], ["-Mc"], ["-Me"], ["-Z"], ["--masquerade"]])
def test_masquerade_and_selinux_answer_exactly_as_netstat(flags: list[str]) -> None:
    """No /proc/net/ip_masquerade since Linux 2.4, no SELinux here: netstat's words, status."""
    theirs = _run(["timeout", "5", "netstat", *flags])
    ours = _run(["timeout", "5", *pnetstat_cmd(flags)])
    assert (ours.stdout, ours.stderr, ours.returncode) == (
        theirs.stdout, theirs.stderr, theirs.returncode)  # fmt: skip
    assert theirs.returncode == 1


def test_proc_root_reads_another_tree() -> None:
    """--proc-root=DIR reads a copied /proc: numeric output equals netstat's on that tree."""
    import json

    fixtures = REPO_ROOT / "tests" / "fixtures"
    records = json.loads((fixtures / "golden" / "live-ns.json").read_text())
    record = next(r for r in records if r["argv"] == ["-tan"])
    ours = _run(pnetstat_cmd(["-tan", f"--proc-root={fixtures / 'proc' / 'live-ns'}"]))
    assert (ours.stdout.decode(), ours.returncode) == (record["stdout"], record["status"])


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--proc-root=/nonexistent", "-tan"], "--proc-root: /nonexistent: No such file"),
        (["--proc-root", "/etc/passwd", "-i"], "--proc-root: /etc/passwd: Not a directory"),
        (["--proc-root=/etc", "-rn"], "--proc-root: /etc: not a /proc tree"),
        (["--proc-root=", "-s"], "--proc-root wants a directory, not ''"),
        (["--source=kernel", "-tan"], "--source takes auto, netlink or proc, not 'kernel'"),
        (["--sou=proc2"], "--source takes auto, netlink or proc, not 'proc2'"),
        (["--dns-timeout=nan"], "--dns-timeout wants a number of seconds, not 'nan'"),
        (["--dns-deadline=-1", "-t"], "--dns-deadline wants a number of seconds, not '-1'"),
        (["--dns-timeout", "inf"], "--dns-timeout wants a number of seconds, not 'inf'"),
    ],
)
def test_bad_values_of_our_options_are_one_line(flags: list[str], message: str) -> None:
    """pnetstat's own options get pnetstat's own words: one line on stderr, nothing on stdout
    (the path is checked before any header), status 3 as documented in the README."""
    ours = _run(pnetstat_cmd(flags))
    assert ours.returncode == 3
    assert ours.stdout == b""
    lines = ours.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pnetstat: " + message), lines


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["-tan", "sport", "="], "pnetstat: filter: expected a port after 'sport =' at word 3"),
        (["-tan", "state", "estab"], "pnetstat: filter: expected a state name, not 'estab'"),
        (["-rn", "sport", "=", ":22"], "pnetstat: filter: only socket listings take a filter"),
        (["-s", "state", "listening"], "pnetstat: filter: only socket listings take a filter"),
        (["-tan", "--filter-file=/nonexistent", "x"], "pnetstat: filter: give it as arguments"),
        (["-tan", "--filter-file=/nonexistent"], "pnetstat: --filter-file: /nonexistent: No such"),
        (["-tan", "(", "sport", "=", ":22"], "pnetstat: filter: expected ')' at word 5"),
    ],
)
def test_filter_errors_are_one_line_before_any_output(flags: list[str], message: str) -> None:
    ours = _run(pnetstat_cmd(flags))
    assert ours.returncode == 3 and ours.stdout == b""
    lines = ours.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines


def test_filter_file_and_arguments_agree(tmp_path: Path) -> None:
    """--filter-file reads the same language; netstat ignores the words (a deliberate
    difference: pnetstat filters with them)."""
    words = "state listening ( sport > :0 or dport = :0 )"
    path = tmp_path / "filter"
    path.write_text(words.replace(" ", "\n") + "\n")
    by_file = _run(pnetstat_cmd(["-tan", f"--filter-file={path}"]))
    by_words = _run(pnetstat_cmd(["-tan", *words.split()]))
    assert by_file.returncode == by_words.returncode == 0
    assert by_file.stdout == by_words.stdout
    assert b"ESTABLISHED" not in by_words.stdout


def test_words_after_the_options_are_a_filter_where_netstat_ignores_them() -> None:
    """The README's deliberate difference: netstat ignores positional words; pnetstat reads
    them as a filter, and a word that is not one is an error."""
    assert _run(["netstat", "-tan", "bogus"]).returncode == 0
    ours = _run(pnetstat_cmd(["-tan", "bogus"]))
    assert ours.returncode == 3
    assert ours.stderr == b"pnetstat: filter: unknown condition 'bogus' at word 1\n"


COLLECTOR_AT_EXIT = """
import atexit, gc, runpy, sys
atexit.register(lambda: sys.stderr.write(f"enabled={gc.isenabled()} frozen={gc.get_freeze_count() > 0}\\n"))
sys.argv = ["pnetstat", *sys.argv[1:]]
runpy.run_module("pnetstat", run_name="__main__", alter_sys=True)
"""


def test_one_pass_runs_without_the_collector_and_skips_its_last_walk() -> None:
    """The console entry starts with the garbage collector off and freezes what is left before
    it exits (start-up time: scripts/pnetstat, cli.run), and still flushes and runs atexit."""
    proc = REPO_ROOT / "tests" / "fixtures" / "proc" / "live-ns"
    done = _run([sys.executable, "-c", COLLECTOR_AT_EXIT, "-tan", f"--proc-root={proc}"])
    assert done.returncode == 0
    assert done.stdout.startswith(b"Active Internet connections")
    assert done.stderr.decode().splitlines()[-1] == "enabled=False frozen=True"


def test_a_run_that_repeats_collects_its_garbage() -> None:
    """-c (like --watch, --top and --serve) turns the collector back on: a loop makes garbage."""
    import gc
    import io

    from pnetstat.cli import main

    proc = REPO_ROOT / "tests" / "fixtures" / "proc" / "empty"  # no net/tcp: -c stops at once
    was = gc.isenabled()
    gc.disable()
    try:
        status = main(
            ["-c", "-t", f"--proc-root={proc}"], stdout=io.StringIO(), stderr=io.StringIO()
        )
        assert (status, gc.isenabled()) == (1, True)
    finally:
        (gc.enable if was else gc.disable)()
