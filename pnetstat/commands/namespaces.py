"""``--netns`` and ``--all-netns``: any view, run inside one network namespace or in every
namespace of the host in turn.

With ``--all-netns`` each namespace's section starts with one line, ``netns: LABEL`` (its
name, or ``net:[INODE]``), followed in parentheses by what identifies an unnamed one (its
first PID) and its container where one is known; the rest of the section is what netstat
prints when run inside that namespace. ``-p`` walks /proc once for all sections. With
``--json`` each namespace gives one document (as each pass of ``-c`` does), with no section
line: every socket record carries a ``netns`` field instead.

A namespace that vanishes before it is entered is skipped without a word; one that may not be
entered (no CAP_SYS_ADMIN) gets one line on stderr and the others are still listed.
"""

import errno
from collections.abc import Callable

from ..errors import NamespaceError
from ..model_tables import Namespace
from ..options import Options
from . import Command, Context

__all__ = ["in_namespaces", "section_line"]

_GONE = (errno.ENOENT, errno.ESRCH)
# A --netns that names nothing is a bad value, like an unusable --proc-root (README).
_NO_SUCH_STATUS = 3

Run = Callable[[Options, Context, bool], Command]


def in_namespaces(options: Options, context: Context, first: bool, run: Run) -> Command:
    """One pass of ``run`` (a view's command) in the namespaces the options name."""
    from ..sources.netns import find_namespace, read_namespaces

    if options.netns is not None:
        try:
            namespace = find_namespace(options.netns, context.proc)
        except NamespaceError as exc:
            yield 2, f"pnetstat: --netns: {exc.path}: {exc.strerror}\n"
            return _NO_SUCH_STATUS
        try:
            return (yield from _inside(namespace, options, context, first, run, None))
        except NamespaceError as exc:
            yield 2, f"pnetstat: --netns: {exc.path}: cannot enter: {exc.strerror}\n"
            return 1
    namespaces = read_namespaces(context.proc)
    if options.programs:
        from ..sources.processes import read_owners

        context = context._replace(owners=read_owners(context.proc))
    status = 0
    for index, namespace in enumerate(namespaces):
        try:
            # The caller's own namespace (listed first) needs no entering.
            section = _inside(namespace, options, context, first, run, index == 0)
            status = (yield from section) or status
        except NamespaceError as exc:
            if exc.errno not in _GONE:
                yield 2, f"pnetstat: netns {namespace.label}: cannot enter: {exc.strerror}\n"
    return status


def _inside(
    namespace: Namespace,
    options: Options,
    context: Context,
    first: bool,
    run: Run,
    own: bool | None,
) -> Command:
    """``run`` inside ``namespace``; with ``own`` not None, after its section line (and, when
    ``own``, without entering: it is the caller's)."""
    from ..sources.netns import entered

    overlay = f"/etc/netns/{namespace.name}" if namespace.name is not None else None
    context = context._replace(resolver=context.resolver.with_overlay(overlay), namespace=namespace)
    # JSON names the namespace in every record (``netns``) instead of a section line.
    headed = own is not None and not (options.json or options.json_lines)
    if own:
        if headed:
            yield 1, section_line(namespace)
        return (yield from run(options, context, first))
    with entered(namespace):
        if headed:
            yield 1, section_line(namespace)
        return (yield from run(options, context, first))


def section_line(namespace: Namespace) -> str:
    """The line that starts a namespace's section.

    >>> from pnetstat.model_tables import Container, Namespace
    >>> section_line(Namespace(4, 4026532174, "blue", ("/run/netns/blue",), ()))
    'netns: blue\\n'
    >>> section_line(Namespace(4, 4026532175, None, (), (812,), Container("docker", "ab" * 32)))
    'netns: net:[4026532175] (pid 812, docker abababababab)\\n'
    """
    extras = []
    if namespace.name is None and namespace.pids:
        extras.append(f"pid {namespace.pids[0]}")
    container = namespace.container
    if container is not None:
        extras.append(f"{container.runtime} {container.short}")
        if container.pod_uid and container.runtime != "kubernetes":
            extras.append(f"pod {container.pod_uid}")
    tail = f" ({', '.join(extras)})" if extras else ""
    return f"netns: {namespace.label}{tail}\n"
