#!/usr/bin/env python3
"""Write the hand-made scenarios: odd, empty, non-utf8, unix-noinode (and etc/odd overrides).

Usage::

    python3 tests/tools/make_handmade.py

Rows are written in the kernel's /proc/net layouts (net/ipv4/tcp_ipv4.c, udp.c, raw.c,
net/ipv6/*, net/unix/af_unix.c) with values the kernel never produces, to pin netstat's
handling of them. Each row's comment says what it exercises.
"""

from __future__ import annotations

import shutil
import socket
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import capture_proc

FIXTURES = capture_proc.FIXTURES
PROC = FIXTURES / "proc"

TCP4_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
TCP6_HEADER = (
    "  sl  local_address                         remote_address                        "
    "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
)
UDP4_HEADER = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
UDP6_HEADER = (
    "  sl  local_address                         remote_address                        "
    "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
)
RAW4_HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops"
UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path"


def hex4(ip: str) -> str:
    """IPv4 text -> /proc hex (the 32-bit word as the little-endian host stores it)."""
    return f"{struct.unpack('<I', socket.inet_aton(ip))[0]:08X}"


def hex6(ip: str) -> str:
    """IPv6 text -> /proc hex (four host-order 32-bit words)."""
    raw = socket.inet_pton(socket.AF_INET6, ip)
    return "".join(f"{w:08X}" for w in struct.unpack("<4I", raw))


def inet_row(
    sl: int,
    local: tuple[str, int],
    remote: tuple[str, int],
    st: int,
    *,
    tx: int = 0,
    rx: int = 0,
    tr: int = 0,
    when: int = 0,
    retr: int = 0,
    uid: int = 0,
    timeout: int = 0,
    inode: int = 0,
    tail: str = " 2 0000000000000000 20 4 30 10 -1",
) -> str:
    """One row in the shared tcp/udp/raw layout; the address family follows the address text."""
    h = hex6 if ":" in local[0] else hex4
    return (
        f"{sl:4d}: {h(local[0])}:{local[1]:04X} {h(remote[0])}:{remote[1]:04X} {st:02X} "
        f"{tx:08X}:{rx:08X} {tr:02X}:{when:08X} {retr:08X} {uid:5d} {timeout:8d} {inode}{tail}"
    )


def unix_row(
    refcnt: int, proto: int, flags: int, typ: int, st: int, inode: int, path: str = ""
) -> str:
    row = f"0000000000000000: {refcnt:08X} {proto:08X} {flags:08X} {typ:04X} {st:02X} {inode:5d}"
    return row + (" " + path if path else "")


def write(path: Path, lines: list[str], *, pad: int = 0) -> None:
    """Write lines (each padded to ``pad`` like the kernel's tcp4 file) with a final newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(line.ljust(pad) + "\n" for line in lines).encode("utf-8"))


def fresh(name: str) -> Path:
    d = PROC / name
    shutil.rmtree(d, ignore_errors=True)
    (d / "net").mkdir(parents=True)
    return d


# ----------------------------------------------------------------------------------------


def make_odd() -> None:
    d = fresh("odd")
    net = d / "net"
    tw_tail = " 3 0000000000000000"  # TIME_WAIT rows end after the pointer
    write(
        net / "tcp",
        [
            TCP4_HEADER,
            # LISTEN, 16-char service: host cut to 6 chars -> localh:clc-build-daemon
            inet_row(0, ("127.0.0.1", 8990), ("0.0.0.0", 0), 0x0A, inode=1001),
            # LISTEN owned by uid 4242 (25-char user name pushes the -e columns)
            inet_row(1, ("0.0.0.0", 22), ("0.0.0.0", 0), 0x0A, uid=4242, inode=1002),
            # LISTEN on a network address named in etc/odd/networks: still printed numeric
            inet_row(2, ("10.0.0.0", 5000), ("0.0.0.0", 0), 0x0A, inode=1003),
            # state 0 -> empty State; uid without passwd entry; long host + long service
            inet_row(3, ("10.0.0.1", 40000), ("10.0.0.2", 8990), 0x00, uid=54321, inode=1004),
            # CLOSING, retransmit timer on (0.41/3/7); remote 'kerberos'
            inet_row(
                4,
                ("10.0.0.1", 35136),
                ("10.0.0.2", 88),
                0x0B,
                tr=1,
                when=0x29,
                retr=3,
                timeout=7,
                inode=1005,
            ),
            # queues wider than 6 digits; keepalive with huge when and retransmits 10
            inet_row(
                5,
                ("127.0.0.1", 22),
                ("127.0.0.1", 50003),
                0x01,
                tx=0xFFFFFFFF,
                rx=9999999,
                tr=2,
                when=0xFFFFFFFF,
                retr=0x0A,
                inode=1006,
            ),
            # SYN_RECV (embryonic: inode 0)
            inet_row(6, ("10.0.0.1", 9002), ("10.0.0.99", 40000), 0x03, tr=1, when=0x30, inode=0),
            # FIN_WAIT1 with zero-window probe timer
            inet_row(
                7, ("10.0.0.1", 4444), ("10.0.0.3", 22), 0x04, tx=4904, tr=4, when=0x9D, inode=1008
            ),
            # TIME_WAIT, short kernel row, timewait timer
            inet_row(
                8, ("127.0.0.1", 60966), ("127.0.0.1", 9000), 0x06, tr=3, when=0x16AA, tail=tw_tail
            ),
            # CLOSE with unknown timer code 5
            inet_row(
                9,
                ("10.0.0.1", 4445),
                ("10.0.0.4", 22),
                0x07,
                tr=5,
                when=0x1234,
                retr=2,
                timeout=1,
                inode=1010,
            ),
            # LAST_ACK, unknown timer 15 with a large value
            inet_row(
                10,
                ("10.0.0.1", 4446),
                ("10.0.0.5", 22),
                0x09,
                tr=0x0F,
                when=0x7FFFFFFF,
                retr=0xFF,
                timeout=99,
                inode=1011,
            ),
            # SYN_SENT, timer code 0xFF
            inet_row(
                11,
                ("10.0.0.1", 4447),
                ("10.0.0.6", 65535),
                0x02,
                tx=1,
                tr=0xFF,
                when=1,
                retr=2,
                inode=1012,
            ),
            # CLOSE_WAIT from a first-octet-zero address (getnetbyaddr path), uid 65534
            inet_row(12, ("0.1.2.3", 4448), ("10.0.0.2", 65535), 0x08, rx=1, uid=65534, inode=1013),
            # FIN_WAIT2 on 127.0.0.0 (named 'loopback' in networks, printed numeric)
            inet_row(
                13, ("127.0.0.0", 5001), ("127.0.0.1", 4449), 0x05, tr=3, when=0x1700, inode=0
            ),
            # remote port 0 with a remote address: a "server" for TCP (only port counts)
            inet_row(14, ("10.0.0.1", 4450), ("10.0.0.2", 0), 0x01, inode=1015),
            # 19-char host + 'ssh' = 22: fits; 20-char host + 'ssh' = 23: cut
            inet_row(15, ("10.0.0.1", 4451), ("10.0.0.7", 22), 0x01, inode=1016),
            inet_row(16, ("10.0.0.1", 4452), ("10.0.0.8", 22), 0x01, inode=1017),
            # 22-char service name (capped at 18) and a duplicated port (last entry wins)
            inet_row(17, ("10.0.0.1", 4453), ("10.0.0.1", 4454), 0x01, inode=1018),
            inet_row(18, ("10.0.0.1", 4455), ("10.0.0.1", 4456), 0x01, inode=1019),
            # accepted although short (11 sscanf fields, up to retrnsmt, are enough): the
            # missing timeout and inode keep the values of the previous row (1019)
            "  19: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0",
            # bogus: junk
            "junk",
            # after the bogus lines, processing continues
            inet_row(21, ("127.0.0.1", 80), ("127.0.0.1", 4457), 0x01, uid=1, inode=1020),
        ],
        pad=149,
    )
    write(
        net / "tcp6",
        [
            TCP6_HEADER,
            # long address, 5-digit port: 2001:db8:1234:567:45678
            inet_row(
                0, ("2001:db8:1234:5678:9abc:def0:1234:5678", 45678), ("::", 0), 0x0A, inode=1101
            ),
            # link-local + 80: fe80::200:3ff:1a2b:3:80 with -n
            inet_row(1, ("fe80::200:3ff:1a2b:3c4f", 80), ("::", 0), 0x0A, inode=1102),
            # named peer (hosts) with a long service: v6peer:clc-build-daemon; -n: 2001:db8:1234:5678:8990
            inet_row(
                2,
                ("2001:db8:1234:5678::1", 36190),
                ("2001:db8:1234:5678::2", 8990),
                0x01,
                inode=1103,
            ),
            # IPv4-mapped both ends (prefix stripped), and an IPv4-compatible address (kept)
            inet_row(3, ("::ffff:10.0.0.1", 80), ("::ffff:10.0.0.2", 56890), 0x01, inode=1104),
            inet_row(4, ("::1.2.3.4", 22), ("::1", 4460), 0x08, uid=54321, inode=1105),
            # ::1 named 'localhost' by hosts; unknown timer
            inet_row(5, ("::1", 4461), ("::1", 3389), 0x06, tr=3, when=0x100, tail=tw_tail),
            "   6: 00000000000000000000000001000000:0016",  # bogus (warns as a "tcp" line)
        ],
    )
    write(
        net / "udp",
        [
            UDP4_HEADER,
            # server with Recv-Q (state 7 -> empty)
            inet_row(
                1,
                ("0.0.0.0", 53),
                ("0.0.0.0", 0),
                0x07,
                rx=832,
                inode=1201,
                tail=" 2 0000000000000000 0",
            ),
            # connected, trimmed foreign a-very-:afs3-fileserver
            inet_row(
                2,
                ("10.0.0.1", 38115),
                ("10.0.0.2", 7000),
                0x01,
                inode=1202,
                tail=" 2 0000000000000000 0",
            ),
            # state 2 -> UNKNOWN; timer on1
            inet_row(
                3,
                ("127.0.0.1", 5353),
                ("127.0.0.1", 53),
                0x02,
                tr=1,
                when=0x64,
                retr=5,
                timeout=3,
                inode=1203,
                tail=" 2 0000000000000000 0",
            ),
            # state 10 with zero remote address: a "server" with State UNKNOWN; timer on2
            inet_row(
                4,
                ("0.0.0.0", 123),
                ("0.0.0.0", 0),
                0x0A,
                tr=2,
                when=0x2710,
                inode=1204,
                tail=" 2 0000000000000000 0",
            ),
            # remote address zero but port set: still a server for UDP
            inet_row(
                5,
                ("127.0.0.1", 9999),
                ("0.0.0.0", 53),
                0x07,
                tr=5,
                when=0xFFFFFFFF,
                retr=7,
                timeout=2,
                inode=1205,
                tail=" 2 0000000000000000 0",
            ),
            # remote address set, port 0: not a server; host cut before ':*'
            inet_row(
                6,
                ("10.0.0.1", 5000),
                ("10.0.0.2", 0),
                0x01,
                rx=12345678,
                tx=87654321,
                uid=54321,
                inode=1206,
                tail=" 2 0000000000000000 0",
            ),
            # short but accepted: uid and inode are the previous row's (54321, 1206)
            "   7: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000",
            # bogus: too few fields
            "   8: 0100007F:0035 00000000:0000 07 00000000:00000000",
        ],
    )
    write(
        net / "udp6",
        [
            UDP6_HEADER,
            inet_row(1, ("::", 546), ("::", 0), 0x07, inode=1301, tail=" 2 0000000000000000 0"),
            inet_row(
                2,
                ("2001:db8:1234:5678::1", 53814),
                ("2001:db8:1234:5678::2", 547),
                0x01,
                inode=1302,
                tail=" 2 0000000000000000 0",
            ),
            inet_row(
                3, ("::1", 4470), ("::1", 4471), 0x03, inode=1303, tail=" 2 0000000000000000 0"
            ),
        ],
    )
    write(
        net / "udplite",
        [
            UDP4_HEADER,
            inet_row(
                1, ("0.0.0.0", 7000), ("0.0.0.0", 0), 0x07, inode=1401, tail=" 2 0000000000000000 0"
            ),
            inet_row(
                2,
                ("10.0.0.1", 4480),
                ("10.0.0.2", 7001),
                0x01,
                inode=1402,
                tail=" 2 0000000000000000 0",
            ),
        ],
    )
    write(
        net / "udplite6",
        [
            UDP6_HEADER,
            inet_row(1, ("::", 7001), ("::", 0), 0x07, inode=1501, tail=" 2 0000000000000000 0"),
        ],
    )
    write(
        net / "raw",
        [
            RAW4_HEADER,
            inet_row(
                1,
                ("0.0.0.0", 1),
                ("0.0.0.0", 0),
                0x07,
                rx=3328,
                inode=1601,
                tail=" 2 0000000000000000 0",
            ),
            inet_row(
                2, ("0.0.0.0", 2), ("0.0.0.0", 0), 0x07, inode=1602, tail=" 2 0000000000000000 0"
            ),
            # connected: state 1, remote port always 0 -> localhost:tcp / localhost:*
            inet_row(
                6,
                ("127.0.0.1", 6),
                ("127.0.0.1", 0),
                0x01,
                rx=26594,
                inode=1603,
                tail=" 2 0000000000000000 0",
            ),
            inet_row(
                9, ("0.0.0.0", 9), ("0.0.0.0", 0), 0x07, inode=1604, tail=" 2 0000000000000000 0"
            ),
            # protocol 200 named only by a 'raw' service; 1 also has a raw service (protocols win)
            inet_row(
                10,
                ("0.0.0.0", 200),
                ("0.0.0.0", 0),
                0x0A,
                tr=1,
                when=0x64,
                retr=9,
                timeout=4,
                inode=1605,
                tail=" 2 0000000000000000 0",
            ),
            inet_row(
                11,
                ("0.0.0.0", 255),
                ("0.0.0.0", 0),
                0xFF,
                tr=7,
                when=5,
                inode=1606,
                tail=" 2 0000000000000000 0",
            ),
            "  12: 00000000:00FF",  # bogus: too few fields
            # accepted although short (needs 10 sscanf fields, up to tm->when): the missing
            # retrnsmt/uid/timeout/inode keep the values of the previous row
            "  13: 0100007F:0011 00000000:0000 07 00000000:00000000 00:00000000",
        ],
    )
    write(
        net / "raw6",
        [
            UDP6_HEADER,
            inet_row(
                1, ("::", 58), ("::", 0), 0x07, rx=212992, inode=1701, tail=" 2 0000000000000000 0"
            ),
            inet_row(2, ("::1", 255), ("::1", 0), 0x01, inode=1702, tail=" 2 0000000000000000 0"),
        ],
    )
    write(
        net / "unix",
        [
            UNIX_HEADER,
            unix_row(2, 0, 0x10000, 1, 1, 2001, "/run/odd/listen.sock"),  # [ ACC ] STREAM LISTENING
            unix_row(2, 0, 0x20000, 2, 0, 2002, "/run/odd/w.sock"),  # [ W ] DGRAM FREE
            unix_row(3, 0, 0x40000, 3, 2, 2003),  # [ N ] RAW CONNECTING, no path
            unix_row(2, 0, 0x70000, 4, 4, 2004, "@abs@with@nul"),  # [ ACC W N ] RDM DISCONNECTING
            unix_row(
                3, 0, 0x10000, 5, 3, 2005, "/run/odd/seq.sock"
            ),  # ACC but connected: not a server
            unix_row(2, 0, 0, 9, 7, 2006, "/x"),  # UNKNOWN type, UNKNOWN state
            unix_row(2, 1, 0, 4, 4, 2007),  # protocol != 0 -> ??
            unix_row(
                2, 0, 0x10000, 9, 1, 2008, "@odd-unknown-type-server"
            ),  # server of unknown type
            unix_row(2, 0, 0, 2, 1, 2009, "/run/odd/dgram.sock"),  # unconnected: blank state
            unix_row(2, 0, 0, 2, 1, 2010, "/tmp/with space/sock"),  # cut at whitespace
            unix_row(3, 0, 0, 1, 2, 0, "/run/odd/listen.sock"),  # unaccepted: inode 0
            unix_row(
                0x7FFFFFFF, 0, 0, 1, 3, 12345678901, "/run/odd/big-inode.sock"
            ),  # wide refcnt/inode
            unix_row(3, 0, 0, 1, 3, 2013, "/tmp/ünïcødé.sock"),  # UTF-8 path
            unix_row(2, 0, 0x10000, 1, 1, 2014, "@"),  # abstract name that is a single NUL
            "0000000000000000: 00000002 00000000 00010000",  # bogus: too few fields
            unix_row(2, 0, 0, 1, 3, 2015, "/run/odd/after-bogus.sock"),
            # accepted with 6 fields: no Inode -> the previous row's inode, empty path
            "0000000000000000: 00000003 00000000 00000000 0002 03",
        ],
    )
    # Fake processes: 300 and 1000 both hold inode 1006 (300 wins: /proc lists pids in
    # numeric order; a lexical sort would give 1000); control characters printed raw.
    capture_proc.write_fake_procs(
        d,
        {
            "300": {
                "cmdline": ["/usr/sbin/sshd", "-D"],
                "fds": {"3": "socket:[1002]", "4": "socket:[1006]", "5": "socket:[2001]"},
            },
            "1000": {
                "cmdline": ["/usr/bin/python3"],
                "fds": {
                    "3": "socket:[1006]",
                    "4": "socket:[1101]",
                    "5": "socket:[1201]",
                    "6": "socket:[2013]",
                },
            },
            "301": {
                "cmdline": ["tab\there", "x"],
                "fds": {"7": "socket:[1004]", "8": "socket:[2004]"},
            },
            "302": {
                "cmdline": ["\x1b[31mred"],
                "fds": {"3": "socket:[1601]", "4": "socket:[12345678901]"},
            },
            "303": {"cmdline": ["/usr/bin/"], "fds": {"3": "socket:[1301]"}},
            "304": {"cmdline": ["-bash"], "fds": {"3": "socket:[1401]", "4": "socket:[2010]"}},
        },
    )
    etc = FIXTURES / "etc" / "odd"
    shutil.rmtree(etc, ignore_errors=True)
    etc.mkdir(parents=True)
    (etc / "hosts").write_text(
        "127.0.0.1\tlocalhost\n"
        "10.0.0.1\tnsa-host\n"
        "10.0.0.2\ta-very-long-hostname-for-testing.example.com\n"
        "10.0.0.7\tboundary-host-19chr\n"
        "10.0.0.8\tboundary-host-20char\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "2001:db8:1234:5678::2\tv6peer.example\n"
    )
    default_services = (FIXTURES / "etc" / "default" / "services").read_text()
    (etc / "services").write_text(
        default_services + "\n# pnetstat odd scenario additions\n"
        "a-twenty-two-char-name\t4454/tcp\n"
        "first-wins-not\t4456/tcp\n"
        "last-wins\t4456/tcp\n"
        "rawsvc\t\t200/raw\n"
        "rawicmp\t\t1/raw\n"
        "sctponly\t4453/sctp\n"
    )
    default_networks = (FIXTURES / "etc" / "default" / "networks").read_text()
    (etc / "networks").write_text(
        default_networks + "tennet\t\t10.0.0.0\nzeronet\t\t0.1.2.3\nzero-rev\t3.2.1.0\n"
    )


def make_empty() -> None:
    d = fresh("empty")
    (d / "net" / ".gitkeep").write_text("")


def make_non_utf8() -> None:
    """Bytes that are not UTF-8 in the output: goldens store them as stdout_b64."""
    d = fresh("non-utf8")
    write(
        d / "net" / "tcp",
        [
            TCP4_HEADER,
            inet_row(0, ("127.0.0.1", 22), ("0.0.0.0", 0), 0x0A, inode=3001),
            inet_row(1, ("127.0.0.1", 22), ("127.0.0.1", 5555), 0x01, inode=3002),
        ],
        pad=149,
    )
    unix = [UNIX_HEADER, unix_row(2, 0, 0x10000, 1, 1, 3003, "/tmp/x")]
    (d / "net" / "unix").write_bytes(
        ("\n".join(unix) + "\n").encode()
        + unix_row(3, 0, 0, 1, 3, 3004).encode()
        + b" /tmp/caf\xe9.sock\n"
    )
    capture_proc.write_fake_procs(
        d,
        {
            # latin-1 byte in argv[0]
            "400": {"cmdline_b64": "L3Vzci9iaW4vY2Fm6QA=", "fds": {"3": "socket:[3001]"}},
            # multi-byte UTF-8 cut by the 19-byte limit in the middle of a character
            "401": {
                "cmdline": ["/usr/bin/nä\u00efve-prögräm"],
                "fds": {"3": "socket:[3002]", "4": "socket:[3003]"},
            },
        },
    )


def make_unix_noinode() -> None:
    """An ancient /proc/net/unix whose header has no 'Inode' column."""
    d = fresh("unix-noinode")
    write(
        d / "net" / "unix",
        [
            "Num       RefCount Protocol Flags    Type St Path",
            # the real ancient layout: no inode field, the path comes 7th
            "0000000000000000: 00000002 00000000 00010000 0001 01 /run/old.sock",
            "0000000000000000: 00000003 00000000 00000000 0001 03",
            # a modern row under the old header
            unix_row(2, 0, 0x10000, 1, 1, 4001, "/run/new.sock"),
        ],
    )


def make_perm() -> None:
    """Unreadable /proc/PID/fd (EACCES): the two notices of netstat -p.

    Git keeps no directory modes, so the modes live in fixtures/modes/<scenario>.json and
    golden.py applies them; netstat runs without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH there.
    """
    tcp = [
        TCP4_HEADER,
        inet_row(0, ("0.0.0.0", 22), ("0.0.0.0", 0), 0x0A, inode=6001),
        inet_row(1, ("127.0.0.1", 22), ("127.0.0.1", 6000), 0x01, inode=6002),
    ]
    unix = [
        UNIX_HEADER,
        unix_row(2, 0, 0x10000, 1, 1, 6003, "/run/perm.sock"),
        unix_row(3, 0, 0, 1, 3, 6004),
    ]
    for name, owns in (
        ("perm-some", ["socket:[6001]", "socket:[6003]"]),
        ("perm-none", ["/dev/null", "pipe:[1]"]),
    ):
        d = fresh(name)
        write(d / "net" / "tcp", tcp, pad=149)
        write(d / "net" / "unix", unix)
        capture_proc.write_fake_procs(
            d,
            {
                "10": {
                    "cmdline": ["/usr/sbin/readable"],
                    "fds": {str(3 + i): t for i, t in enumerate(owns)},
                },
                "20": {
                    "cmdline": ["/usr/sbin/hidden"],
                    "fds": {"3": "socket:[6002]", "4": "socket:[6004]"},
                },
                "30": {"cmdline": ["/usr/sbin/hidden2"], "fds": {"3": "socket:[6001]"}},
            },
        )
        modes = FIXTURES / "modes" / f"{name}.json"
        modes.parent.mkdir(exist_ok=True)
        modes.write_text('{"20/fd": "000", "30/fd": "000"}\n')


def main() -> int:
    make_perm()
    make_odd()
    make_empty()
    make_non_utf8()
    make_unix_noinode()
    return 0


if __name__ == "__main__":
    sys.exit(main())
