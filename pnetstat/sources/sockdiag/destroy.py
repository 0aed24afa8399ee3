"""SOCK_DESTROY: asking the kernel to close one Internet socket (what ``ss -K`` does), found by
its addresses and ports, in the caller's namespace."""

import _socket  # the C module: socket.py's enums cost start-up time
import errno
import struct
import sys

from ...errors import NetlinkError
from ...model import InetSocket
from .inet import INET_DIAG_REQ_V2, IPPROTO
from .netlink import _ALL_STATES, NETLINK_SOCK_DIAG, NLM_F_REQUEST, NLMSGHDR, _netlink_error

__all__ = ["destroy_inet"]

SOCK_DESTROY = 21  # include/uapi/linux/sock_diag.h
_NLM_F_ACK = 0x04
_NOCOOKIE = 0xFFFFFFFFFFFFFFFF  # INET_DIAG_NOCOOKIE in both halves: match on the addresses


def destroy_inet(sock: InetSocket) -> None:
    """Ask the kernel to close ``sock`` (SOCK_DESTROY; for TCP the peer gets a reset).

    The socket is found by its addresses and ports in the caller's namespace. Raises
    ``NetlinkError`` with the kernel's answer: EPERM without CAP_NET_ADMIN, EOPNOTSUPP on a
    kernel built without CONFIG_INET_DIAG_DESTROY, ENOENT when the socket is already gone.
    """

    def port(number: int) -> int:  # __be16 in the request, packed here in native order
        return int.from_bytes(number.to_bytes(2, "big"), sys.byteorder)

    body = INET_DIAG_REQ_V2.struct.pack(
        int(sock.family), IPPROTO[sock.protocol], 0, 0, _ALL_STATES,
        port(sock.local_port), port(sock.remote_port),
        sock.local_address.packed.ljust(16, b"\0"), sock.remote_address.packed.ljust(16, b"\0"),
        0, _NOCOOKIE,
    )  # fmt: skip
    header = NLMSGHDR.struct.pack(
        NLMSGHDR.struct.size + len(body), SOCK_DESTROY, NLM_F_REQUEST | _NLM_F_ACK, 1, 0
    )
    try:
        channel = _socket.socket(
            _socket.AF_NETLINK, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC, NETLINK_SOCK_DIAG
        )
        try:
            channel.settimeout(10)
            channel.send(header + body)
            answer = channel.recv(65536)
        finally:
            channel.close()
    except OSError as exc:
        raise _netlink_error(exc) from None
    code = -struct.unpack_from("=i", answer, NLMSGHDR.struct.size)[0] if len(answer) >= 20 else 0
    if code:
        raise NetlinkError(f"sock_diag: {errno.errorcode.get(code, code)}", code)
