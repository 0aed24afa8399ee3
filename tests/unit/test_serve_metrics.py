"""The exporter's pure parts: metric families from crafted rows (pnetstat.serve.metrics), the
--max-series fold and its count, and ``SharedScrape`` (one read however many scrapers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

from pnetstat.model import Family as AF
from pnetstat.model import InetSocket, Protocol
from pnetstat.serve.exposition import SharedScrape
from pnetstat.serve.metrics import OTHER, Family, Scope, fold, socket_families

LO = IPv4Address("127.0.0.1")
ANY = IPv4Address("0.0.0.0")
LISTEN, ESTABLISHED, TIME_WAIT = 10, 1, 6
WAIT = 10.0  # bound on every wait below; none is expected to last more than milliseconds


def tcp(
    local_port: int,
    remote_port: int,
    state: int,
    *,
    rx_queue: int = 0,
    tx_queue: int = 0,
    local: IPv4Address = LO,
) -> InetSocket:
    """A TCP row as the kernel gives it (the fields pnetstat.serve.metrics looks at)."""
    remote = ANY if remote_port == 0 else LO
    return InetSocket(Protocol.TCP, AF.INET, 0, local, local_port, remote, remote_port, state,
                      tx_queue, rx_queue, 0, 0, 0, 0, 0, 1)  # fmt: skip


def udp(local_port: int, remote_port: int) -> InetSocket:
    remote = ANY if remote_port == 0 else LO
    state = ESTABLISHED if remote_port else 7  # the kernel's TCP_CLOSE for unconnected UDP
    return InetSocket(Protocol.UDP, AF.INET, 0, LO, local_port, remote, remote_port, state,
                      0, 0, 0, 0, 0, 0, 0, 2)  # fmt: skip


def by_name(families: list[Family]) -> dict[str, dict[tuple[str, ...], float]]:
    return {f.name: dict(f.samples) for f in families}


def test_families_from_known_rows() -> None:
    rows = [
        tcp(80, 0, LISTEN, rx_queue=3, tx_queue=128),  # 3 waiting in the accept queue
        tcp(80, 40001, ESTABLISHED),  # inbound: its local port listens
        tcp(80, 40002, ESTABLISHED),
        tcp(40001, 80, ESTABLISHED),  # the clients: outbound to port 80
        tcp(40002, 80, ESTABLISHED),
        tcp(40003, 443, TIME_WAIT),
        tcp(40004, 443, 99),  # a state number no kernel has (yet): no crash
        udp(53, 0),  # an unconnected UDP socket is a server: no connection series
        udp(40005, 53),
    ]
    families, dropped = socket_families([(Scope(), rows)], 100)
    found = by_name(families)
    assert dropped == 0
    assert found["pnetstat_tcp_connections"] == {
        ("listen",): 1, ("established",): 4, ("time_wait",): 1, ("99",): 1,
    }  # fmt: skip
    assert found["pnetstat_sockets"] == {("tcp",): 7, ("udp",): 2}
    assert found["pnetstat_listen_queue_length"] == {("tcp", "127.0.0.1", "80"): 3}
    assert found["pnetstat_listen_queue_max"] == {("tcp", "127.0.0.1", "80"): 128}
    assert found["pnetstat_connections"] == {
        ("tcp", "80", "inbound", "established"): 2,
        ("tcp", "80", "outbound", "established"): 2,
        ("tcp", "443", "outbound", "time_wait"): 1,
        ("tcp", "443", "outbound", "99"): 1,
        ("udp", "53", "outbound", "established"): 1,
    }


def test_namespace_labels_keep_listings_apart() -> None:
    listings = [
        (Scope("ns-a", "c1"), [tcp(80, 0, LISTEN, rx_queue=1)]),
        (Scope("ns-b", ""), [tcp(80, 0, LISTEN, rx_queue=2), tcp(80, 5, ESTABLISHED)]),
    ]
    families, _ = socket_families(listings, 100, namespaces=True)
    found = by_name(families)
    assert found["pnetstat_listen_queue_length"] == {
        ("ns-a", "c1", "tcp", "127.0.0.1", "80"): 1,
        ("ns-b", "", "tcp", "127.0.0.1", "80"): 2,
    }
    assert found["pnetstat_connections"] == {("ns-b", "", "tcp", "80", "inbound", "established"): 1}


def test_max_series_folds_connections_into_other_and_counts_them() -> None:
    # Outbound connections to 6 remote ports, port 1000 + k holding k + 1 connections.
    rows = [tcp(30000 + 10 * k + i, 1000 + k, ESTABLISHED) for k in range(6) for i in range(k + 1)]
    families, dropped = socket_families([(Scope(), rows)], 3)
    series = by_name(families)["pnetstat_connections"]
    assert series == {
        ("tcp", "1005", "outbound", "established"): 6,
        ("tcp", "1004", "outbound", "established"): 5,
        ("tcp", OTHER, "outbound", "established"): 4 + 3 + 2 + 1,
    }
    assert dropped == 4  # ports 1003, 1002, 1001 and 1000 went into port="other"
    assert sum(series.values()) == len(rows)  # folding loses no connection


def test_max_series_folds_listeners_and_sums_both_counts() -> None:
    listeners = [tcp(2000 + k, 0, LISTEN, rx_queue=k) for k in range(5)]
    # Two outbound series as well: dropped counts the queue's and the connections' folds.
    clients = [tcp(40000, 1, ESTABLISHED), tcp(40001, 1, ESTABLISHED), tcp(40002, 2, ESTABLISHED)]
    families, dropped = socket_families([(Scope(), listeners + clients)], 2)
    found = by_name(families)
    assert found["pnetstat_listen_queue_length"] == {
        ("tcp", "127.0.0.1", "2004"): 4,
        ("tcp", "127.0.0.1", OTHER): 0 + 1 + 2 + 3,
    }
    assert dropped == 4  # listeners 2000..2003 folded; the 2 connection series fit


def test_max_series_folds_program_too() -> None:
    series = {("tcp", "1", "a"): 3.0, ("tcp", "2", "b"): 2.0, ("tcp", "3", "c"): 1.0}
    kept, folded = fold(series, 2, 1, program_at=2)
    assert kept == {("tcp", "1", "a"): 3.0, ("tcp", OTHER, OTHER): 3.0}
    assert folded == 2


def test_fold_keeps_at_most_max_series() -> None:
    series = {("tcp", "1", "inbound"): 3.0, ("tcp", "2", "outbound"): 2.0, ("tcp", "3", "x"): 1.0}
    kept, _ = fold(series, 2, 1)
    assert len(kept) <= 2, kept


# --- SharedScrape -------------------------------------------------------------------------


def wait_for(what: str, condition: Callable[[], bool]) -> None:
    """Poll ``condition`` until it holds, failing after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT} s: {what}")
        time.sleep(0.001)


class SlowRead:
    """A read of the kernel that blocks until released, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None

    def __call__(self) -> list[Family]:
        self.calls += 1
        self.started.set()
        assert self.release.wait(WAIT), "never released"
        if self.error is not None:
            raise self.error
        return [Family("pnetstat_x", "x", "gauge", (), [((), float(self.calls))])]


def scrape_in_threads(shared: SharedScrape, read: SlowRead, count: int) -> list[object]:
    """``count`` threads scrape at once: the first reads, the others arrive while it reads.
    Returns what each got (a family list or the exception it raised)."""
    results: list[object] = [None] * count

    def scrape(i: int) -> None:
        try:
            results[i] = shared()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=scrape, args=(i,)) for i in range(count)]
    threads[0].start()
    assert read.started.wait(WAIT)
    for thread in threads[1:]:
        thread.start()
    # Every later scraper is waiting for the read in progress (CPython's Condition keeps its
    # waiters in _waiters: the one way to know without sleeping a guessed time).
    wait_for(f"{count - 1} scrapers waiting", lambda: len(shared._done._waiters) == count - 1)  # type: ignore[attr-defined]
    read.release.set()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()
    return results


def test_concurrent_scrapes_share_one_read() -> None:
    read = SlowRead()
    shared = SharedScrape(read)
    results = scrape_in_threads(shared, read, 8)
    assert read.calls == 1
    assert shared.reads == 1
    assert all(result is results[0] for result in results), results
    # A scrape arriving after the read ended reads afresh.
    read.release.set()
    again = shared()
    assert read.calls == shared.reads == 2
    assert again[0].samples == [((), 2.0)]


def test_a_failed_read_fails_every_scraper_sharing_it() -> None:
    read = SlowRead()
    read.error = OSError("the namespace went away")
    shared = SharedScrape(read)
    results = scrape_in_threads(shared, read, 4)
    assert read.calls == 1
    assert all(result is read.error for result in results), results
    read.error = None
    assert shared()[0].samples == [((), 2.0)]  # the next scrape is not poisoned


def test_udp_ipv6_row_is_table_udp6() -> None:
    row = InetSocket(Protocol.UDP, AF.INET6, 0, IPv6Address("::1"), 5000, IPv6Address("::"), 0,
                     7, 0, 0, 0, 0, 0, 0, 0, 3)  # fmt: skip
    families, _ = socket_families([(Scope(), [row])], 10)
    assert by_name(families)["pnetstat_sockets"] == {("udp6",): 1}
