"""NETLINK_SOCK_DIAG: the kernel's socket tables over netlink, into the same model as /proc.

Layouts are declared once as data, with the kernel's field names (include/uapi/linux/
netlink.h, sock_diag.h, inet_diag.h, unix_diag.h), and precompiled; the Internet decoder does
one ``unpack_from`` and a few dict lookups per socket. Values are mapped to what
/proc/net/{tcp,udp,udplite,raw}[6] and /proc/net/unix would show, so the socket view renders
the same bytes from either source. What cannot be mapped (measured on Linux 6.18):

* ``sl`` (a running number for TCP, the hash bucket for UDP and RAW in /proc) is the row's
  position; ``tail`` (the columns after the inode) is empty. netstat shows neither.
* TCP retransmits and probes: sock_diag has one ``idiag_retrans``, the retransmits under the
  retransmit timer, the probes under the keepalive and zero-window timers; the other count
  is 0 here (in /proc it is 0 too but for rare moments). SYN_RECV rows: ``num_retrans`` here,
  ``num_timeout`` in /proc (they part a second in, under TCP_DEFER_ACCEPT).
* Timers: milliseconds in sock_diag, clock ticks (1/100 s) in /proc: ``ms // 10``.
* Mapped: a TCP listener's Send-Q (/proc: ``write_seq - snd_una``, 0; sock_diag: the maximum
  backlog) and a SYN_RECV row's uid (/proc: the listener's; sock_diag: 0).
* UNIX RefCount is rebuilt as 2 (the socket, the hash table) plus the sockets holding it as
  their peer. It misses holders in other namespaces and blocked senders (counted by /proc).
* UNIX sockets with inode 0 (connections waiting in an accept queue) are skipped by
  unix_diag; they are rebuilt from the listener's UDIAG_SHOW_ICONS list, but their place in
  /proc's hash order is unknowable. ``Num`` (a kernel address) is 0. netstat ignores it.
* UNIX queue lengths (UDIAG_SHOW_RQLEN) have no column in /proc/net/unix: they fill the
  row's ``rx_queue`` and ``tx_queue``, which the /proc parser leaves None.
* RAW needs raw_diag (CONFIG_INET_RAW_DIAG); without it the kernel answers ENOENT, raised as
  ``NetlinkError`` so that a caller can read /proc instead.

One job per module; this package re-exports their public names:

* ``netlink``: requests and datagrams (struct layouts as data, the NETLINK_SOCK_DIAG socket, a
  dump's datagrams, walking an answer's messages), shared by the two decoders;
* ``inet``: inet_diag requests and their decoding into /proc/net/{tcp,udp,udplite,raw}[6] rows;
* ``unix``: the unix_diag request and its decoding into /proc/net/unix rows;
* ``destroy``: SOCK_DESTROY, closing one Internet socket (``--kill``);
* ``tcpinfo``: TCP_INFO (INET_DIAG_INFO) for every TCP socket of one dump
  (``pnetstat.tcp_info()``), imported when asked for;
* ``counts``: the TCP table counted rather than listed (the exporter's scrape), imported when
  asked for.
"""

from __future__ import annotations

from ..._typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from .destroy import destroy_inet
    from .inet import (
        INET_DIAG_MSG,
        INET_DIAG_REQ,
        INET_DIAG_REQ_V2,
        TcpDump,
        dump_inet,
        dump_tcp,
        inet_request,
        parse_inet_diag,
        read_inet_sockets_diag,
        read_tcp_sockets_diag_both,
        tcp_request,
    )
    from .netlink import NLATTR, NLMSGHDR, Layout
    from .unix import (
        UNIX_DIAG_MSG,
        UNIX_DIAG_REQ,
        UNIX_DIAG_RQLEN_STRUCT,
        dump_unix,
        parse_unix_diag,
        read_unix_sockets_diag,
        unix_request,
    )

# Public name -> the module that defines it. The names load on first use (PEP 562): a TCP
# listing then never loads ``unix`` or ``destroy``.
_WHERE = {
    "destroy_inet": "destroy",
    **dict.fromkeys(
        ("INET_DIAG_MSG", "INET_DIAG_REQ", "INET_DIAG_REQ_V2", "TcpDump", "dump_inet",
         "dump_tcp", "inet_request", "parse_inet_diag", "read_inet_sockets_diag",
         "read_tcp_sockets_diag_both", "tcp_request"),
        "inet",
    ),
    **dict.fromkeys(("NLATTR", "NLMSGHDR", "Layout"), "netlink"),
    **dict.fromkeys(
        ("UNIX_DIAG_MSG", "UNIX_DIAG_REQ", "UNIX_DIAG_RQLEN_STRUCT", "dump_unix",
         "parse_unix_diag", "read_unix_sockets_diag", "unix_request"),
        "unix",
    ),
}  # fmt: skip

__all__ = [
    "INET_DIAG_MSG", "INET_DIAG_REQ", "INET_DIAG_REQ_V2", "NLATTR", "NLMSGHDR", "UNIX_DIAG_MSG",
    "UNIX_DIAG_REQ", "UNIX_DIAG_RQLEN_STRUCT", "Layout", "TcpDump", "destroy_inet", "dump_inet",
    "dump_tcp", "dump_unix", "inet_request", "parse_inet_diag", "parse_unix_diag",
    "read_inet_sockets_diag", "read_tcp_sockets_diag_both", "read_unix_sockets_diag",
    "tcp_request", "unix_request",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # __import__ rather than importlib.import_module: importing importlib loads warnings.
    value = getattr(__import__(f"{__name__}.{where}", fromlist=(name,)), name)
    globals()[name] = value
    return value
