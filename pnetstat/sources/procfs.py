"""Reading /proc: the ``ProcFS`` root, race-tolerant opens, and the errors they map to.

The /proc root is a parameter (``ProcFS(root)``), never a global, so tests point it at a tree
under ``tests/fixtures``. ``read_*`` functions open files (and raise ``Unsupported`` at call time
when the kernel has no such file); ``parse_*`` functions are pure and turn lines into model
objects. A malformed line is reported to an ``on_error`` callback (an ``ErrorHandler``; by
default ``ignore_errors``) as a ``ParseError`` and skipped, the way netstat warns and carries on.

The socket tables are parsed in ``proc_inet`` (TCP, UDP, UDP-Lite, RAW) and ``proc_unix``; this
module keeps the small readers of single values (``read_local_port_range``).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Iterator

from ..errors import ParseError, ProcReadError, Unsupported

__all__ = [
    "ErrorHandler",
    "ProcFS",
    "ignore_errors",
    "read_local_port_range",
]

ErrorHandler = Callable[[ParseError], None]

# A missing file means "no kernel support" to netstat; so does a file it may not read.
_UNSUPPORTED = (errno.ENOENT, errno.EACCES)


def ignore_errors(_: ParseError) -> None:
    """The default ``on_error``: skip malformed lines silently."""
    return None


class ProcFS:
    """A /proc tree: ``ProcFS()`` is the live one, ``ProcFS(path)`` a copy or another mount."""

    __slots__ = ("root",)

    def __init__(self, root: str | os.PathLike[str] = "/proc") -> None:
        self.root = os.fspath(root)

    def __repr__(self) -> str:
        return f"ProcFS({self.root!r})"

    def path(self, relative: str) -> str:
        """The absolute path of ``relative`` (e.g. ``"net/tcp"``) under this root."""
        return f"{self.root}/{relative}"

    def open_text(self, relative: str) -> Iterator[str]:
        """Open a text file and return an iterator over its lines.

        Raises ``Unsupported`` (ENOENT, EACCES) or ``ProcReadError`` (anything else) at call
        time, before the first line is read. Bytes that are not UTF-8 (unix socket paths) are
        kept with ``surrogateescape`` so nothing is lost.
        """
        path = self.path(relative)
        try:
            handle = open(path, encoding="utf-8", errors="surrogateescape", newline="\n")  # noqa: SIM115
        except OSError as exc:
            raise _read_error(path, exc) from None
        return _lines(handle, path)


def _read_error(path: str, exc: OSError) -> ProcReadError:
    code = exc.errno or 0
    cls = Unsupported if code in _UNSUPPORTED else ProcReadError
    return cls(path, code, exc.strerror or str(exc))


def _lines(handle: Iterable[str], path: str) -> Iterator[str]:
    with handle:  # type: ignore[attr-defined]
        try:
            yield from handle
        except OSError as exc:
            raise _read_error(path, exc) from None


def read_local_port_range(proc: ProcFS) -> tuple[int, int]:
    """The ports the kernel picks from when a socket binds none (ip_local_port_range of the
    reader's namespace); the kernel's default when the file cannot be read."""
    try:
        text = next(proc.open_text("sys/net/ipv4/ip_local_port_range"), "")
        low, high = (int(field) for field in text.split()[:2])
    except (ProcReadError, ValueError):
        return 32768, 60999
    return low, high
