"""Container identity from /proc/PID/cgroup: a table of real-looking cgroup files (v1 and
v2, systemd and cgroupfs drivers, monitors, nesting, escaped names, garbage), and
``read_container`` over a fixture /proc tree."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pnetstat.errors import ProcReadError
from pnetstat.model_tables import Container
from pnetstat.sources import containers
from pnetstat.sources.containers import parse_cgroup_lines, read_container
from pnetstat.sources.procfs import ProcFS

A = "3f4b9a0c1d2e" + "a" * 52  # 64 hex digits each
B = "b7" * 32
C = "0c" * 32
UID = "6f1c2e3a-9b8d-4c7e-a5f4-3d2c1b0a9e8f"
UID_ = UID.replace("-", "_")
STATIC_UID = "4b0b0e3c7a1e5f8b9d5e6f7a8b9c0d1e"  # a static pod: md5 of its manifest


def v1(path: str, systemd: str | None = None) -> str:
    """A cgroup v1 file (as a 5.x host with the usual controllers prints it) with every
    controller at ``path`` and name=systemd at ``systemd`` (default: ``path``)."""
    lines = [f"12:name=systemd:{systemd if systemd is not None else path}"]
    for number, controllers in enumerate(
        ["pids", "memory", "devices", "cpu,cpuacct", "blkio", "net_cls,net_prio", "freezer",
         "perf_event", "hugetlb", "cpuset", "rdma"], start=1,
    ):  # fmt: skip
        lines.append(f"{number}:{controllers}:{path}")
    return "\n".join(lines) + "\n"


def hybrid(path: str, unified: str) -> str:
    """A hybrid host: v1 controllers at ``path`` plus the v2 line at ``unified``."""
    return v1(path) + f"0::{unified}\n"


def v2(path: str) -> str:
    return f"0::{path}\n"


CASES = [
    # ------------------------------------------------------------------ Docker
    ("docker systemd v2", v2(f"/system.slice/docker-{A}.scope"), Container("docker", A)),
    ("docker systemd v1", v1(f"/system.slice/docker-{A}.scope"), Container("docker", A)),
    ("docker cgroupfs v2", v2(f"/docker/{A}"), Container("docker", A)),
    ("docker cgroupfs v1", v1(f"/docker/{A}"), Container("docker", A)),
    # cgroupfs driver on a hybrid host: v2 shows dockerd's service, v1 the container.
    ("docker cgroupfs hybrid", hybrid(f"/docker/{A}", "/system.slice/containerd.service"),
     Container("docker", A)),
    ("docker rootless v2",
     v2(f"/user.slice/user-1000.slice/user@1000.service/app.slice/docker-{A}.scope"),
     Container("docker", A)),
    ("docker custom slice", v2(f"/my.slice/my-apps.slice/docker-{A}.scope"), Container("docker", A)),
    ("docker container's own children", v2(f"/docker/{A}/init.scope"), Container("docker", A)),
    # ------------------------------------------------------------------ containerd (CRI)
    ("containerd systemd besteffort v2",
     v2(f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_}.slice/cri-containerd-{A}.scope"),
     Container("containerd", A, UID)),
    ("containerd systemd burstable v1",
     v1(f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_}.slice/cri-containerd-{A}.scope"),
     Container("containerd", A, UID)),
    ("containerd systemd guaranteed v2",
     v2(f"/kubepods.slice/kubepods-pod{UID_}.slice/cri-containerd-{A}.scope"),
     Container("containerd", A, UID)),
    ("containerd outside kubernetes", v2(f"/system.slice/cri-containerd-{A}.scope"),
     Container("containerd", A)),
    # cgroupfs driver: the leaf is the bare id, the runtime is not in the path.
    ("kubepods cgroupfs besteffort v1", v1(f"/kubepods/besteffort/pod{UID}/{A}"),
     Container("kubernetes", A, UID)),
    ("kubepods cgroupfs burstable v2", v2(f"/kubepods/burstable/pod{UID}/{A}"),
     Container("kubernetes", A, UID)),
    ("kubepods cgroupfs guaranteed v1", v1(f"/kubepods/pod{UID}/{A}"),
     Container("kubernetes", A, UID)),
    ("kubepods cgroupfs static pod", v1(f"/kubepods/burstable/pod{STATIC_UID}/{A}"),
     Container("kubernetes", A, STATIC_UID)),
    # ------------------------------------------------------------------ CRI-O
    ("crio systemd v2",
     v2(f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_}.slice/crio-{A}.scope"),
     Container("cri-o", A, UID)),
    ("crio systemd v1 guaranteed", v1(f"/kubepods.slice/kubepods-pod{UID_}.slice/crio-{A}.scope"),
     Container("cri-o", A, UID)),
    ("crio cgroupfs v1", v1(f"/kubepods/besteffort/pod{UID}/crio-{A}"), Container("cri-o", A, UID)),
    ("crio cgroupfs default parent", v2(f"/crio/crio-{A}"), Container("cri-o", A)),
    # conmon lives in the pod's cgroup (conmon_cgroup = "pod"): the pod, not the container.
    ("crio conmon systemd",
     v2(f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_}.slice/crio-conmon-{A}.scope"),
     Container("kubernetes", UID, UID)),
    ("crio conmon cgroupfs", v1(f"/kubepods/besteffort/pod{UID}/crio-conmon-{A}"),
     Container("kubernetes", UID, UID)),
    ("crio conmon outside a pod", v2(f"/system.slice/crio-conmon-{A}.scope"), None),
    # ------------------------------------------------------------------ Podman
    ("podman systemd v2", v2(f"/machine.slice/libpod-{A}.scope"), Container("podman", A)),
    ("podman systemd v2 crun subgroup", v2(f"/machine.slice/libpod-{A}.scope/container"),
     Container("podman", A)),
    ("podman systemd v1", v1(f"/machine.slice/libpod-{A}.scope"), Container("podman", A)),
    ("podman cgroupfs v1", v1(f"/libpod_parent/libpod-{A}"), Container("podman", A)),
    ("podman rootless",
     v2(f"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{A}.scope/container"),
     Container("podman", A)),
    ("podman pod", v2(f"/machine.slice/machine-libpod_pod_{B}.slice/libpod-{A}.scope"),
     Container("podman", A)),
    ("podman conmon", v2(f"/machine.slice/libpod-conmon-{A}.scope"), None),
    ("podman conmon v1", v1(f"/machine.slice/libpod-conmon-{A}.scope"), None),
    # ------------------------------------------------------------------ Kubernetes pods
    ("pod slice alone", v2(f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_}.slice"),
     Container("kubernetes", UID, UID)),
    ("guaranteed pod slice alone", v1(f"/kubepods.slice/kubepods-pod{UID_}.slice"),
     Container("kubernetes", UID, UID)),
    ("pod dir alone", v1(f"/kubepods/burstable/pod{UID}"), Container("kubernetes", UID, UID)),
    ("kind node: --cgroup-root prefix",
     v2(f"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod{UID_}.slice/cri-containerd-{A}.scope"),
     Container("containerd", A, UID)),
    ("dockershim systemd",
     v1(f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_}.slice/docker-{A}.scope"),
     Container("docker", A, UID)),
    ("kubepods.slice qos slice only", v2("/kubepods.slice/kubepods-besteffort.slice"), None),
    ("pod-looking dir outside kubepods", v2(f"/elsewhere/pod{UID}/{A}"), None),
    ("hex leaf under a qos dir, no pod", v1(f"/kubepods/besteffort/{A}"), None),
    # ------------------------------------------------------------------ LXC
    ("lxc 4 v2", v2("/lxc.payload.web"), Container("lxc", "web")),
    ("lxc 4 v2 container's systemd", v2("/lxc.payload.focal/system.slice/avahi-daemon.service"),
     Container("lxc", "focal")),
    # lxc/lxc#3520: a host without v2 in use, the payload's own systemd put it in init.scope.
    ("lxc 4 v1, v2 line elsewhere", hybrid("/lxc.payload.il02", "/init.scope"),
     Container("lxc", "il02")),
    ("lxc 3.1 payload dir", v1("/lxc.payload/web"), Container("lxc", "web")),
    ("lxc legacy", v1("/lxc/web"), Container("lxc", "web")),
    ("lxc name with dots and dashes", v2("/lxc.payload.my-box.example"),
     Container("lxc", "my-box.example")),
    ("lxc monitor", v2("/lxc.monitor.web"), None),
    ("lxc 3.1 monitor dir", v1("/lxc.monitor/web"), None),
    ("lxc.payload. with no name", v2("/lxc.payload."), None),
    # ------------------------------------------------------------------ systemd-nspawn
    ("nspawn v2 payload", v2("/machine.slice/machine-debian.scope/payload"),
     Container("systemd-nspawn", "debian")),
    ("nspawn v2 payload's systemd", v2("/machine.slice/machine-debian.scope/payload/system.slice/sshd.service"),
     Container("systemd-nspawn", "debian")),
    ("nspawn v1", v1("/machine.slice/machine-debian.scope"), Container("systemd-nspawn", "debian")),
    ("nspawn escaped name", v2(r"/machine.slice/machine-my\x2dtest\x2dbox.scope/payload"),
     Container("systemd-nspawn", "my-test-box")),
    ("nspawn escaped non-ascii", v2(r"/machine.slice/machine-caf\xc3\xa9.scope"),
     Container("systemd-nspawn", "café")),
    ("nspawn supervisor", v2("/machine.slice/machine-debian.scope/supervisor"), None),
    ("nspawn outside machine.slice", v2("/system.slice/machine-debian.scope"), None),
    ("libvirt qemu vm", v2(r"/machine.slice/machine-qemu\x2d1\x2dvm1.scope/libvirt/emulator"), None),
    ("libvirt lxc", v1(r"/machine.slice/machine-lxc\x2d27326\x2dcontainer1.scope"), None),
    # ------------------------------------------------------------------ preference between lines
    ("v2 wins over v1", hybrid(f"/docker/{A}", f"/system.slice/docker-{B}.scope"),
     Container("docker", B)),
    ("name=systemd wins over other v1 lines",
     v1(f"/docker/{A}", systemd=f"/system.slice/docker-{B}.scope"), Container("docker", B)),
    ("first v1 line when name=systemd names nothing",
     "3:pids:/lxc.payload.first\n2:name=systemd:/init.scope\n1:memory:/lxc.payload.second\n",
     Container("lxc", "first")),
    ("v2 naming nothing falls back to v1", hybrid(f"/docker/{A}", "/"), Container("docker", A)),
    ("v2 (deleted) suffix", f"0::/system.slice/docker-{A}.scope (deleted)\n", Container("docker", A)),
    # ------------------------------------------------------------------ nesting: innermost
    ("docker in docker", v2(f"/docker/{A}/docker/{B}"), Container("docker", B)),
    ("docker in lxc", v2(f"/lxc.payload.web/system.slice/docker-{A}.scope"), Container("docker", A)),
    ("kind node pods inside docker",
     v2(f"/docker/{B}/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod{UID_}.slice/cri-containerd-{A}.scope"),
     Container("containerd", A, UID)),
    ("kind node pod cgroupfs inside docker", v1(f"/docker/{B}/kubepods/besteffort/pod{UID}/{A}"),
     Container("kubernetes", A, UID)),
    ("docker inside a pod's container", v1(f"/kubepods/besteffort/pod{UID}/{A}/docker/{B}"),
     Container("docker", B, UID)),
    ("nspawn supervisor inside docker",
     v2(f"/docker/{A}/machine.slice/machine-inner.scope/supervisor"), Container("docker", A)),
    ("lxc inside lxc legacy", v1("/lxc/outer/lxc/inner"), Container("lxc", "inner")),
    # ------------------------------------------------------------------ not containers, garbage
    ("host process v2", v2("/user.slice/user-0.slice/session-1.scope"), None),
    ("host process v1", v1("/system.slice/sshd.service"), None),
    ("root", hybrid("/", "/"), None),
    ("empty file", "", None),
    ("garbage lines",
     f"not a line\n::\nx:pids:/docker/{A}\n5:pids:docker/{A}\n\0\n" + v2(f"/docker/{A}"),
     Container("docker", A)),
    ("only garbage", "hello\n:::\n7\n", None),
    ("short id", v2("/docker/abc123"), None),
    ("uppercase id", v2(f"/docker/{A.upper()}"), None),
    ("65 hex digits", v2(f"/system.slice/docker-{A}0.scope"), None),
    ("id without .scope under systemd form", v2(f"/system.slice/cri-containerd-{A}"), None),
    ("path through a cgroup namespace", v2("/../../user.slice"), None),
    ("no trailing newline", f"0::/docker/{A}", Container("docker", A)),
    ("colon in a path", v2(f"/weird:dir/docker/{A}"), Container("docker", A)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parse_cgroup_lines(text: str, expected: Container | None) -> None:
    assert parse_cgroup_lines(text.splitlines(keepends=True)) == expected


def test_every_runtime_appears_in_the_table() -> None:
    runtimes = {c[2].runtime for c in CASES if c[2] is not None}
    assert runtimes == {"docker", "containerd", "cri-o", "podman", "kubernetes", "lxc",
                        "systemd-nspawn"}  # fmt: skip


def test_short_id() -> None:
    assert Container("docker", A).short == A[:12]
    assert Container("lxc", "web").short == "web"


def _proc_with(tmp_path: Path, pid: int, text: str) -> ProcFS:
    (tmp_path / str(pid)).mkdir()
    (tmp_path / str(pid) / "cgroup").write_text(text)
    return ProcFS(tmp_path)


def test_read_container_from_a_fixture_tree(tmp_path: Path) -> None:
    proc = _proc_with(tmp_path, 4242, hybrid(f"/docker/{A}", "/"))
    assert read_container(proc, 4242) == Container("docker", A)


def test_read_container_host_process(tmp_path: Path) -> None:
    proc = _proc_with(tmp_path, 1, hybrid("/init.scope", "/init.scope"))
    assert read_container(proc, 1) is None


def test_vanished_process_is_none(tmp_path: Path) -> None:
    assert read_container(ProcFS(tmp_path), 99999) is None


class _FailingProc(ProcFS):
    """A /proc whose cgroup file fails with ``code``, on open or on the first read."""

    __slots__ = ("code", "on_read")

    def __init__(self, code: int, on_read: bool) -> None:
        super().__init__("/nonexistent")
        self.code = code
        self.on_read = on_read

    def open_text(self, relative: str) -> Iterator[str]:
        error = ProcReadError(self.path(relative), self.code, errno.errorcode[self.code])
        if not self.on_read:
            raise error

        def lines() -> Iterator[str]:
            raise error
            yield ""  # a generator: the error comes on the first read

        return lines()


@pytest.mark.parametrize(("code", "on_read"), [(errno.ENOENT, False), (errno.ESRCH, True),
                                               (errno.ESRCH, False)])  # fmt: skip
def test_process_gone_is_none(code: int, on_read: bool) -> None:
    # The kernel answers ESRCH on read() of /proc/PID/cgroup once the task is gone.
    assert read_container(_FailingProc(code, on_read), 7) is None


@pytest.mark.parametrize(("code", "on_read"), [(errno.EIO, True), (errno.EACCES, False)])
def test_other_read_errors_are_raised(code: int, on_read: bool) -> None:
    with pytest.raises(ProcReadError) as caught:
        read_container(_FailingProc(code, on_read), 7)
    assert caught.value.errno == code


def test_read_container_of_this_process() -> None:
    # Whatever this test runs in, the live file parses without error.
    found = read_container(ProcFS(), os.getpid())
    assert found is None or isinstance(found, Container)


def test_public_names() -> None:
    assert containers.__all__ == ["parse_cgroup_lines", "read_container"]
    assert all(getattr(containers, name).__doc__ for name in containers.__all__)
