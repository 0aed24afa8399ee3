"""Which container a process runs in, as its /proc/PID/cgroup names it.

This module owns the cgroup path conventions of container runtimes: ``parse_cgroup_lines``
(pure) turns the lines of /proc/PID/cgroup into a ``Container`` or ``None``, and
``read_container`` reads them through a ``ProcFS`` root. Nothing here asks a runtime: a
path is all there is, so a container is recognised only by a layout a runtime documents.

Which line is read: the cgroup v2 line (``0::/path``) when it names a container, else the
v1 ``name=systemd`` line, else the other v1 lines in file order (on a hybrid host a
cgroupfs-driver runtime may leave the v2 line at the parent's cgroup). Within one path
every component is looked at and the innermost container wins (docker inside LXC, a kind
node's pods inside docker). A runtime's monitor (conmon, ``lxc.monitor.*``, nspawn's
``supervisor``) is not its container: it counts as whatever encloses it.

Forms recognised, per path component (``<id>`` is 64 lowercase hex digits):

==========================================  ================  ===================================
component                                   runtime           source
==========================================  ================  ===================================
``docker-<id>.scope``, ``docker/<id>``      docker            runc docs/systemd.md (unit
                                                              ``<prefix>-<name>.scope``); Docker's
                                                              default cgroupfs parent ``/docker``
``cri-containerd-<id>.scope``               containerd        containerd CRI, SystemdCgroup=true
``crio-<id>.scope``, ``crio-<id>``          cri-o             cri-o internal/config/cgmgr
                                                              (``crio-`` + id; conmon is
                                                              ``crio-conmon-<id>``)
``libpod-<id>.scope``, ``libpod-<id>``      podman            podman: parents ``machine.slice``,
                                                              ``user.slice``, ``/libpod_parent``
``...kubepods[-<qos>]-pod<uid_>.slice``     (pod)             kubelet cgroup_manager_linux.go:
``kubepods[/<qos>]/pod<uid>``                                 ``pod`` + UID, ``-`` -> ``_`` in
                                                              systemd names
``<id>`` directly under a pod               kubernetes        containerd CRI with cgroupfs (and
                                                              dockershim) name the leaf by id only
``lxc.payload.<name>``, ``lxc.payload/``    lxc               LXC 4.0+ / 3.1-3.2 layouts; LXC 3.0
``<name>``, ``lxc/<name>``                                    and earlier ``lxc/<name>``
``machine.slice/machine-<name>.scope``      systemd-nspawn    systemd-machined unit name, name
                                                              escaped ``\\xNN``; nspawn-cgroup.c
                                                              (``payload``/``supervisor``)
==========================================  ================  ===================================

A pod without a container below it gives ``Container("kubernetes", <pod uid>, <pod uid>)``
(the id is the pod's UID: a pod has no container id); a bare id below a pod gives runtime
``kubernetes`` (the path does not say which CRI runtime made it). A container anywhere
below a pod carries that pod's UID (the nearest enclosing one). Not recognised, on purpose:
libvirt's ``machine-qemu\\x2d...`` (virtual machines) and ``machine-lxc\\x2d<n>\\x2d...``
scopes (https://libvirt.org/cgroups.html), ctr's ``/<namespace>/<id>`` (too generic to
tell from any other directory).
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable
from typing import NamedTuple

from ..errors import ProcReadError
from ..model_tables import Container
from .procfs import ProcFS

__all__ = ["parse_cgroup_lines", "read_container"]

_ID = r"[0-9a-f]{64}"

# runc's systemd driver names the unit "<prefix>-<name>.scope" (runc docs/systemd.md); each
# runtime passes its own prefix. CRI-O and podman use the same "<prefix>-<id>" name as a
# plain directory with the cgroupfs driver (cri-o ContainerCgroupPath; podman
# /libpod_parent/libpod-<id>). "crio-conmon-<id>" and "libpod-conmon-<id>" do not match:
# "conmon-" is not hex.
_UNIT = re.compile(rf"(docker|cri-containerd)-({_ID})\.scope|(crio|libpod)-({_ID})(?:\.scope)?")
_RUNTIMES = {
    "docker": "docker",
    "cri-containerd": "containerd",
    "crio": "cri-o",
    "libpod": "podman",
}


def _uid(sep: str) -> str:
    # Pod UIDs are UUIDs, or for static (mirror) pods a 32-hex-digit hash of the manifest.
    return sep.join(f"[0-9a-f]{{{n}}}" for n in (8, 4, 4, 4, 12)) + "|[0-9a-f]{32}"


# kubelet's systemd driver: "/kubepods/burstable/pod<uid>" becomes the slice
# "kubepods-burstable-pod<uid with _ for ->.slice", expanded into its parents' directories;
# a --cgroup-root adds a prefix ("kubelet-kubepods-...", as kind nodes run it).
_POD_SLICE = re.compile(rf"(?:[^/]+-)?kubepods(?:-besteffort|-burstable)?-pod({_uid('_')})\.slice")
_POD_DIR = re.compile(rf"pod({_uid('-')})")
_QOS = ("besteffort", "burstable")

_HEX_ID = re.compile(_ID)
_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


class _Match(NamedTuple):
    """What one path component says: ``kind`` is ``container``, ``pod`` or ``monitor``."""

    at: int
    kind: str
    runtime: str
    id: str


def parse_cgroup_lines(lines: Iterable[str]) -> Container | None:
    """The container the lines of a /proc/PID/cgroup file name, or ``None``.

    >>> found = parse_cgroup_lines(["0::/system.slice/docker-" + "ab" * 32 + ".scope\\n"])
    >>> found.runtime, found.short, found.pod_uid
    ('docker', 'abababababab', None)
    >>> parse_cgroup_lines(["12:pids:/lxc.payload.web\\n", "0::/init.scope\\n"])
    Container(runtime='lxc', id='web', pod_uid=None)
    >>> parse_cgroup_lines(["0::/machine.slice/machine-my\\\\x2dbox.scope/payload"])
    Container(runtime='systemd-nspawn', id='my-box', pod_uid=None)
    >>> pod = parse_cgroup_lines(["0::/kubepods.slice/kubepods-besteffort.slice/"
    ...     "kubepods-besteffort-pod0a1b2c3d_0000_4000_8000_00000000abcd.slice/"
    ...     "crio-conmon-" + "cd" * 32 + ".scope"])
    >>> pod.runtime, pod.id == pod.pod_uid == "0a1b2c3d-0000-4000-8000-00000000abcd"
    ('kubernetes', True)
    >>> parse_cgroup_lines(["0::/system.slice/sshd.service", "garbage", ""]) is None
    True
    """
    unified: list[str] = []
    systemd: list[str] = []
    legacy: list[str] = []
    for line in lines:
        fields = line.rstrip("\n").split(":", 2)
        if len(fields) != 3 or not fields[0].isdigit() or not fields[2].startswith("/"):
            continue
        hierarchy, controllers, path = fields
        if hierarchy == "0" and not controllers:
            # The kernel marks a v2 cgroup removed while a (dying) task still shows it.
            unified.append(path.removesuffix(" (deleted)"))
        elif "name=systemd" in controllers.split(","):
            systemd.append(path)
        else:
            legacy.append(path)
    for path in (*unified, *systemd, *legacy):
        found = _parse_path(path)
        if found is not None:
            return found
    return None


def read_container(proc: ProcFS, pid: int) -> Container | None:
    """Read /proc/PID/cgroup under ``proc`` and return the container it names, or ``None``.

    A process that is gone (ENOENT on open, ESRCH on read) gives ``None``; other errors
    raise ``ProcReadError`` (``Unsupported`` for EACCES).
    """
    try:
        return parse_cgroup_lines(list(proc.open_text(f"{pid}/cgroup")))
    except ProcReadError as exc:
        if exc.errno in (errno.ENOENT, errno.ESRCH):
            return None
        raise


def _parse_path(path: str) -> Container | None:
    """The innermost container one cgroup path names (``None`` if none)."""
    parts = [part for part in path.split("/") if part]
    matches: list[_Match] = []
    for index in range(len(parts)):
        found = _match(parts, index, matches[-1] if matches else None)
        if found is None:
            continue
        if found.kind == "monitor":
            matches.pop()  # the supervisor of the container just matched is not inside it
        else:
            matches.append(found)
    if not matches:
        return None
    last = matches[-1]
    if last.kind == "pod":
        return Container("kubernetes", last.id, last.id)
    pod = next((m.id for m in reversed(matches) if m.kind == "pod"), None)
    return Container(last.runtime, last.id, pod)


def _match(parts: list[str], index: int, previous: _Match | None) -> _Match | None:
    """What ``parts[index]`` says, given the last match before it."""
    part = parts[index]
    parent = parts[index - 1] if index else ""
    # Whether the component right above this one was itself recognised (and as what).
    above = previous.kind if previous is not None and previous.at == index - 1 else ""
    unit = _UNIT.fullmatch(part)
    if unit is not None:
        return _Match(index, "container", _RUNTIMES[unit[1] or unit[3]], unit[2] or unit[4])
    pod = _POD_SLICE.fullmatch(part)
    if pod is not None:
        return _Match(index, "pod", "kubernetes", pod[1].replace("_", "-"))
    pod = _POD_DIR.fullmatch(part)
    if pod is not None and (
        parent == "kubepods" or (parent in _QOS and index >= 2 and parts[index - 2] == "kubepods")
    ):
        return _Match(index, "pod", "kubernetes", pod[1])
    if _HEX_ID.fullmatch(part):
        if parent == "docker":
            return _Match(index, "container", "docker", part)
        if above == "pod":
            # containerd's CRI (and dockershim) with cgroupfs: pod<uid>/<id>, runtime unsaid.
            return _Match(index, "container", "kubernetes", part)
    if part.startswith("lxc.payload.") and len(part) > len("lxc.payload."):
        return _Match(index, "container", "lxc", part[len("lxc.payload.") :])
    if parent in ("lxc", "lxc.payload"):
        return _Match(index, "container", "lxc", part)
    if parent == "machine.slice" and part.startswith("machine-") and part.endswith(".scope"):
        name = _unescape(part[len("machine-") : -len(".scope")])
        if name and not _is_libvirt(name):
            return _Match(index, "container", "systemd-nspawn", name)
    # nspawn runs the container in <scope>/payload and itself in <scope>/supervisor.
    if part == "supervisor" and above and previous and previous.runtime == "systemd-nspawn":
        return _Match(index, "monitor", "systemd-nspawn", "")
    return None


def _is_libvirt(name: str) -> bool:
    # libvirt registers guests with machined as "<driver>-<id>-<name>" (older: "qemu-<name>"):
    # QEMU guests are virtual machines, and its LXC driver is not an LXC project container.
    return name.startswith("qemu-") or re.match(r"lxc-\d+-", name) is not None


def _unescape(text: str) -> str:
    """Undo systemd's unit-name escaping (``\\x2d`` for ``-``, any byte as ``\\xNN``)."""
    if "\\x" not in text:
        return text
    raw = _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), text.encode("utf-8", "surrogateescape"))
    return raw.decode("utf-8", "surrogateescape")
