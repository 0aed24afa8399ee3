"""The sockets rules of tests/fakeproc_documented.py: each names a README row and explains only
its own difference (a run that differs in any other way stays a failure)."""

from __future__ import annotations

from pathlib import Path

from tests.fakeproc import Case, Run
from tests.fakeproc_documented import TCP_STATE_ROW, TWICE_ROW, documented

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
HEADER = b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
ROW = b"   0: 0100007F:0016 00000000:0000 %s 00000000:00000000 00:00000000 00000000 0 0 5 1\n"
TITLE = b"Active Internet connections (servers and established)\n"
COLUMNS = b"Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n"
LINE = b"tcp        0      0 127.0.0.1:22            0.0.0.0:*               %-11s\n"


def case(state: bytes) -> Case:
    return Case(1, {"tcp": HEADER + ROW % state}, ["tcp: test"], [["-tan"]])


def run(netstat: bytes, pnetstat: bytes, rc: int = 0, err: bytes = b"") -> Run:
    theirs = (TITLE + COLUMNS + netstat, err, rc)
    return Run(["-tan"], [theirs, theirs], (TITLE + COLUMNS + pnetstat, b"", 0))


def test_the_rules_name_readme_rows() -> None:
    for row in (TCP_STATE_ROW, TWICE_ROW):
        assert f"| {row} |" in README


def test_a_state_past_the_table_may_differ_in_its_state_cell_only() -> None:
    odd = case(b"1E5")
    assert documented("sockets", odd, run(LINE % b"(null)", LINE % b"")) == TCP_STATE_ROW
    assert documented("sockets", odd, run(b"", LINE % b"", rc=-11)) == TCP_STATE_ROW
    # Anything else on that row, or an ordinary state, is a real difference.
    other = LINE.replace(b"127.0.0.1:22", b"127.0.0.2:22")
    assert documented("sockets", odd, run(LINE % b"(null)", other % b"")) is None
    assert documented("sockets", odd, run(LINE % b"(null)", LINE % b"", err=b"x")) is None
    assert documented("sockets", case(b"01"), run(LINE % b"(null)", LINE % b"")) is None


def test_a_row_listed_twice_may_be_printed_once() -> None:
    twice = case(b"0A")
    assert documented("sockets", twice, run(LINE * 2 % (b"LISTEN", b"LISTEN"), LINE % b"LISTEN"))
    assert documented("sockets", twice, run(LINE % b"LISTEN", b"")) is None  # not a repeat
    assert documented("sockets", twice, run(LINE % b"LISTEN", LINE * 2 % (b"A", b"A"))) is None
