"""Benchmark socket holder: opens its share of the benchmark's sockets and holds them.

Usage (inside the benchmark's namespace)::

    holder.py SOURCE TCP_PAIRS UNIX_PAIRS UDP_SOCKETS [PORT]

It opens TCP_PAIRS established loopback TCP connections from SOURCE (a 127.x address, so
that the ephemeral ports of one source address are never exhausted) to a listener of its
own on 127.0.0.1 (on PORT if given, else on a port the kernel picks), UNIX_PAIRS unix socketpairs and UDP_SOCKETS UDP sockets bound to SOURCE.
It prints "ready" on stdout once every socket exists, then holds them until stdin reaches
end of file (its parent closed the pipe, or died) and exits. Any failure goes to stderr
with a non-zero exit status, before "ready", so the parent never waits for nothing.
"""

from __future__ import annotations

import resource
import socket
import sys


def _raise_fd_limit() -> None:
    # The soft limit may sit below the hard one; the parent planned against the hard one.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def open_sockets(
    source: str, tcp_pairs: int, unix_pairs: int, udp: int, port: int = 0
) -> list[socket.socket]:
    """Open every socket of this holder's share and return them (so they stay open)."""
    held: list[socket.socket] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    held.append(listener)
    target = listener.getsockname()
    for _ in range(tcp_pairs):
        client = socket.socket()
        client.bind((source, 0))
        client.connect(target)  # loopback: the handshake is done when connect returns
        server, _address = listener.accept()
        held += (client, server)
    for _ in range(unix_pairs):
        held += socket.socketpair()
    for _ in range(udp):
        datagram = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        datagram.bind((source, 0))
        held.append(datagram)
    return held


def main() -> None:
    """Open the sockets named on the command line, say "ready", hold until stdin closes."""
    source, tcp_pairs, unix_pairs, udp, port = sys.argv[1], *map(int, sys.argv[2:5]), 0
    if len(sys.argv) > 5:
        port = int(sys.argv[5])
    _raise_fd_limit()
    held = open_sockets(source, tcp_pairs, unix_pairs, udp, port)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.buffer.read()
    del held


if __name__ == "__main__":
    main()
