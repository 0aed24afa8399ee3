"""Network-namespace harness for pnetstat's differential tests.

Owns everything a differential test needs besides the two programs under test:

* :class:`NetNS` creates a throw-away namespace ``pnetstat-test-<hex>`` with
  ``lo`` up and pinned name-service files, runs commands in it
  (:meth:`NetNS.run`), starts socket holder processes in it
  (:meth:`NetNS.spawn_holder`), and on exit kills what it started and removes
  the namespace, its ``/etc/netns/<name>/`` directory and its temp directory.
* :func:`compare` runs netstat, pnetstat, netstat (same flags, same namespace);
  :func:`assert_same` asserts pnetstat matched byte for byte, masking only the
  queue and timer fields that changed between the two netstat runs.

Why a namespace: the rows netstat prints depend on every socket of the
network namespace, so tests need one that holds only the sockets they made.
Why pinned files: ``ip netns exec`` bind-mounts ``/etc/netns/<name>/<file>``
over ``/etc/<file>``; we pin hosts, resolv.conf and nsswitch.conf so that
name lookups are deterministic and an unknown address fails at once (the
only nameserver is 127.0.0.1 inside the namespace, where nothing listens),
and so no lookup ever reaches the host's resolver.

Usage::

    with NetNS(hosts=["127.0.0.5 five.example"]) as ns:
        holder = ns.spawn_holder({"sockets": [{"id": "l", "kind": "tcp_listen"}]})
        port = holder.one("l", "listener")["local"][1]
        assert_same(compare(ns, ["-tlnp"]))

This module imports nothing from pytest so that scripts can use it too.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
HOLDER_SCRIPT = Path(__file__).resolve().parent / "holders" / "sockholder.py"
# The real interpreter, not a venv or pyenv shim: it runs inside the
# namespace, where only the standard library is needed.
PYTHON = os.path.realpath(sys.executable)

NAME_PREFIX = "pnetstat-test-"
ETC_NETNS = Path("/etc/netns")
RUN_NETNS = Path("/run/netns")

BASE_HOSTS = ("127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback")
# Nothing listens on 127.0.0.1:53 in the namespace, so a query is answered by
# an ICMP port-unreachable at once; timeout/attempts bound any other case.
RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
# Only "files" and "dns" (which can only reach 127.0.0.1 above): no systemd,
# no db files (those would bypass our bind-mounted /etc/services), no mdns.
NSSWITCH_CONF = (
    "passwd: files\ngroup: files\nshadow: files\ngshadow: files\n"
    "hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"
    "ethers: files\nrpc: files\n"
)
# Files the caller may not replace, because they pin name resolution.
PINNED_FILES = frozenset({"hosts", "resolv.conf"})

COMMAND_TIMEOUT = 120.0  # netstat -p walks every fd of every process
HOLDER_TIMEOUT = 60.0
IP_TIMEOUT = 30.0
EXIT_WAIT = 10.0
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PYCACHE = Path(tempfile.gettempdir()) / "pnetstat-test-pycache"


class HarnessError(RuntimeError):
    """The harness itself failed (namespace, files, cleanup)."""


class HolderError(HarnessError):
    """A socket holder failed to start or reported an error."""


# ---------------------------------------------------------------------------
# commands and environment


def netstat_cmd(flags: Sequence[str]) -> list[str]:
    """argv running the reference netstat with ``flags``."""
    return ["netstat", *flags]


def pnetstat_cmd(flags: Sequence[str]) -> list[str]:
    """argv running pnetstat from this checkout with ``flags``."""
    return [PYTHON, "-m", "pnetstat", *flags]


def pinned_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every command: C locale, the checkout importable.

    Nothing is inherited from the test runner, so a developer's locale or
    PYTHON* variables cannot change the output.  Byte-code caches go to a
    temp directory instead of the checkout.
    """
    env = {
        "PATH": DEFAULT_PATH,
        "LC_ALL": "C",
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONPYCACHEPREFIX": str(PYCACHE),
    }
    env.update(extra or {})
    return env


def _ip(*args: str) -> None:
    """Run ``ip ARGS`` in the root namespace; raise with its stderr."""
    done = subprocess.run(
        ["ip", *args], capture_output=True, timeout=IP_TIMEOUT, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        raise HarnessError(
            f"ip {' '.join(args)}: exit {done.returncode}: "
            f"{done.stderr.decode(errors='replace').strip()}"
        )


def _gone(pid: int) -> bool:
    """True if ``pid`` has exited (absent, or a zombie awaiting its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat[stat.rfind(b")") + 2 :][:1] == b"Z"


# ---------------------------------------------------------------------------
# holders


class Holder:
    """A running ``sockholder.py`` inside a namespace and what it reported.

    ``info`` is the holder's JSON report (see tests/holders/sockholder.py);
    ``sockets`` and ``children`` are its lists.  The holder and its children
    share a process group, which :meth:`stop` kills.
    """

    def __init__(self, proc: subprocess.Popen[bytes], name: str, stderr_path: Path) -> None:
        self.proc = proc
        self.name = name
        self.stderr_path = stderr_path
        self.info: dict[str, Any] = {}
        self._stopped = False

    @property
    def pid(self) -> int:
        """PID of the holder (``ip netns exec`` execs, so it keeps the PID)."""
        return self.proc.pid

    @property
    def sockets(self) -> list[dict[str, Any]]:
        """Every socket the holder reported, in creation order."""
        return list(self.info.get("sockets", []))

    @property
    def children(self) -> list[dict[str, Any]]:
        """The children (forked or exec'd) the holder reported."""
        return list(self.info.get("children", []))

    @property
    def pids(self) -> list[int]:
        """The holder's PID followed by its children's."""
        return [self.pid, *(c["pid"] for c in self.children)]

    def find(self, sid: str, role: str | None = None) -> list[dict[str, Any]]:
        """Reported sockets with spec id ``sid`` (and ``role``, if given)."""
        return [s for s in self.sockets if s["id"] == sid and (role is None or s["role"] == role)]

    def one(self, sid: str, role: str | None = None) -> dict[str, Any]:
        """The single reported socket with ``sid``/``role``; error otherwise."""
        found = self.find(sid, role)
        if len(found) != 1:
            raise KeyError(f"{len(found)} sockets match id={sid!r} role={role!r}")
        return found[0]

    def stderr(self) -> str:
        """What the holder wrote to stderr so far (for error messages)."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self, spec: Mapping[str, Any], timeout: float) -> None:
        """Send ``spec`` and wait (bounded) for the readiness line."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(spec).encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # it died; the read below reports why
        line = self._read_line(self.proc.stdout.fileno(), timeout)
        try:
            info = json.loads(line)
        except ValueError as exc:
            raise HolderError(f"holder {self.name!r} sent {line!r}\n{self.stderr()}") from exc
        if not info.get("ready"):
            raise HolderError(f"holder {self.name!r} failed:\n{info.get('error')}\n{self.stderr()}")
        self.info = info

    def _read_line(self, fd: int, timeout: float) -> bytes:
        """One line from ``fd`` within ``timeout`` seconds, without sleeping."""
        deadline = time.monotonic() + timeout
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in buf:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HolderError(
                        f"holder {self.name!r} not ready after {timeout} s\n{self.stderr()}"
                    )
                if not sel.select(remaining):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    code = self.proc.wait(timeout=EXIT_WAIT)
                    raise HolderError(
                        f"holder {self.name!r} exited ({code}) before "
                        f"ready\n{buf.decode(errors='replace')}{self.stderr()}"
                    )
                buf += chunk
        return buf.split(b"\n", 1)[0]

    def stop(self) -> None:
        """Kill the holder and its children (SIGKILL to the process group)
        and wait, bounded, until they are gone.  Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        # Safe while we have not reaped the leader: its PID (= PGID)
        # cannot be reused before proc.wait() below.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.proc.wait(timeout=EXIT_WAIT)
        deadline = time.monotonic() + EXIT_WAIT
        for child in self.children:
            while not _gone(child["pid"]):
                if time.monotonic() > deadline:
                    raise HarnessError(f"holder child {child['pid']} did not exit")
                time.sleep(0.01)  # polling a process state, bounded above


# ---------------------------------------------------------------------------
# the namespace


class NetNS:
    """A throw-away network namespace with pinned name resolution.

    ``hosts``: extra /etc/hosts lines (after the localhost lines).
    ``files``: extra /etc files by base name (e.g. ``{"services": "..."}``);
    the file must exist on the host, because ``ip netns exec`` can only
    bind-mount over an existing file.  ``addresses``: extra addresses for
    ``lo`` (``"10.1.2.3/32"``, ``"fd00::5/128"``), so sockets can bind them.

    Use as a context manager; :meth:`close` is idempotent and also runs when
    :meth:`open` fails half-way.
    """

    def __init__(
        self,
        *,
        hosts: Iterable[str] = (),
        files: Mapping[str, str | bytes] | None = None,
        addresses: Iterable[str] = (),
    ) -> None:
        self.hosts = list(hosts)
        self.files = dict(files or {})
        self.addresses = list(addresses)
        bad = PINNED_FILES & self.files.keys()
        if bad:
            raise ValueError(f"{sorted(bad)} are pinned; pass hosts= lines instead")
        for fname in self.files:
            if "/" in fname or fname in ("", ".", ".."):
                raise ValueError(f"not a base name: {fname!r}")
        self.name = ""
        self.etc_dir: Path | None = None
        self.tmpdir: Path | None = None
        self._holders: list[Holder] = []
        self._created = False
        self._closed = False

    # -- lifecycle -----------------------------------------------------------

    def __enter__(self) -> NetNS:
        self.open()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        errors = self._close()
        if errors and exc is not None:
            for err in errors:
                exc.add_note(f"NetNS cleanup also failed: {err}")
        elif errors:
            raise HarnessError("NetNS cleanup failed: " + "; ".join(map(str, errors)))

    def open(self) -> None:
        """Create the namespace, its /etc files, temp dir, and bring lo up."""
        if os.geteuid() != 0:
            raise HarnessError("network namespaces need root")
        try:
            self._claim_name()
            self._write_etc()
            _ip("netns", "add", self.name)
            self._created = True
            _ip("-n", self.name, "link", "set", "lo", "up")
            for addr in self.addresses:
                extra = ["nodad"] if ":" in addr else []
                _ip("-n", self.name, "addr", "add", addr, "dev", "lo", *extra)
            self.tmpdir = Path(tempfile.mkdtemp(prefix=self.name + "-"))
        except BaseException as exc:
            for err in self._close():
                exc.add_note(f"NetNS cleanup also failed: {err}")
            raise

    def close(self) -> None:
        """Kill our holders, delete the namespace and our files."""
        errors = self._close()
        if errors:
            raise HarnessError("NetNS cleanup failed: " + "; ".join(map(str, errors)))

    def _claim_name(self) -> None:
        """Pick an unused name and create its /etc/netns directory with an
        exclusive mkdir, so we never write into another namespace's files."""
        ETC_NETNS.mkdir(mode=0o755, exist_ok=True)
        for _ in range(20):
            name = NAME_PREFIX + secrets.token_hex(4)
            if (RUN_NETNS / name).exists():
                continue
            try:
                (ETC_NETNS / name).mkdir(mode=0o755)
            except FileExistsError:
                continue
            self.name, self.etc_dir = name, ETC_NETNS / name
            return
        raise HarnessError("could not find an unused namespace name")

    def _write_etc(self) -> None:
        """Write the pinned and the caller's files into /etc/netns/<name>/."""
        assert self.etc_dir is not None
        contents: dict[str, str | bytes] = {
            "hosts": "\n".join([*BASE_HOSTS, *self.hosts]) + "\n",
            "resolv.conf": RESOLV_CONF,
        }
        if Path("/etc/nsswitch.conf").exists():
            contents["nsswitch.conf"] = NSSWITCH_CONF
        contents.update(self.files)
        for fname, data in contents.items():
            if not (Path("/etc") / fname).is_file():
                raise HarnessError(
                    f"/etc/{fname} does not exist on the host, so "
                    f"ip netns exec cannot bind-mount ours over it"
                )
            raw = data.encode() if isinstance(data, str) else data
            (self.etc_dir / fname).write_bytes(raw)

    def _close(self) -> list[BaseException]:
        """Best-effort cleanup of everything we made; returns the failures."""
        if self._closed:
            return []
        self._closed = True
        errors: list[BaseException] = []
        for holder in reversed(self._holders):
            try:
                holder.stop()
            except Exception as exc:  # keep cleaning up
                errors.append(exc)
        if self._created:
            try:
                _ip("netns", "del", self.name)
            except Exception as exc:
                errors.append(exc)
        for path in (self.etc_dir, self.tmpdir):
            if path is not None:
                try:
                    shutil.rmtree(path)
                except FileNotFoundError:
                    pass
                except Exception as exc:
                    errors.append(exc)
        return errors

    def _require_open(self) -> None:
        if not self._created or self._closed:
            raise HarnessError("namespace is not open")

    # -- using it ------------------------------------------------------------

    @property
    def holders(self) -> tuple[Holder, ...]:
        """Holders started so far, in start order."""
        return tuple(self._holders)

    def exists(self) -> bool:
        """True while the namespace is registered with ``ip netns``."""
        return bool(self.name) and (RUN_NETNS / self.name).exists()

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = COMMAND_TIMEOUT,
        input: bytes | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``argv`` inside the namespace with the pinned environment
        (plus ``env``); stdout and stderr are captured separately as bytes.
        On timeout the command and everything it started are killed (it runs in a session
        of its own: a shell pipeline's children are not left running) and TimeoutExpired is
        raised."""
        self._require_open()
        command = ["ip", "netns", "exec", self.name, *argv]
        with subprocess.Popen(
            command,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=pinned_env(env),
            cwd=REPO_ROOT,
            start_new_session=True,
        ) as proc:
            try:
                out, err = proc.communicate(input, timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                raise
        return subprocess.CompletedProcess(command, proc.returncode, out, err)

    def spawn_holder(
        self, spec: Mapping[str, Any], name: str = "pnt-holder", *, timeout: float = HOLDER_TIMEOUT
    ) -> Holder:
        """Start a socket holder whose argv[0] is ``name``; return it once it
        reported ready.  Relative UNIX paths in ``spec`` land in ``tmpdir``."""
        self._require_open()
        assert self.tmpdir is not None
        full = {"dir": str(self.tmpdir), **spec}
        err_path = self.tmpdir / f"holder-{len(self._holders)}.stderr"
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.name, PYTHON, str(HOLDER_SCRIPT), "--argv0", name],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=pinned_env(),
                cwd=self.tmpdir,
                start_new_session=True,
            )
        holder = Holder(proc, name, err_path)
        self._holders.append(holder)  # before start(): close() must kill it
        holder.start(full, timeout)
        return holder


# ---------------------------------------------------------------------------
# masking volatile fields

# A rule decides whether field k of a line may be masked, given the
# whitespace-separated fields of that line in the two netstat runs.
MaskRule = Callable[[Sequence[bytes], Sequence[bytes], int], bool]

INTERNET_PROTOS = frozenset(
    {b"tcp", b"tcp6", b"udp", b"udp6", b"udpl", b"udpl6", b"raw", b"raw6", b"sctp"}
)
_INT = re.compile(rb"-?\d+\Z")
_TIMER_VALUE = re.compile(rb"\(-?\d+\.\d\d/-?\d+/-?\d+\)\Z")  # "(58.12/0/0)"
_TIMER_KIND = re.compile(rb"(?:off|on|on1|on2|keepalive|timewait|probe|unkn-\d+)\Z")
_UNIT = re.compile(rb"[ \t]*[^ \t]+")  # a field with the whitespace before it
PLACEHOLDER = b"<masked>"


def mask_queues_and_timers(first: Sequence[bytes], second: Sequence[bytes], k: int) -> bool:
    """Default rule: Recv-Q/Send-Q (fields 1 and 2) and the ``-o`` timer
    (kind word and "(secs/retrans/probes)") of Internet socket rows."""
    if first[0] not in INTERNET_PROTOS or first[0] != second[0]:
        return False
    a, b = first[k], second[k]
    if k in (1, 2):
        return bool(_INT.match(a) and _INT.match(b))
    if _TIMER_VALUE.match(a) and _TIMER_VALUE.match(b):
        return True
    return bool(
        _TIMER_KIND.match(a)
        and _TIMER_KIND.match(b)
        and k + 1 < len(first)
        and _TIMER_VALUE.match(first[k + 1])
        and _TIMER_VALUE.match(second[k + 1])
    )


def mask_numbers(first: Sequence[bytes], second: Sequence[bytes], k: int) -> bool:
    """Rule for counter tables (``-s``, ``-i``): any integer field."""
    return bool(_INT.match(first[k]) and _INT.match(second[k]))


def mask_nothing(first: Sequence[bytes], second: Sequence[bytes], k: int) -> bool:
    """Rule that masks nothing: any change between netstat runs is a retry."""
    return False


def split_units(line: bytes) -> tuple[list[bytes], bytes]:
    """(fields each with its leading whitespace, trailing whitespace)."""
    units = _UNIT.findall(line)
    return units, line[sum(map(len, units)) :]


def _tokens(units: Sequence[bytes]) -> list[bytes]:
    return [u.lstrip(b" \t") for u in units]


def find_masks(
    first: bytes, second: bytes, rule: MaskRule = mask_queues_and_timers
) -> dict[int, frozenset[int]] | None:
    """Fields to mask: {line index: field indexes that changed between the two
    netstat outputs}.  None if they differ in any other way (line count, a
    field the rule refuses, field count, trailing whitespace): a row set
    change, which calls for a retry rather than a mask."""
    lines1, lines2 = first.split(b"\n"), second.split(b"\n")
    if len(lines1) != len(lines2):
        return None
    masks: dict[int, frozenset[int]] = {}
    for i, (a, b) in enumerate(zip(lines1, lines2, strict=True)):
        if a == b:
            continue
        (ua, ta), (ub, tb) = split_units(a), split_units(b)
        if len(ua) != len(ub) or ta != tb:
            return None
        fa, fb = _tokens(ua), _tokens(ub)
        changed = frozenset(k for k in range(len(ua)) if ua[k] != ub[k])
        if not all(rule(fa, fb, k) for k in changed):
            return None
        masks[i] = changed
    return masks


def apply_masks(
    text: bytes, masks: Mapping[int, frozenset[int]], first: bytes, second: bytes
) -> bytes:
    """Mask ``text`` (any of the three outputs) at the fields of ``masks``.

    When a field kept its width (whitespace included) across the two netstat
    runs, it becomes ``#``s of that same width, so a wrong column width in
    ``text`` still shows; a field of ``text`` with another width is left
    alone (and so shows in the diff).  When the width changed between the
    netstat runs, the field and its leading whitespace become " <masked>".
    Lines whose field count differs from netstat's are left alone.
    """
    lines = text.split(b"\n")
    lines1, lines2 = first.split(b"\n"), second.split(b"\n")
    for i, ks in masks.items():
        if i >= len(lines):
            continue
        units, tail = split_units(lines[i])
        u1, _ = split_units(lines1[i])
        u2, _ = split_units(lines2[i])
        if len(units) != len(u1):
            continue
        for k in ks:
            if len(u1[k]) == len(u2[k]):
                if len(units[k]) == len(u1[k]):
                    m = min(len(u1[k].lstrip()), len(u2[k].lstrip()))
                    units[k] = b" " * (len(u1[k]) - m) + b"#" * m
            else:
                units[k] = (b" " if k else b"") + PLACEHOLDER
        lines[i] = b"".join(units) + tail
    return b"\n".join(lines)


# ---------------------------------------------------------------------------
# comparing


@dataclass(frozen=True)
class Comparison:
    """The runs of one :func:`compare`: netstat (``first``), pnetstat
    (``ours``), netstat again (``second``); ``masks`` as from
    :func:`find_masks`; ``stable`` is False if the netstat runs never agreed
    (up to masks) within ``attempts`` tries."""

    flags: tuple[str, ...]
    namespace: str
    first: subprocess.CompletedProcess[bytes]
    ours: subprocess.CompletedProcess[bytes]
    second: subprocess.CompletedProcess[bytes]
    masks: Mapping[int, frozenset[int]] = field(default_factory=dict)
    stable: bool = True
    attempts: int = 1

    def masked_stdout(self) -> tuple[bytes, bytes, bytes]:
        """stdout of (first, ours, second) with the masks applied."""
        ref1, ref2 = self.first.stdout, self.second.stdout
        return tuple(
            apply_masks(out, self.masks, ref1, ref2)  # type: ignore[return-value]
            for out in (ref1, self.ours.stdout, ref2)
        )

    @property
    def masked_count(self) -> int:
        """How many fields were masked in each output."""
        return sum(map(len, self.masks.values()))


def _stable(
    first: subprocess.CompletedProcess[bytes],
    second: subprocess.CompletedProcess[bytes],
    rule: MaskRule,
) -> dict[int, frozenset[int]] | None:
    """Masks if the two netstat runs agree up to masked fields, else None."""
    if first.returncode != second.returncode or first.stderr != second.stderr:
        return None
    return find_masks(first.stdout, second.stdout, rule)


def compare(
    ns: NetNS,
    flags: Sequence[str],
    *,
    mask: MaskRule = mask_queues_and_timers,
    attempts: int = 5,
    env: Mapping[str, str] | None = None,
    timeout: float = COMMAND_TIMEOUT,
    reference: Callable[[Sequence[str]], list[str]] = netstat_cmd,
    candidate: Callable[[Sequence[str]], list[str]] = pnetstat_cmd,
) -> Comparison:
    """Run reference, candidate, reference with ``flags`` in ``ns``.

    Retries the triple (at most ``attempts`` times) while the two reference
    runs differ in anything ``mask`` does not allow (a socket appeared or
    vanished, a timer expired).  ``reference``/``candidate`` build the argv;
    the harness's own tests pass ``candidate=netstat_cmd``.
    """
    flags = tuple(flags)
    result: Comparison | None = None
    for attempt in range(1, attempts + 1):
        first = ns.run(reference(flags), env=env, timeout=timeout)
        ours = ns.run(candidate(flags), env=env, timeout=timeout)
        second = ns.run(reference(flags), env=env, timeout=timeout)
        masks = _stable(first, second, mask)
        result = Comparison(
            flags, ns.name, first, ours, second, masks or {}, masks is not None, attempt
        )
        if masks is not None:
            break
    assert result is not None, "attempts must be at least 1"
    return result


def _show(data: bytes) -> list[str]:
    """Lines for a diff: undecodable bytes escaped, each line ending in "$"
    (as ``cat -A``) so trailing spaces are visible."""
    parts = data.split(b"\n")
    out = [p.decode("utf-8", "backslashreplace") + "$\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1].decode("utf-8", "backslashreplace") + "  (no newline at end)\n")
    return out


def unified(a: bytes, b: bytes, a_name: str, b_name: str) -> str:
    """Unified diff of two outputs (see :func:`_show`)."""
    return "".join(difflib.unified_diff(_show(a), _show(b), a_name, b_name))


def assert_same(result: Comparison) -> None:
    """Assert pnetstat's stdout, stderr and exit status equal netstat's,
    byte for byte after masking; the message shows unified diffs."""
    where = f"flags {list(result.flags)} in namespace {result.namespace}"
    if not result.stable:
        raise AssertionError(
            f"netstat output was not stable for {where} in {result.attempts} attempts "
            f"(rows changed between two runs); last difference:\n"
            + unified(result.first.stdout, result.second.stdout, "netstat #1", "netstat #2")
            + unified(
                result.first.stderr, result.second.stderr, "netstat #1 stderr", "netstat #2 stderr"
            )
            + f"exit statuses: {result.first.returncode}, {result.second.returncode}\n"
        )
    want, got, _ = result.masked_stdout()
    problems = []
    if got != want:
        problems.append(unified(want, got, "netstat stdout", "pnetstat stdout"))
    if result.ours.stderr != result.first.stderr:
        problems.append(
            unified(result.first.stderr, result.ours.stderr, "netstat stderr", "pnetstat stderr")
        )
    if result.ours.returncode != result.first.returncode:
        problems.append(
            f"exit status: netstat {result.first.returncode}, pnetstat {result.ours.returncode}\n"
        )
    if problems:
        raise AssertionError(
            f"pnetstat differs from netstat for {where} (attempt {result.attempts}, "
            f"{result.masked_count} volatile fields masked; lines end with $):\n"
            + "".join(problems)
        )


# ---------------------------------------------------------------------------
# the standard populated namespace

POPULATED_HOSTS = (
    "127.0.0.5 pnt-five.example pnt-five",
    "127.0.0.7 a-very-long-hostname-for-testing.example.com",
    "fd00:1::5 pnt-v6five.example",
)
POPULATED_ADDRESSES = ("fd00:1::5/128", "fd00:1::6/128")

# One socket of every kind the holder can make, plus children that share
# ("first owner wins") or own sockets under unusual argv[0] values.
POPULATED_SPEC: dict[str, Any] = {
    "sockets": [
        {"id": "l4", "kind": "tcp_listen", "family": 4, "pending": 2},
        {"id": "l6", "kind": "tcp_listen", "family": 6},
        {"id": "ldual", "kind": "tcp_listen", "family": "dual"},
        {"id": "l5", "kind": "tcp_listen", "addr": "127.0.0.5"},
        {"id": "llong", "kind": "tcp_listen", "addr": "127.0.0.7"},
        {"id": "e4", "kind": "tcp_established", "family": 4, "recv_q": 100},
        {"id": "e6", "kind": "tcp_established", "family": 6},
        {"id": "emapped", "kind": "tcp_established", "family": "mapped"},
        {"id": "e4unknown", "kind": "tcp_established", "addr": "127.0.0.6"},
        {"id": "e6unknown", "kind": "tcp_established", "family": 6, "addr": "fd00:1::6"},
        {"id": "e6named", "kind": "tcp_established", "family": 6, "addr": "fd00:1::5"},
        {"id": "tw4", "kind": "tcp_time_wait", "family": 4},
        {"id": "tw6", "kind": "tcp_time_wait", "family": 6},
        {"id": "cw4", "kind": "tcp_close_wait", "family": 4},
        {"id": "cw6orphan", "kind": "tcp_close_wait", "family": 6, "orphan": True},
        {"id": "u4", "kind": "udp", "family": 4},
        {"id": "u6", "kind": "udp", "family": 6},
        {"id": "u4c", "kind": "udp", "family": 4, "connect": True},
        {"id": "u6c", "kind": "udp", "family": 6, "connect": True},
        {"id": "u4q", "kind": "udp", "family": 4, "recv_q": 10},
        {"id": "ul4", "kind": "udplite", "family": 4},
        {"id": "ul6", "kind": "udplite", "family": 6},
        {"id": "r4", "kind": "raw", "family": 4},
        {"id": "r6", "kind": "raw", "family": 6},
        {"id": "r255", "kind": "raw", "family": 4, "proto": 255},
        {"id": "r4c", "kind": "raw", "family": 4, "proto": 253, "connect": "127.0.0.1"},
        {
            "id": "ustream",
            "kind": "unix",
            "type": "stream",
            "path": "srv.sock",
            "listen": True,
            "accepted": 1,
            "pending": 1,
        },
        {"id": "udgram", "kind": "unix", "type": "dgram", "path": "dg.sock", "clients": 1},
        {"id": "uspace", "kind": "unix", "type": "dgram", "path": "with space/dg.sock"},
        {
            "id": "useq",
            "kind": "unix",
            "type": "seqpacket",
            "path": "@pnt-seqpacket",
            "listen": True,
        },
        {
            "id": "uabs",
            "kind": "unix",
            "type": "stream",
            "path": "@pnt-abstract",
            "listen": True,
            "accepted": 1,
        },
        {"id": "uunbound", "kind": "unix", "type": "stream"},
        {"id": "upair", "kind": "unix_pair", "type": "stream"},
        {"id": "upair_dgram", "kind": "unix_pair", "type": "dgram"},
        {"id": "upair_seq", "kind": "unix_pair", "type": "seqpacket"},
        {"id": "shared", "kind": "tcp_listen", "family": 4},
        {"id": "second_owned", "kind": "tcp_listen", "family": 4},
        {"id": "abs_owned", "kind": "tcp_listen", "family": 4},
        {"id": "space_owned", "kind": "tcp_listen", "family": 4},
        {"id": "long_owned", "kind": "tcp_listen", "family": 4},
        {
            "id": "unix_owned",
            "kind": "unix",
            "type": "stream",
            "path": "@pnt-owned",
            "listen": True,
        },
    ],
    "children": [
        {"id": "fork", "mode": "fork", "share": ["shared"]},
        {
            "id": "second",
            "mode": "exec",
            "argv0": "pnt-holder-2",
            "share": ["shared"],
            "move": ["second_owned", "unix_owned"],
        },
        {
            "id": "abs",
            "mode": "exec",
            "argv0": "/usr/local/bin/pnt-abs-holder",
            "move": ["abs_owned"],
        },
        {"id": "spaces", "mode": "exec", "argv0": "pnt spaced holder", "move": ["space_owned"]},
        {
            "id": "long",
            "mode": "exec",
            "argv0": "pnt-a-very-long-holder-name",
            "move": ["long_owned"],
        },
    ],
}


def populate(ns: NetNS) -> Holder:
    """Start the standard holder (:data:`POPULATED_SPEC`) in ``ns``."""
    return ns.spawn_holder(POPULATED_SPEC, "pnt-holder")


@contextlib.contextmanager
def background_script(ns: NetNS, code: str, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run a Python snippet inside ``ns`` until the block ends.

    The snippet signals readiness by printing ``ready`` (read with the harness's bounded
    wait, no sleeps); it is killed and reaped when the block exits, even on failure.
    """
    proc = subprocess.Popen(
        ["ip", "netns", "exec", ns.name, sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=pinned_env(),
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
