"""UNIX socket paths with characters Python calls whitespace and C does not (issue 18).

netstat splits /proc/net/unix on the C locale's blanks only, so a path containing NBSP, U+2028
or the byte 0x1c is one word for it and is listed whole. pnetstat lists the same: the NBSP and
U+2028 paths byte for byte, the 0x1c path whole with that byte escaped as the README's
"Deliberate differences" table says (``\\x1c``: control characters in unix paths). Both socket
sources (the default and ``--source=proc``) print the same.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pnetstat.views.names import escape
from tests.conftest import require_namespace_support
from tests.netns import NetNS, pnetstat_cmd

pytestmark = pytest.mark.differential

NBSP = "nbsp\u00a0sock"
LINE_SEPARATOR = "ls\u2028sock"
FILE_SEPARATOR = "fs\x1csock"
SOCKETS = ("nbsp", "ls", "fs")
# Where a UNIX row's Path cell starts: the 50 columns before the inode, the inode padded to 8.
_HEAD = 50


@pytest.fixture(scope="module")
def unix_ns() -> Iterator[tuple[NetNS, dict[str, str]]]:
    require_namespace_support()
    with NetNS() as ns:
        holder = ns.spawn_holder(
            {
                "sockets": [
                    {"id": "nbsp", "kind": "unix", "type": "stream", "path": NBSP,
                     "listen": True, "accepted": 1},
                    {"id": "ls", "kind": "unix", "type": "dgram", "path": LINE_SEPARATOR,
                     "clients": 1},
                    {"id": "fs", "kind": "unix", "type": "seqpacket", "path": FILE_SEPARATOR,
                     "listen": True, "accepted": 1},
                ]
            }
        )  # fmt: skip
        # The paths as /proc/net/unix shows them (under the namespace's temporary directory).
        paths = {sid: next(s["path"] for s in holder.find(sid) if s["path"]) for sid in SOCKETS}
        yield ns, paths


def _readme_escaped(netstat_out: bytes) -> bytes:
    """netstat's output with each UNIX row's Path cell escaped as the README says."""
    lines = netstat_out.decode("utf-8", "surrogateescape").split("\n")
    out = []
    for line in lines:
        if line.startswith(("unix ", "??   ")):
            inode = line[_HEAD:].split(" ", 1)[0]
            start = _HEAD + max(8, len(inode)) + 1
            line = line[:start] + escape(line[start:])
        out.append(line)
    return "\n".join(out).encode("utf-8", "surrogateescape")


@pytest.mark.parametrize("flags", [["-xa"], ["-xan"]])
def test_paths_with_unicode_and_control_separators(
    unix_ns: tuple[NetNS, dict[str, str]], flags: list[str]
) -> None:
    ns, paths = unix_ns
    before = ns.run(["netstat", *flags])
    default = ns.run(pnetstat_cmd(flags))
    proc = ns.run(pnetstat_cmd([*flags, "--source=proc"]))
    after = ns.run(["netstat", *flags])
    assert before.stdout == after.stdout, "netstat's output changed between two runs"
    assert before.returncode == default.returncode == proc.returncode == 0
    assert before.stderr == default.stderr == proc.stderr == b""

    # netstat lists every path whole: the characters are no blanks for C.
    for sid in SOCKETS:
        assert (" " + paths[sid] + "\n").encode() in before.stdout, paths[sid]
    # pnetstat: NBSP and U+2028 exactly as netstat, 0x1c whole and escaped.
    assert (" " + paths["nbsp"] + "\n").encode() in default.stdout
    assert (" " + paths["ls"] + "\n").encode() in default.stdout
    assert (" " + paths["fs"].replace("\x1c", "\\x1c") + "\n").encode() in default.stdout
    assert b"\x1c" not in default.stdout

    assert default.stdout == _readme_escaped(before.stdout)
    assert proc.stdout == default.stdout
