"""A filter tree as INET_DIAG bytecode: the program the kernel runs on each socket of a dump
(the INET_DIAG_REQ_BYTECODE attribute of a sock_diag request), so that only matching sockets
cross into user space.

The kernel's machine (include/uapi/linux/inet_diag.h, net/ipv4/inet_diag.c): a program is a
list of ops ``{code: u8, yes: u8, no: u16}``, some followed by an operand. Each op tests the
socket and moves ``yes`` bytes on when the test holds, ``no`` bytes otherwise; landing exactly
on the end accepts, beyond it rejects. Jumps go forward only, and the kernel's check of a
program walks it by the ``yes`` steps, so here every ``yes`` is the op's own length (the next
op) and only ``no`` jumps: a condition falls through when true and jumps to its "false" label
when not; ``or`` and ``not`` add an unconditional jump (JMP always takes ``no``).
"""

import struct

from .tree import And, Autobound, DevCond, HostCond, MarkCond, Node, Not, Or, PortCond

__all__ = ["compilable", "compile_bytecode"]

# enum in include/uapi/linux/inet_diag.h
BC_JMP, BC_S_GE, BC_S_LE, BC_D_GE, BC_D_LE, BC_AUTO = 1, 2, 3, 4, 5, 6
BC_S_COND, BC_D_COND, BC_DEV_COND, BC_MARK_COND = 7, 8, 9, 10
_OP = struct.Struct("=BBH")  # struct inet_diag_bc_op
# struct inet_diag_hostcond (family, prefix_len, two bytes of padding, int port), then the
# address bytes.
_HOSTCOND = struct.Struct("=BBxxi")
_REJECT = "reject"


def compilable(node: Node) -> bool:
    """Whether the kernel can decide all of ``node`` (no UNIX globs, no user-space fields)."""
    if isinstance(node, (And, Or)):
        return compilable(node.left) and compilable(node.right)
    if isinstance(node, Not):
        return compilable(node.child)
    return isinstance(node, (HostCond, PortCond, DevCond, MarkCond, Autobound))


def compile_bytecode(node: Node) -> bytes:
    """The program deciding ``node`` (which must be ``compilable``).

    >>> from pnetstat.filters.parse import parse_filter
    >>> program = compile_bytecode(parse_filter("sport = :22".split()).expression)
    >>> program.hex(" ", 4)  # S_COND, yes: next op, no: past the end; any family, port 22
    '070c1000 00000000 16000000'
    """
    ops: list[tuple[int, str | int, bytes]] = []  # (code, no-target label, operand)
    labels: dict[str, int] = {}  # label -> index into ops where it stands
    _emit(node, _REJECT, ops, labels, [0])
    offsets, position = [], 0
    for _code, _target, operand in ops:
        offsets.append(position)
        position += _OP.size + len(operand)
    end = position
    program = bytearray()
    for index, (code, target, operand) in enumerate(ops):
        size = _OP.size + len(operand)
        if target == _REJECT:
            where = end + 4
        else:
            stop = labels[str(target)]
            where = offsets[stop] if stop < len(ops) else end
        program += _OP.pack(code, size, where - offsets[index]) + operand
    return bytes(program)


def _emit(
    node: Node,
    false: str,
    ops: list[tuple[int, str | int, bytes]],
    labels: dict[str, int],
    counter: list[int],
) -> None:
    """Code that falls through when ``node`` holds and goes to ``false`` when it does not."""
    if isinstance(node, And):
        _emit(node.left, false, ops, labels, counter)
        _emit(node.right, false, ops, labels, counter)
    elif isinstance(node, Or):
        second, done = _label(counter), _label(counter)
        _emit(node.left, second, ops, labels, counter)
        ops.append((BC_JMP, done, b""))  # the left side held: past the right side
        labels[second] = len(ops)
        _emit(node.right, false, ops, labels, counter)
        labels[done] = len(ops)
    elif isinstance(node, Not):
        held = _label(counter)
        _emit(node.child, held, ops, labels, counter)
        ops.append((BC_JMP, false, b""))  # the child held: the negation does not
        labels[held] = len(ops)
    else:
        code, operand = _condition(node)
        ops.append((code, false, operand))


def _label(counter: list[int]) -> str:
    counter[0] += 1
    return f"L{counter[0]}"


def _condition(node: Node) -> tuple[int, bytes]:
    """An op's code and operand for one condition."""
    if isinstance(node, HostCond):
        code = BC_S_COND if node.side == "src" else BC_D_COND
        address = node.address or b""
        family = node.family if address or node.family else 0
        if family and not address:  # a family without an address: all of the family
            address = bytes(4 if family == 2 else 16)
        return code, _HOSTCOND.pack(family, node.prefix, node.port) + address
    if isinstance(node, PortCond):
        table = {("src", "ge"): BC_S_GE, ("src", "le"): BC_S_LE,
                 ("dst", "ge"): BC_D_GE, ("dst", "le"): BC_D_LE}  # fmt: skip
        # The port is the second op's "no" field.
        return table[(node.side, node.op)], _OP.pack(0, 0, node.port)
    if isinstance(node, DevCond):
        return BC_DEV_COND, struct.pack("=I", node.ifindex)
    if isinstance(node, MarkCond):
        return BC_MARK_COND, struct.pack("=II", node.mark, node.mask)
    if isinstance(node, Autobound):
        return BC_AUTO, b""
    raise ValueError(f"the kernel cannot decide {node!r}")
