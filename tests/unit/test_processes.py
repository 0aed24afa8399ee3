"""The inode -> owner walk over fixture /proc trees with fake pids (tests/fixtures/proc)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pnetstat.sources import processes
from pnetstat.sources.processes import read_owners
from pnetstat.sources.procfs import ProcFS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "proc"


def _fake(tmp_path: Path, pid: int, argv: bytes, links: dict[int, str]) -> None:
    fd = tmp_path / str(pid) / "fd"
    fd.mkdir(parents=True)
    (tmp_path / str(pid) / "cmdline").write_bytes(argv)
    for number, target in links.items():
        os.symlink(target, fd / str(number))


def test_first_owner_is_lowest_pid_and_all_owners_are_kept(tmp_path: Path) -> None:
    _fake(tmp_path, 1000, b"/usr/bin/second\0x", {3: "socket:[77]"})
    _fake(tmp_path, 200, b"first\0", {4: "socket:[77]", 5: "pipe:[9]", 6: "[0000]:78"})
    owners = read_owners(ProcFS(tmp_path))
    assert [(o.pid, o.fd, o.argv0) for o in owners.owners[77]] == [
        (200, 4, "first"),
        (1000, 3, "/usr/bin/second"),
    ]
    first = owners.first(77)
    assert first is not None and first.pid == 200
    assert owners.first(78) is not None and owners.first(9) is None
    assert not owners.denied


def test_vanished_process_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "300").mkdir()  # a pid whose fd directory is already gone
    _fake(tmp_path, 301, b"alive\0", {3: "socket:[555]"})
    owners = read_owners(ProcFS(tmp_path))
    assert list(owners.owners) == [555] and not owners.denied


def test_wanted_stops_early_without_changing_the_first_owner(tmp_path: Path) -> None:
    _fake(tmp_path, 10, b"a\0", {3: "socket:[111]"})
    _fake(tmp_path, 20, b"b\0", {3: "socket:[111]", 4: "socket:[222]"})
    owners = read_owners(ProcFS(tmp_path), wanted={111})
    assert [o.pid for o in owners.owners[111]] == [10]
    assert 222 not in owners.owners


def test_fixture_tree_with_live_ns_pids() -> None:
    owners = read_owners(ProcFS(FIXTURES / "live-ns"))
    assert owners.owners and all(len(v) >= 1 for v in owners.owners.values())


def test_unreadable_proc_root(tmp_path: Path) -> None:
    owners = read_owners(ProcFS(tmp_path / "missing"))
    assert owners.proc_unreadable and not owners.owners


def test_a_lazy_map_walks_only_as_far_as_its_lookups(tmp_path: Path) -> None:
    _fake(tmp_path, 10, b"a\0", {3: "socket:[111]"})
    _fake(tmp_path, 20, b"b\0", {3: "socket:[111]", 4: "socket:[222]"})
    _fake(tmp_path, 30, b"c\0", {5: "socket:[333]"})
    eager = read_owners(ProcFS(tmp_path))
    lazy = read_owners(ProcFS(tmp_path), lazy=True)
    assert lazy.walk is not None and lazy.owners == {} and not lazy.denied
    first = lazy.first(111)
    assert first is not None and (first.pid, first.fd) == (10, 3)
    assert set(lazy.owners) == {111}  # pid 20 and 30 not read yet
    assert lazy.first(222) == eager.first(222) and 333 not in lazy.owners
    assert lazy.first(0) is None and 333 not in lazy.owners  # TIME_WAIT rows: no walk
    assert lazy.first(999) is None  # not held by anyone: the walk goes to the end
    assert lazy.owners == eager.owners  # and then has found everything, in the same order
    assert all(lazy.first(inode) == eager.first(inode) for inode in (111, 222, 333))


def test_a_lazy_map_walks_at_once_if_a_process_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # netstat's notes come before the rows and depend on what the whole walk saw.
    _fake(tmp_path, 10, b"a\0", {3: "socket:[111]"})
    _fake(tmp_path, 20, b"b\0", {4: "socket:[222]"})
    monkeypatch.setattr(processes, "_refused", lambda proc, pid: pid == 20)
    owners = read_owners(ProcFS(tmp_path), lazy=True)
    assert owners.walk is None and set(owners.owners) == {111, 222}


def test_links_read_on_two_threads_keep_the_walks_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = {fd: f"socket:[{1000 + fd % 7}]" for fd in range(3, 40)}
    links[20] = "pipe:[5]"
    _fake(tmp_path, 10, b"many\0", links)
    _fake(tmp_path, 11, b"other\0", {3: "socket:[1003]"})
    one_thread = read_owners(ProcFS(tmp_path))
    monkeypatch.setattr(processes, "_SPLIT", 4)  # every fd directory read in two halves
    two_threads = read_owners(ProcFS(tmp_path))
    assert two_threads == one_thread and len(one_thread.owners[1003]) == 7
