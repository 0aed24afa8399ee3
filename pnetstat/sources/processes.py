"""Which process holds which socket: one walk of /proc/[pid]/fd.

The walk goes through the pids in ascending order (the order /proc lists them), keeps every
holder of each socket inode in that order (netstat shows the first), skips processes and fds
that vanish while it reads, and records EACCES on an fd directory, because netstat prints a
note when it could not see every process. A text listing walks lazily (only as far as its
rows need); the links of a process with thousands of fds are read on two threads.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Collection

from ..model import Owner, OwnerMap
from .procfs import ProcFS

__all__ = ["parse_socket_link", "read_argv0", "read_owners"]

# netstat reads the link into a 30-byte buffer and the command line into 512 bytes.
_LINK_MAX = 29
_CMDLINE_MAX = 511


def parse_socket_link(target: str) -> int | None:
    """The inode of an fd link target ``socket:[N]`` (or the ancient ``[0000]:N``).

    >>> parse_socket_link("socket:[71698]"), parse_socket_link("pipe:[5]")
    (71698, None)
    >>> parse_socket_link("[0000]:1234")
    1234
    """
    target = target[:_LINK_MAX]
    if target.startswith("socket:[") and target.endswith("]") and len(target) >= 11:
        digits = target[8:-1]
    elif target.startswith("[0000]:") and len(target) >= 8:
        digits = target[7:]
    else:
        return None
    return int(digits) if digits.isdigit() else None


def read_argv0(proc: ProcFS, pid: int) -> str:
    """argv[0] of ``pid`` as netstat sees it (first 511 bytes of the command line).

    A vanished process or an unreadable command line gives ``""``.
    """
    try:
        with open(proc.path(f"{pid}/cmdline"), "rb") as handle:
            raw = handle.read(_CMDLINE_MAX)
    except OSError:
        return ""
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def read_owners(
    proc: ProcFS, wanted: Collection[int] | None = None, *, lazy: bool = False
) -> OwnerMap:
    """Walk /proc/[pid]/fd once and map socket inodes to the processes holding them.

    With ``wanted``, the walk stops as soon as every wanted inode has an owner (the first
    owner is all netstat shows, so stopping early changes nothing it prints).

    With ``lazy``, the walk goes only as far as the lookups need: ``OwnerMap.first(inode)``
    walks on, pid after pid, until ``inode`` turns up, so a listing stops the walk at the
    last owner it shows. ``owners`` then holds what was found so far (every holder in
    ascending pid order up to the walk's position). Every fd directory is first opened, which
    is cheap, to learn whether any is refused (netstat's notes, printed before the rows,
    depend on it); if one is, the walk is done at once as without ``lazy``.
    """
    try:
        names = os.listdir(proc.root)
    except OSError:
        return OwnerMap({}, denied=True, proc_unreadable=True, euid=os.geteuid())
    pids = sorted(int(name) for name in names if name.isdigit())
    found: dict[int, tuple[Owner, ...]] = {}
    if lazy and not any(_refused(proc, pid) for pid in pids):
        return OwnerMap(found, euid=os.geteuid(), walk=_Walk(proc, pids, found))
    missing = set(wanted) if wanted is not None else None
    denied = False
    for pid in pids:
        inodes = _scan(proc, pid, found)
        if inodes is None:
            denied = True
        elif missing is not None:
            missing.difference_update(inodes)
            if not missing:
                break
    return OwnerMap(found, denied=denied, euid=os.geteuid())


def _refused(proc: ProcFS, pid: int) -> bool:
    """Whether the fd directory of ``pid`` may not be read (a vanished process may)."""
    try:
        os.close(os.open(proc.path(f"{pid}/fd"), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    except OSError as exc:
        return exc.errno == errno.EACCES
    return False


def _scan(proc: ProcFS, pid: int, found: dict[int, tuple[Owner, ...]]) -> list[int] | None:
    """Add the sockets ``pid`` holds to ``found``; their inodes, or ``None`` if refused."""
    fd_dir = proc.path(f"{pid}/fd")
    try:
        fds = os.listdir(fd_dir)
    except OSError as exc:
        # A process that exited is simply gone; only a refusal changes netstat's notes.
        return None if exc.errno == errno.EACCES else []
    argv0: str | None = None
    inodes: list[int] = []
    for fd, target in zip(fds, _targets(fd_dir, fds), strict=True):
        inode = parse_socket_link(target) if target is not None else None
        if inode is None:
            continue
        if argv0 is None:
            argv0 = read_argv0(proc, pid)
        owner = Owner(pid, int(fd) if fd.isdigit() else -1, argv0)
        found[inode] = (*found.get(inode, ()), owner)
        inodes.append(inode)
    return inodes


# readlink on /proc/PID/fd/N is kernel work (it builds "socket:[N]") done without the GIL:
# for a process with many fds, a second thread reads half of the links meanwhile. Measured
# here, 10k socket fds: 6.6 us a link in one thread, 4.1 us in two.
_SPLIT = 2048


def _targets(fd_dir: str, fds: list[str]) -> list[str | None]:
    """The link target of each fd (``None`` for a name that is no fd or a vanished fd)."""
    if len(fds) < _SPLIT:
        return _read_links(fd_dir, fds)
    import threading

    half = len(fds) // 2
    later: list[list[str | None]] = []
    helper = threading.Thread(
        target=lambda: later.append(_read_links(fd_dir, fds[half:])), name="pnetstat-readlink"
    )
    helper.start()
    first = _read_links(fd_dir, fds[:half])
    helper.join()
    return first + (later[0] if later else [None] * (len(fds) - half))


def _read_links(fd_dir: str, fds: list[str]) -> list[str | None]:
    targets: list[str | None] = []
    append, readlink = targets.append, os.readlink
    for fd in fds:
        if not fd[:1].isdigit():
            append(None)
            continue
        try:
            append(readlink(f"{fd_dir}/{fd}"))
        except OSError:
            append(None)
    return targets


class _Walk:
    """The rest of a lazy walk: each call goes on until an inode is found or pids run out."""

    def __init__(self, proc: ProcFS, pids: list[int], found: dict[int, tuple[Owner, ...]]):
        self.proc, self.pids, self.found = proc, iter(pids), found

    def __call__(self, inode: int) -> None:
        for pid in self.pids:
            _scan(self.proc, pid, self.found)
            if inode in self.found:
                return
