"""Benchmark socket holder: N established loopback TCP pairs from one source address, plus
M unix socketpairs; prints "ready" when they exist and holds them until stdin closes.

Usage: holder.py SOURCE_ADDRESS PAIRS UNIX_PAIRS (run inside the benchmark's namespace).
"""

from __future__ import annotations

import socket
import sys


def main() -> None:
    source, pairs, unix_pairs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    held: list[socket.socket] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    held.append(listener)
    target = listener.getsockname()
    for _ in range(pairs):
        client = socket.socket()
        client.bind((source, 0))
        client.connect(target)
        server, _ = listener.accept()
        held += (client, server)
    for _ in range(unix_pairs):
        held += socket.socketpair()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((source, 0))
    held.append(udp)
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
