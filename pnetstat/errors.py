"""The exception tree of pnetstat.

The library raises these and decides no messages; the CLI maps them to netstat's words and exit
statuses::

    Error
     +-- ParseError        a kernel line that does not have the expected shape
     |    +-- MissingColumn a table header without a column the reader needs
     |    +-- ForeignFormat a line read in another file's format (as netstat reads it)
     +-- ProcReadError     a /proc file exists but reading it failed (EIO, ...)
     |    +-- Unsupported  the kernel does not provide a file (ENOENT/EACCES): no such support
     +-- NetlinkError      a NETLINK_SOCK_DIAG request failed
 +-- NamespaceError    a network namespace cannot be found or entered
     +-- UsageError        bad command-line input (options, address families)
"""

from __future__ import annotations

__all__ = [
    "Error",
    "ForeignFormat",
    "MissingColumn",
    "NamespaceError",
    "NetlinkError",
    "ParseError",
    "ProcReadError",
    "Unsupported",
    "UsageError",
]


class Error(Exception):
    """Base class of every error pnetstat raises on purpose."""


class ParseError(Error):
    """A line of a kernel file that could not be parsed."""

    def __init__(self, path: str, lineno: int, line: str) -> None:
        super().__init__(f"{path}:{lineno}: cannot parse {line!r}")
        self.path = path
        self.lineno = lineno
        self.line = line


class MissingColumn(ParseError):
    """A table's header line lacks ``column`` (``""``: the file has no header at all)."""

    def __init__(self, path: str, lineno: int, line: str, column: str) -> None:
        super().__init__(path, lineno, line)
        self.column = column


class ForeignFormat(ParseError):
    """A line that did not parse in ``format``, another file's format, which netstat uses for
    this file (/proc/net/igmp without "Device" in its header is read as igmp6)."""

    def __init__(self, path: str, lineno: int, line: str, format: str) -> None:
        super().__init__(path, lineno, line)
        self.format = format


class ProcReadError(Error):
    """A kernel file could not be read; ``errno``/``strerror`` come from the failed call."""

    def __init__(self, path: str, errno: int, strerror: str) -> None:
        super().__init__(f"{path}: {strerror}")
        self.path = path
        self.errno = errno
        self.strerror = strerror


class Unsupported(ProcReadError):
    """The kernel does not offer this file (missing module, IPv6 off, no permission)."""


class NetlinkError(Error):
    """A netlink request failed; ``errno`` is the kernel's answer."""

    def __init__(self, message: str, errno: int = 0) -> None:
        super().__init__(message)
        self.errno = errno


class NamespaceError(Error):
    """A network namespace could not be found (ENOENT, EINVAL: not a namespace file) or
    entered (EPERM without CAP_SYS_ADMIN); ``path`` is what led to it."""

    def __init__(self, path: str, errno: int, strerror: str) -> None:
        super().__init__(f"{path}: {strerror}")
        self.path = path
        self.errno = errno
        self.strerror = strerror


class UsageError(Error):
    """The command line cannot be acted on."""
