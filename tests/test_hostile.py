"""Hostile names: a process named with terminal escapes and a unix path with a newline, a space
and an ESC. Text output must carry no raw control byte and still show the rows."""

from __future__ import annotations

import re

import pytest
from netns import NetNS, pnetstat_cmd

pytestmark = pytest.mark.differential

EVIL_NAME = "\x1b[31mevil\x07\x9bname"
EVIL_PATH = "@pnt-\x1b[2J bad\nline"
CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


@pytest.fixture(scope="module")
def hostile_ns() -> NetNS:
    with NetNS() as ns:
        ns.spawn_holder(
            {
                "sockets": [
                    {"id": "est", "kind": "tcp_established", "family": 4},
                    {"id": "lst", "kind": "tcp_listen", "family": 4},
                    {"id": "ux", "kind": "unix", "type": "stream", "path": EVIL_PATH,
                     "listen": True, "accepted": 1},
                ],
                "children": [
                    {"id": "evil", "mode": "exec", "argv0": EVIL_NAME,
                     "move": ["est", "lst", "ux"]},
                ],
            }
        )  # fmt: skip
        yield ns


@pytest.mark.parametrize("flags", [["-xp"], ["-tp"], ["-ap"], ["-anp"], ["-xap"], ["-tanpe"]])
def test_no_raw_control_bytes_and_rows_present(hostile_ns: NetNS, flags: list[str]) -> None:
    done = hostile_ns.run(pnetstat_cmd(flags))
    assert done.returncode == 0, done.stderr
    assert CONTROL.search(done.stdout) is None, done.stdout
    assert CONTROL.search(done.stderr) is None
    text = done.stdout.decode()
    if flags != ["-xp"]:  # -xp lists the accepted connection, held by the parent
        assert "\\x1b[31mevil" in text  # the escaped name, visible
    if "t" not in flags[0]:
        assert "@pnt-\\x1b[2J" in text  # the unix row is present, escaped up to its space


def test_netstat_itself_leaks_them(hostile_ns: NetNS) -> None:
    """Why this matters: net-tools 2.10 prints the raw bytes (the comparison point)."""
    done = hostile_ns.run(["netstat", "-ap"])
    assert b"\x1b[31mevil" in done.stdout
