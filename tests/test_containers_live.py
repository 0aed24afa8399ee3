"""Container identity read from real cgroups: each test builds the directories a runtime
would (``docker-<id>.scope``, ``kubepods/.../pod<uid>/<id>``, ``lxc.payload.<name>``,
``machine-<name>.scope``, ...) under a top-level directory of its own with a random name,
in the cgroup v2 hierarchy and in the v1 ``pids`` and ``name=systemd`` hierarchies, moves a
short-lived child of its own into them and reads ``/proc/PID/cgroup`` as pnetstat does.

Nothing else is moved. The finalizer kills the child and removes the directories bottom-up
even when the test fails. Without root or without these hierarchies the tests FAIL (they
never skip): a suite that silently skipped would look green while testing nothing.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pnetstat.model_tables import Container
from pnetstat.sources.containers import read_container
from pnetstat.sources.procfs import ProcFS

# One set of ids for the session; every test's top directory is random, so nothing collides.
A = secrets.token_hex(32)
B = secrets.token_hex(32)
UID = str(uuid.uuid4())
UID_ = UID.replace("-", "_")
NAME = f"box-{secrets.token_hex(3)}"
ESCAPED = NAME.replace("-", "\\x2d")  # systemd's unit-name escaping of "-"

CHILD_LIFETIME = "120"  # seconds: the child ends on its own even if teardown never runs
WAIT_SECONDS = 10


def _mounts() -> dict[str, Path]:
    """The mount points of the cgroup v2 hierarchy (``v2``) and of the v1 ``pids`` and
    ``name=systemd`` hierarchies (``pids``, ``systemd``), from /proc/self/mounts."""
    found: dict[str, Path] = {}
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            _source, target, fstype, options, *_ = line.split()
            words = options.split(",")
            if fstype == "cgroup2":
                found.setdefault("v2", Path(target))
            elif fstype == "cgroup" and "pids" in words:
                found.setdefault("pids", Path(target))
            elif fstype == "cgroup" and "name=systemd" in words:
                found.setdefault("systemd", Path(target))
    return found


class CgroupSandbox:
    """Directories made under random top-level cgroups, and children moved into them."""

    def __init__(self) -> None:
        self.top = f"pnetstat-test-{secrets.token_hex(4)}"
        self.mounts = _mounts()
        self.created: list[Path] = []  # in creation order: removed in reverse
        self.children: list[subprocess.Popen[bytes]] = []

    def make(self, hierarchy: str, relative: str) -> Path:
        """Create ``relative`` (and its parents) below this test's top directory."""
        root = self.mounts.get(hierarchy)
        if root is None:
            pytest.fail(
                f"no {hierarchy!r} cgroup hierarchy is mounted (found {sorted(self.mounts)}); "
                "these tests need cgroup v2 plus the v1 pids and name=systemd hierarchies",
                pytrace=False,
            )
        path = root
        for part in [self.top, *relative.split("/")]:
            path = path / part
            if path.is_dir():
                continue
            try:
                path.mkdir()
            except OSError as exc:
                pytest.fail(f"cannot create cgroup {path}: {exc}", pytrace=False)
            self.created.append(path)
        return path

    def spawn(self) -> int:
        """A short-lived child of this test (it touches nothing; it only has to exist)."""
        child = subprocess.Popen(
            ["sleep", CHILD_LIFETIME], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
        )
        self.children.append(child)
        return child.pid

    def attach(self, pid: int, hierarchy: str, relative: str) -> None:
        """Move ``pid`` (a child of ours) into ``relative``, creating it first."""
        procs = self.make(hierarchy, relative) / "cgroup.procs"
        try:
            procs.write_text(str(pid))
        except OSError as exc:
            pytest.fail(f"cannot move pid {pid} into {procs}: {exc}", pytrace=False)

    def close(self) -> list[str]:
        """Kill the children, then remove the directories bottom-up; the problems left."""
        problems = []
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
            try:
                child.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                problems.append(f"child {child.pid} did not exit within {WAIT_SECONDS} s")
        # A cgroup directory can be removed only once it has no children and no tasks.
        for path in reversed(self.created):
            try:
                path.rmdir()
            except OSError as exc:
                problems.append(f"cannot remove {path}: {exc}")
        return problems


@pytest.fixture
def cgroups() -> Iterator[CgroupSandbox]:
    if os.geteuid() != 0:
        pytest.fail(
            f"live cgroup tests need root (mkdir in /sys/fs/cgroup, cgroup.procs); running as "
            f"uid {os.geteuid()}. Run the suite as root, as CI does.",
            pytrace=False,
        )
    sandbox = CgroupSandbox()
    try:
        yield sandbox
    finally:
        problems = sandbox.close()
        if problems:
            pytest.fail("cgroup teardown: " + "; ".join(problems), pytrace=False)


KUBE_SYSTEMD = "kubepods.slice/kubepods-besteffort.slice"
POD_SLICE = f"{KUBE_SYSTEMD}/kubepods-besteffort-pod{UID_}.slice"

# (id, [(hierarchy, path under the test's top directory), ...], expected)
CASES: list[tuple[str, list[tuple[str, str]], Container | None]] = [
    # cgroup v2
    ("v2 docker systemd", [("v2", f"system.slice/docker-{A}.scope")], Container("docker", A)),
    ("v2 docker cgroupfs", [("v2", f"docker/{A}")], Container("docker", A)),
    ("v2 containerd pod", [("v2", f"{POD_SLICE}/cri-containerd-{A}.scope")],
     Container("containerd", A, UID)),
    ("v2 crio guaranteed pod", [("v2", f"kubepods.slice/kubepods-pod{UID_}.slice/crio-{A}.scope")],
     Container("cri-o", A, UID)),
    ("v2 crio conmon", [("v2", f"{POD_SLICE}/crio-conmon-{A}.scope")],
     Container("kubernetes", UID, UID)),
    ("v2 pod slice", [("v2", POD_SLICE)], Container("kubernetes", UID, UID)),
    ("v2 podman", [("v2", f"machine.slice/libpod-{A}.scope/container")], Container("podman", A)),
    ("v2 podman conmon", [("v2", f"machine.slice/libpod-conmon-{A}.scope")], None),
    ("v2 lxc", [("v2", f"lxc.payload.{NAME}")], Container("lxc", NAME)),
    ("v2 lxc monitor", [("v2", f"lxc.monitor.{NAME}")], None),
    ("v2 nspawn", [("v2", f"machine.slice/machine-{ESCAPED}.scope/payload")],
     Container("systemd-nspawn", NAME)),
    ("v2 nspawn supervisor", [("v2", f"machine.slice/machine-{ESCAPED}.scope/supervisor")], None),
    ("v2 docker in lxc", [("v2", f"lxc.payload.{NAME}/system.slice/docker-{A}.scope")],
     Container("docker", A)),
    # cgroup v1, pids (the v2 line stays where the child started, which names nothing here)
    ("v1 docker cgroupfs", [("pids", f"docker/{A}")], Container("docker", A)),
    ("v1 kubepods cgroupfs", [("pids", f"kubepods/besteffort/pod{UID}/{A}")],
     Container("kubernetes", A, UID)),
    ("v1 kubepods guaranteed", [("pids", f"kubepods/pod{UID}/{A}")],
     Container("kubernetes", A, UID)),
    ("v1 crio cgroupfs", [("pids", f"kubepods/burstable/pod{UID}/crio-{A}")],
     Container("cri-o", A, UID)),
    ("v1 crio conmon cgroupfs", [("pids", f"kubepods/burstable/pod{UID}/crio-conmon-{A}")],
     Container("kubernetes", UID, UID)),
    ("v1 podman cgroupfs", [("pids", f"libpod_parent/libpod-{A}")], Container("podman", A)),
    ("v1 lxc legacy", [("pids", f"lxc/{NAME}")], Container("lxc", NAME)),
    ("v1 lxc payload", [("pids", f"lxc.payload.{NAME}")], Container("lxc", NAME)),
    ("v1 lxc monitor", [("pids", f"lxc.monitor.{NAME}")], None),
    # cgroup v1, name=systemd
    ("v1 systemd docker", [("systemd", f"system.slice/docker-{A}.scope")], Container("docker", A)),
    ("v1 systemd containerd pod", [("systemd", f"{POD_SLICE}/cri-containerd-{A}.scope")],
     Container("containerd", A, UID)),
    ("v1 systemd nspawn", [("systemd", f"machine.slice/machine-{ESCAPED}.scope")],
     Container("systemd-nspawn", NAME)),
    ("v1 systemd podman conmon", [("systemd", f"machine.slice/libpod-conmon-{A}.scope")], None),
    # which line wins
    ("v2 over v1", [("pids", f"docker/{A}"), ("v2", f"system.slice/docker-{B}.scope")],
     Container("docker", B)),
    ("name=systemd over pids", [("pids", f"docker/{A}"), ("systemd", f"docker/{B}")],
     Container("docker", B)),
    ("v1 when v2 names nothing", [("v2", "system.slice/containerd.service"), ("pids", f"docker/{A}")],
     Container("docker", A)),
    ("pids when name=systemd names nothing",
     [("systemd", "system.slice/containerd.service"), ("pids", f"lxc.payload.{NAME}")],
     Container("lxc", NAME)),
]  # fmt: skip


@pytest.mark.parametrize(("placements", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_container_of_a_process_in_a_real_cgroup(
    cgroups: CgroupSandbox, placements: list[tuple[str, str]], expected: Container | None
) -> None:
    pid = cgroups.spawn()
    for hierarchy, relative in placements:
        cgroups.attach(pid, hierarchy, relative)
    text = Path(f"/proc/{pid}/cgroup").read_text()
    for _hierarchy, relative in placements:  # the kernel shows what we did
        assert f"/{cgroups.top}/{relative}\n" in text, text
    assert read_container(ProcFS(), pid) == expected, text


def test_a_reaped_child_is_none(cgroups: CgroupSandbox) -> None:
    pid = cgroups.spawn()
    cgroups.attach(pid, "v2", f"docker/{A}")
    assert read_container(ProcFS(), pid) == Container("docker", A)
    child = cgroups.children[-1]
    child.kill()
    child.wait(timeout=WAIT_SECONDS)
    assert read_container(ProcFS(), pid) is None


def test_teardown_leaves_nothing(cgroups: CgroupSandbox) -> None:
    pid = cgroups.spawn()
    cgroups.attach(pid, "pids", f"kubepods/besteffort/pod{UID}/{A}")
    cgroups.attach(pid, "v2", f"{POD_SLICE}/cri-containerd-{A}.scope")
    tops = [cgroups.mounts[h] / cgroups.top for h in ("pids", "v2")]
    assert all(top.is_dir() for top in tops)
    assert cgroups.close() == []
    assert not any(top.exists() for top in tops)
    cgroups.created.clear()  # the fixture's own close() finds nothing left to do
    cgroups.children.clear()
