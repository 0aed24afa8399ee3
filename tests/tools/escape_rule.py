"""The README's "What pnetstat escapes" rule, written from its words, for tests that compare
pnetstat with netstat on names netstat prints raw (tests/test_interface_escapes.py).

Escaping: a C0 control (0x00-0x1f) or DEL becomes ``\\xHH``; a raw byte 0x80-0x9f that is not
part of a UTF-8 character becomes ``\\xHH``; a C1 control character (U+0080-U+009F, two bytes in
UTF-8) becomes ``\\u00HH``; a backslash followed by ``x``, ``u``, a backslash or a character that
is escaped is doubled. Padding: where netstat pads (or cuts) a name to a width, pnetstat pads
or cuts the raw name the same way, then escapes it, and the padding shrinks by what the escapes
added (never below none).
"""

from __future__ import annotations

import sys
from pathlib import Path

#: This file, run as netstat's stand-in by the tests (netstat, then the rule applied).
REPO_TOOL = Path(__file__).resolve()


def _escaped(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or 0xDC80 <= code <= 0xDC9F


def escape_name(raw: bytes) -> bytes:
    """``raw`` escaped as the README says."""
    text = raw.decode("utf-8", "surrogateescape")
    out = []
    for i, char in enumerate(text):
        code = ord(char)
        if char == "\\":
            after = text[i + 1 : i + 2]
            doubled = after in ("x", "u", "\\") or (after != "" and _escaped(after))
            out.append("\\\\" if doubled else "\\")
        elif code >= 0xDC80 and code <= 0xDC9F:
            out.append("\\x%02x" % (code - 0xDC00))
        elif 0x80 <= code <= 0x9F:
            out.append("\\u%04x" % code)
        elif _escaped(char):
            out.append("\\x%02x" % code)
        else:
            out.append(char)
    return "".join(out).encode("utf-8", "surrogateescape")


def cell(raw: bytes, width: int, cut: bool = False) -> tuple[bytes, bytes]:
    """netstat's padded (and, with ``cut``, cut) cell of ``raw`` and pnetstat's."""
    shown = raw[:width] if cut else raw
    theirs = shown + b" " * max(0, width - len(shown))
    mine = escape_name(shown)
    return theirs, mine + b" " * max(0, width - len(mine))


def apply(output: bytes, raw: bytes, view: str) -> bytes:
    """netstat's ``output`` of ``view`` with the rule applied to the interface name ``raw``."""
    if view == "-i":  # the Iface column: %-15.15s, then a space
        theirs, mine = cell(raw, 15)
        return output.replace(b"\n" + theirs + b" ", b"\n" + mine + b" ")
    if view == "-g":  # the Interface column: %-15s, then a space
        # IPv4 rows name the device as /proc/net/igmp writes it, padded to 10 columns.
        lines = output.split(b"\n")
        for k, line in enumerate(lines):
            name = raw.ljust(10) if b"." in line else raw
            theirs, mine = cell(name, 15)
            if line.startswith(theirs + b" "):
                lines[k] = mine + line[len(theirs) :]
        return b"\n".join(lines)
    if view == "-ie":  # "NAME: flags=..." opens each block
        return output.replace(raw + b": flags=", escape_name(raw) + b": flags=")
    if view == "-r":  # the Iface column is the last one
        return output.replace(b" " + raw + b"\n", b" " + escape_name(raw) + b"\n")
    if view == "-ree":  # the 6-byte Iface cell, then three spaces
        theirs, mine = cell(raw, 6, cut=True)
        return output.replace(b" " + theirs + b"   ", b" " + mine + b"   ")
    raise ValueError(view)


if __name__ == "__main__":
    # escape_rule.py NAME_HEX VIEW NETSTAT_ARGS...: run netstat, print its output with the rule
    # applied (the "reference" of netns.compare).
    import subprocess

    name, view, *flags = sys.argv[1:]
    done = subprocess.run(["netstat", *flags], capture_output=True, check=False)
    sys.stdout.buffer.write(apply(done.stdout, bytes.fromhex(name), view))
    sys.stderr.buffer.write(done.stderr)
    sys.exit(done.returncode)
