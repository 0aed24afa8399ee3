"""pnetstat.compat over /proc trees built under tmp_path: uniqueness, errors, per-process calls.

The expected errors are what psutil 7.2.2 raises for the same tree (read in its
psutil/_pslinux.py and checked by running it): the pid listing of the root fails first, then
each table's open, except that a missing tcp6/udp6 is a kernel without IPv6.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from pnetstat import compat
from pnetstat.compat import addr, pconn, sconn

TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
)
UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"
UDP6_HEADER = (
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
)


def _tcp(sl: int, local: str, remote: str, state: str, inode: int) -> str:
    return (
        f"{sl:4d}: {local} {remote} {state} 00000000:00000000 00:00000000 00000000     0"
        f"        0 {inode} 1 0000000000000000 100 0 0 10 0\n"
    )


def _unix(inode: int, path: str = "", kind: str = "0001", state: str = "03") -> str:
    return f"0000000000000000: 00000002 00000000 00000000 {kind} {state} {inode} {path}\n"


LISTEN = _tcp(0, "0100007F:1F90", "00000000:0000", "0A", 501)  # 127.0.0.1:8080
ESTABLISHED = _tcp(1, "0100007F:1F90", "0100007F:D431", "01", 502)  # -> 127.0.0.1:54321
UDP6_ANY = "   0: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 601 2 0000000000000000 0\n"


def _tree(root: Path, tables: dict[str, str]) -> Path:
    (root / "net").mkdir(parents=True)
    for name, text in tables.items():
        (root / "net" / name).write_text(text)
    return root


def _process(root: Path, pid: int, links: dict[int, str]) -> None:
    fd = root / str(pid) / "fd"
    fd.mkdir(parents=True)
    (root / str(pid) / "stat").write_text(f"{pid} (x) S 1\n")
    for number, target in links.items():
        os.symlink(target, fd / str(number))


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    """A whole tree: tcp (a listener, an established), udp (empty), udp6, unix (three
    unnamed sockets and one named, two of them held by pid 100, one by pid 200 too)."""
    root = _tree(
        tmp_path / "proc",
        {
            "tcp": TCP_HEADER + LISTEN + ESTABLISHED,
            "tcp6": TCP_HEADER,
            "udp": TCP_HEADER,
            "udp6": UDP6_HEADER + UDP6_ANY,
            "unix": UNIX_HEADER + _unix(701) + _unix(702) + _unix(703) + _unix(704, "/run/s"),
        },
    )
    _process(root, 100, {3: "socket:[501]", 4: "pipe:[9]", 5: "socket:[703]", 6: "socket:[501]"})
    _process(root, 200, {7: "socket:[703]", 8: "/dev/null"})
    return root


# ------------------------------------------------------------------------------ uniqueness


def test_identical_entries_come_once_in_first_seen_order(proc: Path) -> None:
    """Three unnamed sockets, no visible holder: psutil's set makes them one entry."""
    (proc / "100").rename(proc / "gone-100")
    (proc / "200").rename(proc / "gone-200")
    got = compat.net_connections("unix", proc=proc)
    unnamed = sconn(-1, socket.AF_UNIX, socket.SOCK_STREAM, "", "", "NONE", None)
    named = sconn(-1, socket.AF_UNIX, socket.SOCK_STREAM, "/run/s", "", "NONE", None)
    assert got == [unnamed, named]


def test_every_holder_of_one_socket_has_its_entry(proc: Path) -> None:
    got = compat.net_connections("all", proc=proc)
    assert len(got) == len(set(got))
    unnamed = (socket.AF_UNIX, socket.SOCK_STREAM, "", "", "NONE")
    assert got[-4:] == [
        sconn(-1, *unnamed, None),  # 701 and 702: one entry
        sconn(5, *unnamed, 100),  # 703: both holders, in pid order
        sconn(7, *unnamed, 200),
        sconn(-1, socket.AF_UNIX, socket.SOCK_STREAM, "/run/s", "", "NONE", None),
    ]
    listen = (socket.AF_INET, socket.SOCK_STREAM, addr("127.0.0.1", 8080), (), "LISTEN")
    # (one process's fds come in its fd directory's order: ascending in /proc, any here)
    assert set(got[:2]) == {sconn(3, *listen, 100), sconn(6, *listen, 100)}


def test_a_row_the_kernel_repeats_comes_once(proc: Path) -> None:
    (proc / "net" / "tcp").write_text(TCP_HEADER + LISTEN + ESTABLISHED + LISTEN)
    got = compat.net_connections("tcp4", proc=proc)
    assert [c.status for c in got] == ["LISTEN", "LISTEN", "ESTABLISHED"]
    assert len(got) == len(set(got))


# --------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kind", ["inet", "tcp6", "udp6", "inet6", "unix", "all"])
def test_a_missing_root_raises_for_every_kind(tmp_path: Path, kind: str) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        compat.net_connections(kind, proc=tmp_path / "missing")
    assert caught.value.filename == str(tmp_path / "missing")


def test_a_root_that_is_a_file_raises(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        compat.net_connections("inet", proc=tmp_path / "file")


@pytest.mark.parametrize(
    ("kind", "table"),
    [("inet", "tcp"), ("tcp", "tcp"), ("tcp4", "tcp"), ("udp", "udp"), ("inet4", "tcp"),
     ("unix", "unix"), ("all", "tcp")],
)  # fmt: skip
def test_an_empty_root_raises_for_the_first_table_it_needs(
    tmp_path: Path, kind: str, table: str
) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        compat.net_connections(kind, proc=tmp_path)
    assert caught.value.filename == str(tmp_path / "net" / table)


@pytest.mark.parametrize("kind", ["tcp6", "udp6", "inet6"])
def test_missing_ipv6_tables_are_a_kernel_without_ipv6(tmp_path: Path, kind: str) -> None:
    """psutil's reading (process_inet: a missing tcp6/udp6 adds nothing), even in an empty
    root, where psutil 7.2.2 returns [] too."""
    assert compat.net_connections(kind, proc=tmp_path) == []


@pytest.mark.parametrize("table", ["tcp", "udp", "unix"])
def test_a_missing_table_raises(proc: Path, table: str) -> None:
    (proc / "net" / table).unlink()
    with pytest.raises(FileNotFoundError) as caught:
        compat.net_connections("all", proc=proc)
    assert caught.value.filename == str(proc / "net" / table)


def test_a_missing_tcp6_leaves_the_rest(proc: Path) -> None:
    (proc / "net" / "tcp6").unlink()
    got = compat.net_connections("inet6", proc=proc)
    assert got == [sconn(-1, socket.AF_INET6, socket.SOCK_DGRAM, addr("::", 53), (), "NONE", None)]


def test_other_read_errors_are_the_oserror_psutil_would_see(proc: Path) -> None:
    (proc / "net" / "udp").unlink()
    (proc / "net" / "udp").mkdir()
    with pytest.raises(IsADirectoryError):
        compat.net_connections("udp", proc=proc)


@pytest.mark.parametrize(
    "call", [compat.net_connections, lambda k: compat.process_connections(1, k)]
)
def test_an_unknown_kind_is_a_value_error(call: object) -> None:
    with pytest.raises(ValueError, match="invalid kind argument 'tcp7'"):
        call("tcp7")  # type: ignore[operator]


# ---------------------------------------------------------------------------- per process


def test_process_entries_are_pconns_for_each_fd(proc: Path) -> None:
    got = compat.process_connections(100, "all", proc=proc)
    listen = (socket.AF_INET, socket.SOCK_STREAM, addr("127.0.0.1", 8080), (), "LISTEN")
    unnamed = (socket.AF_UNIX, socket.SOCK_STREAM, "", "", "NONE")
    assert got == [pconn(3, *listen), pconn(6, *listen), pconn(5, *unnamed)]
    assert all(type(c) is pconn and c._fields == pconn._fields for c in got)
    assert pconn._fields == ("fd", "family", "type", "laddr", "raddr", "status")


@pytest.mark.parametrize(
    ("kind", "fds"),
    [("inet", [3, 6]), ("inet4", [3, 6]), ("inet6", []), ("tcp", [3, 6]), ("tcp4", [3, 6]),
     ("tcp6", []), ("udp", []), ("udp4", []), ("udp6", []), ("unix", [5]), ("all", [3, 6, 5])],
)  # fmt: skip
def test_process_kinds(proc: Path, kind: str, fds: list[int]) -> None:
    assert [c.fd for c in compat.process_connections(100, kind, proc=proc)] == fds


def test_a_process_that_does_not_exist_is_a_process_lookup_error(proc: Path) -> None:
    with pytest.raises(ProcessLookupError):
        compat.process_connections(300, "all", proc=proc)
    with pytest.raises(ProcessLookupError):
        compat.process_connections(100, "all", proc=proc / "missing")


def test_a_process_without_sockets_reads_no_table(proc: Path) -> None:
    """As psutil: [] without opening a table, so a missing one raises nothing."""
    _process(proc, 300, {0: "/dev/null"})
    (proc / "net" / "tcp").unlink()
    assert compat.process_connections(300, "all", proc=proc) == []


def test_a_missing_table_raises_for_a_live_process(proc: Path) -> None:
    (proc / "net" / "tcp").unlink()
    with pytest.raises(FileNotFoundError):
        compat.process_connections(100, "tcp", proc=proc)


@pytest.mark.parametrize(("pid", "error"), [(-1, ValueError), (True, TypeError), ("1", TypeError)])
def test_a_bad_pid(pid: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        compat.process_connections(pid, "all")  # type: ignore[arg-type]
