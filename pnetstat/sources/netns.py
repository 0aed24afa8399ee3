"""Network namespaces: finding every one on the host once, and reading from inside one.

A namespace is known by its nsfs file's device and inode, whatever leads to it: a name under
/run/netns (``ip netns add``), another bind mount of an nsfs file (Docker keeps its
containers' under /run/docker/netns), or /proc/PID/ns/net of each process inside it.
``read_namespaces`` lists each once: the caller's own first, then the named ones by name,
then the rest by inode.

``entered(namespace)`` moves the calling thread into a namespace for the duration of a
``with`` block, and back. Inside it, every reader works on that namespace unchanged: sockets
opened there (netlink sock_diag, the interface ioctls) belong to it, and /proc/net, which is
/proc/self/net, shows the namespace of the process's main thread, so the CLI enters from the
main thread. Nothing is created that a listing could show.
"""

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import NamespaceError, ProcReadError
from ..model_tables import Container, Namespace
from .procfs import ProcFS

__all__ = ["RUN_NETNS", "entered", "find_namespace", "read_namespaces"]

RUN_NETNS = "/run/netns"
CLONE_NEWNET = 0x40000000  # include/uapi/linux/sched.h
# Races and refusals that make a process's (or a mount's) namespace unknowable: skip it.
_SKIPPED = (errno.ENOENT, errno.ESRCH, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EINVAL)

_Key = tuple[int, int]


class _Found:
    """What has been found to lead to one namespace so far."""

    __slots__ = ("mounts", "names", "pids")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.mounts: list[str] = []
        self.pids: list[int] = []


def _key(path: str) -> _Key | None:
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno in _SKIPPED:
            return None
        raise
    return st.st_dev, st.st_ino


def read_namespaces(
    proc: ProcFS,
    run_netns: str = RUN_NETNS,
    *,
    containers: bool = True,
) -> list[Namespace]:
    """Every network namespace this process can see, each once (see the module docstring).

    A namespace held only by processes the caller may not inspect (``ptrace`` rules for
    /proc/PID/ns) is not seen. With ``containers``, each namespace's ``container`` is that of
    the lowest PID inside it (a container's first process), from its cgroup.
    """
    own = _key(proc.path("thread-self/ns/net")) or _key(proc.path("self/ns/net"))
    if own is None:
        raise NamespaceError(proc.path("self/ns/net"), errno.ENOENT, "no namespace files")
    found: dict[_Key, _Found] = {own: _Found()}
    for name in _listdir(run_netns):
        key = _key(os.path.join(run_netns, name))
        if key is not None and key[0] == own[0]:  # an nsfs file, not a stale empty one
            found.setdefault(key, _Found()).names.append(name)
    for mount in _nsfs_mounts(proc):
        key = _key(mount)
        if key is not None and key[0] == own[0] and not mount.startswith(run_netns + "/"):
            found.setdefault(key, _Found()).mounts.append(mount)
    for entry in _listdir(proc.root):
        if entry.isdigit():
            key = _key(proc.path(f"{entry}/ns/net"))
            if key is not None:
                found.setdefault(key, _Found()).pids.append(int(entry))

    def order(item: tuple[_Key, _Found]) -> tuple[int, str, int]:
        key, what = item
        if key == own:
            return 0, "", 0
        return (1, min(what.names), 0) if what.names else (2, "", key[1])

    result = []
    for (device, inode), what in sorted(found.items(), key=order):
        names = sorted(what.names)
        pids = tuple(sorted(what.pids))
        paths = (
            *(os.path.join(run_netns, n) for n in names),
            *what.mounts,
            *(proc.path(f"{pid}/ns/net") for pid in pids),
        )
        container = _container(proc, pids) if containers else None
        result.append(Namespace(device, inode, names[0] if names else None, paths, pids, container))
    return result


def _container(proc: ProcFS, pids: tuple[int, ...]) -> Container | None:
    from .containers import read_container

    container: Container | None = None
    for pid in pids[:1]:
        container = read_container(proc, pid)
    return container


def find_namespace(spec: str, proc: ProcFS, run_netns: str = RUN_NETNS) -> Namespace:
    """The namespace ``spec`` names: a name under /run/netns, a path to a namespace file, or
    a PID (whose container it then carries). Raises ``NamespaceError`` when there is no such
    namespace (ENOENT, or EINVAL for a file that is not a network namespace)."""
    name: str | None = None
    pids: tuple[int, ...] = ()
    if spec.isdigit():
        path, pids = proc.path(f"{spec}/ns/net"), (int(spec),)
    elif "/" in spec:
        path = spec
    else:
        path, name = os.path.join(run_netns, spec), spec
    try:
        st = os.stat(path)
        own = os.stat(proc.path("self/ns/net"))
    except OSError as exc:
        raise NamespaceError(path, exc.errno or 0, exc.strerror or str(exc)) from None
    if st.st_dev != own.st_dev:  # not on nsfs: a stale /run/netns entry, any other file
        raise NamespaceError(path, errno.EINVAL, "not a network namespace")
    return Namespace(st.st_dev, st.st_ino, name, (path,), pids, _container(proc, pids))


@contextmanager
def entered(namespace: Namespace) -> Iterator[None]:
    """Run the ``with`` block in ``namespace`` (this thread only), then return to where the
    thread was. Raises ``NamespaceError``: the namespace is gone (every path to it vanished:
    ENOENT) or may not be entered (EPERM without CAP_SYS_ADMIN)."""
    target = _open_any(namespace.paths)
    try:
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        os.close(target)
        raise
    try:
        _setns(target, namespace.paths[0] if namespace.paths else namespace.label)
        try:
            yield
        finally:
            _setns(home, "/proc/thread-self/ns/net")
    finally:
        os.close(target)
        os.close(home)


def _open_any(paths: tuple[str, ...]) -> int:
    problem = NamespaceError("", errno.ENOENT, "No such file or directory")
    for path in paths:
        try:
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            problem = NamespaceError(path, exc.errno or 0, exc.strerror or str(exc))
    raise problem


def _setns(fd: int, path: str) -> None:
    setns = getattr(os, "setns", None)  # Python 3.12+
    try:
        if setns is not None:
            setns(fd, CLONE_NEWNET)
        else:
            _libc_setns(fd)
    except OSError as exc:
        raise NamespaceError(path, exc.errno or 0, exc.strerror or str(exc)) from None


def _libc_setns(fd: int) -> None:
    import ctypes  # only here: about 5 ms to import, and only namespace runs need it

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError as exc:
        if exc.errno in _SKIPPED:
            return []
        raise


def _nsfs_mounts(proc: ProcFS) -> Iterator[str]:
    """Mount points of nsfs files (/proc/self/mountinfo: field 5 is the mount point, the
    filesystem type follows the `` - `` separator; octal escapes as the kernel writes them)."""
    try:
        lines = list(proc.open_text("self/mountinfo"))
    except ProcReadError:  # a copied /proc without it: bind mounts are then simply not found
        return
    for line in lines:
        before, _, after = line.partition(" - ")
        fields = before.split()
        if after.split()[:1] == ["nsfs"] and len(fields) >= 5 and fields[3].startswith("net:"):
            yield _unescape(fields[4])


def _unescape(path: str) -> str:
    r"""A mountinfo path with its ``\NNN`` escapes undone.

    >>> _unescape(r"/run/a\040b")
    '/run/a b'
    """
    if "\\" not in path:
        return path
    raw = path.encode("utf-8", "surrogateescape")
    out = bytearray()
    index = 0
    while index < len(raw):
        chunk = raw[index + 1 : index + 4]
        if raw[index] == 0x5C and len(chunk) == 3 and all(48 <= c <= 55 for c in chunk):
            out.append(int(chunk, 8))
            index += 4
        else:
            out.append(raw[index])
            index += 1
    return out.decode("utf-8", "surrogateescape")
