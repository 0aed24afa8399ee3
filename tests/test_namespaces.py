"""--netns and --all-netns against netstat run inside each namespace.

Three kinds of namespace, each built here: a named one (``ip netns add``, the standard socket
holder inside), one held only by a process (``unshare --net``, no name), and one held only by a
bind mount (``unshare --net=FILE``, no process, no name). pnetstat runs from the test's own
namespace and must print what netstat prints inside (``ip netns exec`` / ``nsenter``).
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from netns import POPULATED_ADDRESSES, POPULATED_HOSTS, PYTHON, NetNS, pinned_env, populate
from test_containers_live import CgroupSandbox, cgroups  # noqa: F401  (the fixture)

pytestmark = pytest.mark.differential

FLAG_SETS = [["-tan"], ["-uan"], ["-xa"], ["-tanp"], ["-rn"], ["-in"], ["-s"], ["-gn"]]
# The process-only namespace's sockets: a listener, an established pair, UDP both families.
HOLDER = """
import socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
c = socket.create_connection(l.getsockname()); a, _ = l.accept()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::1", 5353))
x = socket.socket(socket.AF_UNIX); x.bind("\\0pnetstat-test-only-a-process"); x.listen()
print("ready", flush=True)
sys.stdin.read()
"""


def _pnetstat(flags: Sequence[str]) -> list[str]:
    return [PYTHON, "-m", "pnetstat", *flags]


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        argv, capture_output=True, timeout=120, env=pinned_env(env), stdin=subprocess.DEVNULL
    )


def _same(reference: list[str], ours: list[str]) -> None:
    """ours equals reference whenever two reference runs around it agree (bounded retries)."""
    for _ in range(5):
        first, mine, second = _run(reference), _run(ours), _run(reference)
        if first.stdout == second.stdout and first.stderr == second.stderr:
            assert (mine.stdout, mine.stderr, mine.returncode) == (
                first.stdout,
                first.stderr,
                first.returncode,
            ), (reference, ours)
            return
    pytest.fail(f"{reference} never gave the same output twice")


@pytest.fixture(scope="module")
def named_ns() -> Iterator[NetNS]:
    with NetNS(hosts=POPULATED_HOSTS, addresses=POPULATED_ADDRESSES) as ns:
        populate(ns)
        yield ns


@pytest.fixture(scope="module")
def process_ns() -> Iterator[int]:
    """A namespace no name leads to: only its process holds it. Yields that PID."""
    with subprocess.Popen(
        ["unshare", "--net", "sh", "-c", f'ip link set lo up && exec "{PYTHON}" -c "$0"', HOLDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=pinned_env(),
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
            yield proc.pid
        finally:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def mounted_ns() -> Iterator[Path]:
    """A namespace only a bind mount holds (no process, no name under /run/netns)."""
    top = Path(tempfile.mkdtemp(prefix="pnetstat-test-mount-"))
    handle = top / "ns"
    handle.touch()
    try:
        done = subprocess.run(["unshare", f"--net={handle}", "true"], capture_output=True)
        assert done.returncode == 0, done.stderr
        yield handle
    finally:
        subprocess.run(["umount", str(handle)], capture_output=True)
        handle.unlink()
        top.rmdir()


@pytest.mark.parametrize("flags", FLAG_SETS, ids=[" ".join(f) for f in FLAG_SETS])
def test_named_namespace(named_ns: NetNS, flags: list[str]) -> None:
    _same(
        ["ip", "netns", "exec", named_ns.name, "netstat", *flags],
        _pnetstat([f"--netns={named_ns.name}", *flags]),
    )


@pytest.mark.parametrize("flags", FLAG_SETS, ids=[" ".join(f) for f in FLAG_SETS])
def test_process_only_namespace(process_ns: int, flags: list[str]) -> None:
    _same(
        ["nsenter", "-t", str(process_ns), "-n", "netstat", *flags],
        _pnetstat([f"--netns={process_ns}", *flags]),
    )


def test_namespace_by_path(named_ns: NetNS, process_ns: int) -> None:
    for path, enter in (
        (f"/run/netns/{named_ns.name}", ["ip", "netns", "exec", named_ns.name]),
        (f"/proc/{process_ns}/ns/net", ["nsenter", "-t", str(process_ns), "-n"]),
    ):
        _same([*enter, "netstat", "-tanp"], _pnetstat([f"--netns={path}", "-tanp"]))


def _sections(text: str) -> dict[str, str]:
    """``--all-netns`` output split at its section lines, keyed by the line."""
    found: dict[str, str] = {}
    key = None
    for line in text.splitlines(keepends=True):
        if line.startswith("netns: "):
            key = line.rstrip("\n")
            assert key not in found, f"namespace listed twice: {key}"
            found[key] = ""
        else:
            assert key is not None, f"output before the first section: {line!r}"
            found[key] += line
    return found


def _inode(path: str) -> int:
    return os.stat(path).st_ino


@pytest.mark.parametrize("flags", [["-tan"], ["-xa"], ["-tanp"], ["-in"]])
def test_all_namespaces_each_as_netstat_inside(
    named_ns: NetNS, process_ns: int, mounted_ns: Path, flags: list[str]
) -> None:
    done = _run(_pnetstat(["--all-netns", *flags]))
    assert done.returncode == 0, done.stderr
    sections = _sections(done.stdout.decode())
    keys = list(sections)
    own = f"net:[{_inode('/proc/self/ns/net')}]"
    assert keys[0].startswith(("netns: " + own, "netns: ")), keys[0]
    named = f"netns: {named_ns.name}"
    process = f"netns: net:[{_inode(f'/proc/{process_ns}/ns/net')}] (pid {process_ns})"
    mounted = f"netns: net:[{_inode(str(mounted_ns))}]"
    assert {named, process, mounted} <= set(keys), keys
    # Named ones come after the caller's own, by name; unnamed ones after those, by inode.
    names = [k for k in keys[1:] if not k.startswith("netns: net:[")]
    assert names == sorted(names) and keys.index(named) < keys.index(mounted)
    unnamed = [int(k.split("[")[1].split("]")[0]) for k in keys[1:] if k.startswith("netns: net:[")]
    assert unnamed == sorted(unnamed)
    expected = {
        named: ["ip", "netns", "exec", named_ns.name, "netstat", *flags],
        process: ["nsenter", "-t", str(process_ns), "-n", "netstat", *flags],
        mounted: ["nsenter", f"--net={mounted_ns}", "netstat", *flags],
    }
    for key, reference in expected.items():
        assert sections[key] == _run(reference).stdout.decode(), key


def test_a_namespace_deleted_mid_run_is_skipped(namespace_support: None) -> None:
    """Two named namespaces without processes; while the first is listed the second is
    deleted: it is skipped without a word, and the rest of the run goes on."""
    from pnetstat.cli import _command
    from pnetstat.commands import Context
    from pnetstat.commands.namespaces import in_namespaces
    from pnetstat.options import parse_args
    from pnetstat.resolve import Resolver
    from pnetstat.sources.procfs import ProcFS

    with NetNS() as one, NetNS() as two:
        first, second = sorted([one, two], key=lambda ns: ns.name)
        options = parse_args(["--all-netns", "-tan"])
        context = Context(ProcFS(), Resolver())
        deleted = []

        def run(opts, ctx, first_pass):  # type: ignore[no-untyped-def]
            inside = os.readlink("/proc/thread-self/ns/net")
            if inside == f"net:[{_inode(f'/run/netns/{first.name}')}]" and not deleted:
                second.close()
                deleted.append(second.name)
            return _command(opts, ctx, first_pass)

        out = io.StringIO()
        lines = in_namespaces(options, context, True, run)  # type: ignore[arg-type]
        try:
            while True:
                stream, text = next(lines)
                out.write(text if stream == 1 else "STDERR " + text)
        except StopIteration as stop:
            status = stop.value
        assert deleted, "the first namespace's section never ran"
        text = out.getvalue()
        assert f"netns: {first.name}\n" in text and second.name not in text
        assert "STDERR" not in text and status == 0
    assert os.readlink("/proc/thread-self/ns/net") == os.readlink(f"/proc/{os.getpid()}/ns/net")


def test_unprivileged_user_gets_a_note_per_namespace(
    named_ns: NetNS, readable_package: Path
) -> None:
    """As nobody: the own namespace is listed, each other one it sees gets one line on
    stderr, and nothing else breaks."""
    done = _run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         *_pnetstat(["--all-netns", "-tan"])],
        env={"PYTHONPATH": str(readable_package)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sections = _sections(done.stdout.decode())
    assert len(sections) >= 1
    errors = done.stderr.decode().splitlines()
    assert f"pnetstat: netns {named_ns.name}: cannot enter: Operation not permitted" in errors
    assert all(e.startswith("pnetstat: netns ") and "cannot enter" in e for e in errors)
    assert "Traceback" not in done.stderr.decode()
    refused = _run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         *_pnetstat([f"--netns={named_ns.name}", "-tan"])],
        env={"PYTHONPATH": str(readable_package)},
    )  # fmt: skip
    assert refused.returncode == 1 and refused.stdout == b""
    assert refused.stderr.decode() == (
        f"pnetstat: --netns: /run/netns/{named_ns.name}: cannot enter: Operation not permitted\n"
    )


def test_netns_errors() -> None:
    for flags, message in (
        (["--netns=pnetstat-no-such-ns", "-tan"], "/run/netns/pnetstat-no-such-ns: No such file"),
        (["--netns=/etc/passwd", "-tan"], "/etc/passwd: not a network namespace"),
        (["--netns=999999999", "-tan"], "/proc/999999999/ns/net: No such file"),
    ):
        done = _run(_pnetstat(flags))
        assert done.returncode == 3 and done.stdout == b""
        assert done.stderr.decode().startswith("pnetstat: --netns: " + message), done.stderr
    both = _run(_pnetstat(["--netns=x", "--all-netns"]))
    assert both.returncode == 3 and b"exclude each other" in both.stderr


def test_library_namespaces_and_netns_argument(
    named_ns: NetNS, process_ns: int, mounted_ns: Path
) -> None:
    """pnetstat.namespaces() finds all three kinds; netns= reads inside one, from any thread
    (the listing here runs on a worker thread, whose /proc/net would be the main thread's)."""
    import threading

    import pnetstat

    found = {(ns.device, ns.inode): ns for ns in pnetstat.namespaces()}
    named = found[_key(f"/run/netns/{named_ns.name}")]
    assert named.name == named_ns.name and named.label == named_ns.name
    process = found[_key(f"/proc/{process_ns}/ns/net")]
    assert process.name is None and process_ns in process.pids
    assert str(mounted_ns) in found[_key(str(mounted_ns))].paths

    results: list[object] = []

    def listing() -> None:
        results.append(pnetstat.sockets(["tcp"], netns=process_ns))
        results.append(pnetstat.sockets(["tcp"], netns=named_ns.name, source="proc"))

    worker = threading.Thread(target=listing)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive() and len(results) == 2
    theirs = _run(["nsenter", "-t", str(process_ns), "-n", "netstat", "-tan"]).stdout.decode()
    ports = {f"{s.local_address}:{s.local_port}" for s in results[0]}  # type: ignore[attr-defined]
    listed = {line.split()[3] for line in theirs.splitlines()[2:]}
    assert ports == listed

    def endpoints(rows: object) -> list[tuple[object, ...]]:
        return [(s.local_address, s.local_port, s.remote_port, s.state) for s in rows]  # type: ignore[attr-defined]

    main_thread = endpoints(pnetstat.sockets(["tcp"], netns=named_ns.name))
    assert main_thread == endpoints(results[1]) != endpoints(results[0])


def _key(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def test_json_names_the_namespace_of_every_socket(named_ns: NetNS, process_ns: int) -> None:
    import json

    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "schema/sockets.schema.json").read_text())
    one = _run(_pnetstat([f"--netns={named_ns.name}", "-tan", "--json"]))
    document = json.loads(one.stdout)
    jsonschema.validate(document, schema)
    inode = _inode(f"/run/netns/{named_ns.name}")
    assert document["sockets"]
    assert {json.dumps(s["netns"]) for s in document["sockets"]} == {
        json.dumps({"inode": inode, "name": named_ns.name, "container": None})
    }
    every = _run(_pnetstat(["--all-netns", "-tan", "--json-lines"]))
    records = [json.loads(line) for line in every.stdout.splitlines()]
    ours = {inode, _inode(f"/proc/{process_ns}/ns/net")}
    assert ours <= {r["netns"]["inode"] for r in records}
    # The host may hold many other namespaces: check the records of ours against the schema.
    validator = jsonschema.Draft202012Validator(schema)
    mine = [r for r in records if r["netns"]["inode"] in ours]
    validator.validate({"schema_version": 1, "view": "sockets", "sockets": mine})


def test_section_line_names_the_container(cgroups: CgroupSandbox) -> None:  # noqa: F811
    """A namespace whose first process sits in a Docker container's cgroup (a real cgroup v2
    directory made here) is labelled with the container's short id, in text and JSON."""
    import json
    import secrets

    container_id = secrets.token_hex(32)
    child = subprocess.Popen(["unshare", "--net", "sleep", "120"], stdin=subprocess.DEVNULL)
    cgroups.children.append(child)
    for _ in range(1000):  # until unshare has exec'd sleep in its new namespace
        if os.readlink(f"/proc/{child.pid}/ns/net") != os.readlink("/proc/self/ns/net"):
            break
        os.sched_yield()
    cgroups.attach(child.pid, "v2", f"system.slice/docker-{container_id}.scope")
    inode = _inode(f"/proc/{child.pid}/ns/net")
    text = _run(_pnetstat(["--all-netns", "-tan"])).stdout.decode()
    assert f"netns: net:[{inode}] (pid {child.pid}, docker {container_id[:12]})\n" in text
    from pnetstat.sources.netns import find_namespace
    from pnetstat.sources.procfs import ProcFS

    found = find_namespace(str(child.pid), ProcFS())
    assert found.container is not None and found.container.id == container_id
    assert json.loads(json.dumps(found.container._asdict()))["runtime"] == "docker"
