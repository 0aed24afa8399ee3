"""The benchmark's Markdown report: targets with PASS/MISS, then medians, ratios and peak RSS.

Pure functions of the results dictionary that bench/run.py builds (and saves as JSON), so a
saved run can be re-rendered: ``python3 bench/report.py RESULTS.json``.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from startup import PASS, PASS_S, SCRIPT, TARGETS, ZIP_FLOOR, ZIPAPP

# (pnetstat command, reference command, N, the largest ratio that passes): issue "Speed at scale".
RATIO_TARGETS = [
    ("pnetstat -tan", "netstat -tan", 10_000, 1.0),
    ("pnetstat -tan", "netstat -tan", 100_000, 0.8),
    ("pnetstat -tanp", "netstat -tanp", 100_000, 0.4),
    ("pnetstat -xa", "netstat -xa", 100_000, 1.0),
]
IDLE_LIMIT_MS = 15.0  # idle pnetstat -tan over python -c pass
RSS_LIMIT_MIB = 64.0  # pnetstat -tan at N = 100,000
IDLE_PNETSTAT = "pnetstat -tan (idle)"
IDLE_PYTHON = "python -c pass"


def median_ms(samples: dict[str, list[float]]) -> float:
    """Median wall time of one command's runs, in milliseconds.

    >>> median_ms({"times": [0.3, 0.1, 0.2]})
    200.0
    """
    return statistics.median(samples["times"]) * 1000


def peak_mib(samples: dict[str, list[int]]) -> float:
    """Largest peak RSS over one command's runs, in MiB.

    >>> peak_mib({"rss_kib": [2048, 3072]})
    3.0
    """
    return max(samples["rss_kib"]) / 1024


def verdict(ok: bool) -> str:
    """The result column's word."""
    return "PASS" if ok else "MISS"


def _size(results: dict[str, Any], n: int) -> dict[str, Any] | None:
    size: dict[str, Any] | None = results["sizes"].get(str(n))
    return size


def render_targets(results: dict[str, Any]) -> Iterator[str]:
    """The issue's targets, each with what was measured and PASS or MISS ("not run" if the
    size was not measured)."""
    yield "| target | measured | limit | result |"
    yield "|---|---:|---:|---|"
    for ours, reference, n, limit in RATIO_TARGETS:
        name = f"`{ours}` / `{reference}` at N = {n:,}"
        size = _size(results, n)
        if size is None:
            yield f"| {name} | - | <= {limit:.1f}x | not run |"
            continue
        ratio = median_ms(size["commands"][ours]) / median_ms(size["commands"][reference])
        yield f"| {name} | {ratio:.2f}x | <= {limit:.1f}x | {verdict(ratio <= limit)} |"
    idle = results["idle"]
    extra = median_ms(idle[IDLE_PNETSTAT]) - median_ms(idle[IDLE_PYTHON])
    yield (f"| idle `pnetstat -tan` - `python -c pass` | {extra:.1f} ms | "
           f"<= {IDLE_LIMIT_MS:.0f} ms | {verdict(extra <= IDLE_LIMIT_MS)} |")  # fmt: skip
    name = "peak RSS of `pnetstat -tan` at N = 100,000"
    big = _size(results, 100_000)
    if big is None:
        yield f"| {name} | - | <= {RSS_LIMIT_MIB:.0f} MiB | not run |"
    else:
        rss = peak_mib(big["commands"]["pnetstat -tan"])
        yield f"| {name} | {rss:.1f} MiB | <= {RSS_LIMIT_MIB:.0f} MiB | {verdict(rss <= RSS_LIMIT_MIB)} |"


def _label(label: str, samples: dict[str, list[int]]) -> str:
    failed = sorted({status for status in samples["status"] if status})
    return f"`{label}`" + (f" (exit {', '.join(map(str, failed))})" if failed else "")


def render_size(n: int, size: dict[str, Any]) -> Iterator[str]:
    """One size's table: each command's median, its ratio to netstat and to ss, peak RSS."""
    commands = size["commands"]
    yield (f"### N = {n:,}: {2 * n:,} TCP sockets, {n:,} unix sockets, "
           f"{size['udp']} UDP sockets, in {size['holders']} holder process(es)")  # fmt: skip
    yield ""
    yield (
        f"Setup {size['setup_s']:.1f} s, timing {size['timing_s']:.1f} s, "
        f"teardown {size['teardown_s']:.1f} s; median of {size['runs']} interleaved runs."
    )
    yield ""
    yield "| command | median ms | min-max ms | vs netstat | vs ss | peak RSS MiB |"
    yield "|---|---:|---:|---:|---:|---:|"
    for label, samples in commands.items():
        flags = label.split()[1]
        ms = median_ms(samples)
        netstat, ss = median_ms(commands[f"netstat {flags}"]), median_ms(commands[f"ss {flags}"])
        spread = f"{min(samples['times']) * 1000:.0f}-{max(samples['times']) * 1000:.0f}"
        yield (f"| {_label(label, samples)} | {ms:.1f} | {spread} | {ms / netstat:.2f}x | "
               f"{ms / ss:.2f}x | {peak_mib(samples):.1f} |")  # fmt: skip


def render_idle(results: dict[str, Any]) -> Iterator[str]:
    """Start-up in an empty namespace, and what the harness itself costs."""
    yield "### Start-up (empty namespace)"
    yield ""
    yield "| command | median ms | peak RSS MiB |"
    yield "|---|---:|---:|"
    for label, samples in results["idle"].items():
        yield f"| {_label(label, samples)} | {median_ms(samples):.1f} | {peak_mib(samples):.1f} |"
    yield ""
    yield (
        "`python -S` skips site-packages' .pth files, which on some hosts import much; "
        "pnetstat then pays for the modules they would have loaded, so the -S pair "
        "shows its cost from a bare interpreter, not its share of the normal start-up."
    )
    yield ""
    yield "### Harness overhead (root namespace)"
    yield ""
    yield "| command | median ms |"
    yield "|---|---:|"
    for label, samples in results["overhead"].items():
        yield f"| {_label(label, samples)} | {median_ms(samples):.2f} |"
    yield ""
    yield (
        "`ip netns exec` is not in the times above (the driver runs inside the namespace); "
        "the RSS wrapper, when used, is in every one of them."
    )


def header(title: str, meta: dict[str, Any]) -> list[str]:
    """A report's title line and its ``meta`` as a list (date and host are in the title).

    >>> header("x", {"date": "d", "host": "h", "kernel": "k"})
    ['# x, d, host h', '', '- kernel: k']
    """
    lines = [f"# {title}, {meta['date']}, host {meta['host']}", ""]
    return lines + [
        f"- {key}: {value}" for key, value in meta.items() if key not in ("date", "host")
    ]


def write(text: str, results: dict[str, Any], out: Path) -> None:
    """Print the report, write it to ``out`` and the raw results beside it as JSON."""
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}", file=sys.stderr)


def render(results: dict[str, Any]) -> str:
    """The whole report as Markdown text."""
    meta = results["meta"]
    lines = header("pnetstat benchmark", meta)
    lines += ["", '### Targets (issue "Speed at scale")', "", *render_targets(results)]
    for n, size in sorted(results["sizes"].items(), key=lambda item: int(item[0])):
        lines += ["", *render_size(int(n), size)]
    lines += ["", *render_idle(results)]
    return "\n".join(lines) + "\n"


# Issue 13, point 7: --all-netns over 100 namespaces against a per-namespace loop.
NETNS_TARGETS = [
    ("-tan", "netstat -tan loop", 0.5),
    ("-tan", "ss -tan loop", 1.0),
    ("-tanp", "netstat -tanp loop", 0.2),
]


def render_netns_targets(netns: dict[str, Any]) -> Iterator[str]:
    """The namespace targets, for each interpreter: ratios to the loops and peak RSS."""
    yield "| target | interpreter | measured | limit | result |"
    yield "|---|---|---:|---:|---|"
    for flags, loop, limit in NETNS_TARGETS:
        table = netns["commands"]["tan" if flags == "-tan" else "tanp"]
        for python in netns["pythons"]:
            ours = f"pnetstat --all-netns {flags} ({python})"
            ratio = median_ms(table[ours]) / median_ms(table[loop])
            # A loop killed at the timeout took longer: the ratio is a ceiling.
            killed = "<= " if any(status < 0 for status in table[loop]["status"]) else ""
            yield (f"| `pnetstat --all-netns {flags}` / `{loop}` | {python} | {killed}{ratio:.2f}x | "
                   f"<= {limit:.1f}x | {verdict(ratio <= limit)} |")  # fmt: skip
    for python in netns["pythons"]:
        rss = peak_mib(netns["commands"]["tan"][f"pnetstat --all-netns -tan ({python})"])
        yield (f"| peak RSS of `pnetstat --all-netns -tan` | {python} | {rss:.1f} MiB | "
               f"< {RSS_LIMIT_MIB:.0f} MiB | {verdict(rss < RSS_LIMIT_MIB)} |")  # fmt: skip


def render_netns_table(table: dict[str, Any], runs: int) -> Iterator[str]:
    """One group's commands: medians, spread, ratio to the netstat loop and to the ss loop."""
    loops = [label for label in table if label.endswith(" loop")]
    yield f"Median of {runs} interleaved runs."
    yield ""
    vs = "".join(f" vs {loop} |" for loop in loops)
    yield f"| command | median ms | min-max ms |{vs} peak RSS MiB |"
    yield "|---|---:|---:|" + "---:|" * len(loops) + "---:|"
    for label, samples in table.items():
        ms = median_ms(samples)
        spread = f"{min(samples['times']) * 1000:.0f}-{max(samples['times']) * 1000:.0f}"
        ratios = " | ".join(f"{ms / median_ms(table[loop]):.2f}x" for loop in loops)
        yield f"| {_label(label, samples)} | {ms:.1f} | {spread} | {ratios} | {peak_mib(samples):.1f} |"


def render_netns(results: dict[str, Any]) -> str:
    """The namespace benchmark's whole report as Markdown text."""
    meta, netns = results["meta"], results["netns"]
    lines = header("pnetstat --all-netns benchmark", meta)
    lines += [
        f"- interpreter {path}: Python {version}" for path, version in netns["pythons"].items()
    ]
    census = netns["census"]
    lines += [
        "",
        f"{netns['named'] + netns['held']} namespaces: {netns['named']} named (`ip netns add`), "
        f"{netns['held']} held only by a process (`unshare --net`), each with lo up and "
        f"{netns['pairs']:,} established loopback TCP pairs from one holder process. "
        f"Setup {netns['setup_s']:.1f} s, timing {netns['timing_s']:.1f} s, "
        f"teardown {netns['teardown_s']:.1f} s.",
        "",
        "A loop runs the tool in each namespace one after another in one `sh`: "
        "`ip netns exec NAME TOOL` for named ones, `nsenter -t PID -n TOOL` for the others; "
        "its time is the whole loop's. pnetstat runs once from the root namespace.",
        "",
        f"Sections: `pnetstat --all-netns -tan` printed {census['pnetstat sections']} "
        f"(every namespace of the host, the root one and any others included) against the "
        f"loop's {census['loop namespaces']}; ESTABLISHED rows {census['pnetstat ESTABLISHED rows']:,} "
        f"against the loop's {census['loop ESTABLISHED rows']:,}.",
        "",
        f"A command still running after {netns.get('timeout_s', 0):.0f} s is killed (exit -9): "
        "its time is then a floor, and a ratio to it a ceiling (marked <=).",
        "",
        "### Targets (issue 13, point 7)",
        "",
        *render_netns_targets(netns),
        "",
        "### -tan",
        "",
        *render_netns_table(netns["commands"]["tan"], netns["runs"]),
        "",
        "### -tanp",
        "",
        *render_netns_table(netns["commands"]["tanp"], netns["runs_p"]),
    ]
    return "\n".join(lines) + "\n"


# Issue 14: a narrow filter at N = 100,000 pairs. (group, reference label, largest ratio);
# the labels are filled in with the port (see bench/filters.py).
FILTER_TARGETS = [
    ("tan", "ss -tan sport = :{port}", 1.2),
    ("tan", "netstat -tan | grep :{port}", 0.2),
    ("tanp", "netstat -tanp | grep :{port}", 0.1),
]


def render_filters_targets(filters: dict[str, Any]) -> Iterator[str]:
    """The filter targets, for each interpreter."""
    yield "| target | interpreter | pnetstat ms | reference ms | ratio | limit | result |"
    yield "|---|---|---:|---:|---:|---:|---|"
    port = filters["port"]
    for group, reference, limit in FILTER_TARGETS:
        table = filters["commands"][group]
        ref = reference.format(port=port)
        flags = "-tan" if group == "tan" else "-tanp"
        for python in filters["pythons"]:
            ours = f"pnetstat {flags} sport = :{port} ({python})"
            ms, ref_ms = median_ms(table[ours]), median_ms(table[ref])
            yield (f"| `pnetstat {flags} sport = :{port}` / `{ref}` | {python} | {ms:.1f} | "
                   f"{ref_ms:.1f} | {ms / ref_ms:.2f}x | <= {limit:.1f}x | "
                   f"{verdict(ms / ref_ms <= limit)} |")  # fmt: skip


def render_filters_table(table: dict[str, Any], runs: int) -> Iterator[str]:
    """One group's commands: medians, spread and peak RSS."""
    yield f"Median of {runs} interleaved runs."
    yield ""
    yield "| command | median ms | min-max ms | peak RSS MiB |"
    yield "|---|---:|---:|---:|"
    for label, samples in table.items():
        spread = f"{min(samples['times']) * 1000:.0f}-{max(samples['times']) * 1000:.0f}"
        yield f"| {_label(label, samples)} | {median_ms(samples):.1f} | {spread} | {peak_mib(samples):.1f} |"


def render_census(filters: dict[str, Any]) -> Iterator[str]:
    """What each listing printed, checked once before timing."""
    census = filters["census"]
    yield (f"Rows: `ss -tan sport = :{filters['port']}` lists {census['ss rows']} sockets; "
           f"`netstat -tan | grep :{filters['port']}` prints {census['grep lines']} lines "
           "(the clients' sockets too, whose foreign port is the port).")  # fmt: skip
    yield ""
    yield "| command | rows | same rows as ss (local, foreign, state) | PID column |"
    yield "|---|---:|---|---|"
    for label, found in census.items():
        if not isinstance(found, dict):
            continue
        pid = ""
        if "pids" in found:
            whose = "the holder's" if found["holder's pid"] else "NOT the holder's"
            pid = f"{', '.join(found['pids'])} ({whose})"
        yield f"| `{label}` | {found['rows']} | {'yes' if found['same rows as ss'] else 'NO'} | {pid} |"


def render_filters(results: dict[str, Any]) -> str:
    """The filter benchmark's whole report as Markdown text."""
    meta, filters = results["meta"], results["filters"]
    lines = header("pnetstat filter benchmark", meta)
    lines += [
        f"- interpreter {path}: Python {version}" for path, version in filters["pythons"].items()
    ]
    port = filters["port"]
    lines += [
        "",
        f"One namespace with {filters['pairs']:,} established loopback TCP pairs "
        f"({2 * filters['pairs']:,} TCP sockets), {filters['pairs']:,} unix sockets and "
        f"{filters['udp']} UDP sockets, plus one holder listening on 127.0.0.1:{port} with "
        f"{filters['match_pairs']} connections from 127.0.0.100; {filters['holders']} holder "
        f"processes. Port {port} is above the ephemeral range, so `grep :{port}` matches "
        f"only those sockets. Setup {filters['setup_s']:.1f} s, timing "
        f"{filters['timing_s']:.1f} s, teardown {filters['teardown_s']:.1f} s.",
        "",
        *render_census(filters),
        "",
        "### Targets (issue 14)",
        "",
        *render_filters_targets(filters),
        "",
        "### -tan",
        "",
        *render_filters_table(filters["commands"]["tan"], filters["runs"]),
        "",
        "### -tanp",
        "",
        *render_filters_table(filters["commands"]["tanp"], filters["runs_p"]),
    ]
    return "\n".join(lines) + "\n"


# Issue 17, point 4: start-up of the console script and of the zipapp (see bench/startup.py).
TOP_IMPORTS = 15


def render_startup_targets(startup: dict[str, Any]) -> Iterator[str]:
    """Each target: the bare interpreter's median, pnetstat's, the difference and PASS/MISS."""
    table, limit = startup["commands"], startup["limit_ms"]
    yield "| target | interpreter | baseline ms | pnetstat ms | difference | limit | result |"
    yield "|---|---|---:|---:|---:|---:|---|"
    for ours, base in TARGETS:
        ms, base_ms = median_ms(table[ours]), median_ms(table[base])
        extra = ms - base_ms
        yield (f"| `{ours}` - `{base}` | {startup['python']} | {base_ms:.1f} | {ms:.1f} | "
               f"{extra:+.1f} ms | <= +{limit:.0f} ms | {verdict(extra <= limit)} |")  # fmt: skip


def render_zipapp_floor(startup: dict[str, Any]) -> Iterator[str]:
    """How much of the zipapp row is the interpreter's before pnetstat's first line runs."""
    table = startup["commands"]
    if ZIP_FLOOR not in table:  # a report saved before the floor was timed
        return
    base, floor, ours = (median_ms(table[label]) for label in (PASS_S, ZIP_FLOOR, ZIPAPP))
    yield (
        f"Of the zipapp's {ours - base:+.1f} ms, the interpreter's own zipapp start "
        f"(`{ZIP_FLOOR}`: runpy, importlib.util, contextlib and what they import) takes "
        f"{floor - base:+.1f} ms before any pnetstat code runs; pnetstat's share is "
        f"{ours - floor:+.1f} ms."
    )


def render_startup_table(startup: dict[str, Any]) -> Iterator[str]:
    """Every timed command: median, spread and the difference to ``python3 -c pass``."""
    table = startup["commands"]
    base = median_ms(table[PASS])
    yield f"Median of {startup['runs']} interleaved runs."
    yield ""
    yield f"| command | median ms | min-max ms | vs `{PASS}` |"
    yield "|---|---:|---:|---:|"
    for label, samples in table.items():
        ms = median_ms(samples)
        spread = f"{min(samples['times']) * 1000:.1f}-{max(samples['times']) * 1000:.1f}"
        yield f"| {_label(label, samples)} | {ms:.1f} | {spread} | {ms - base:+.1f} ms |"


def import_parents(rows: list[dict[str, Any]]) -> list[int | None]:
    """Each ``-X importtime`` row's importer (an index), from the post-order depths.

    >>> import_parents([{"depth": 1}, {"depth": 1}, {"depth": 0}, {"depth": 0}])
    [2, 2, None, None]
    """
    parents: list[int | None] = [None] * len(rows)
    pending: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        for child in pending.pop(row["depth"] + 1, []):
            parents[child] = index
        pending.setdefault(row["depth"], []).append(index)
    return parents


def _own(module: str) -> bool:
    return module == "pnetstat" or module.startswith("pnetstat.")


def render_importtime(label: str, rows: list[dict[str, Any]], base: list[dict[str, Any]],
                      base_label: str) -> Iterator[str]:  # fmt: skip
    """One ``-X importtime`` run: totals beyond its baseline, the top imports by cumulative
    time, and the standard modules that pnetstat (or the way it starts) imports itself."""
    known = {row["module"] for row in base}
    extra = [row for row in rows if row["module"] not in known]
    own = sum(row["self_us"] for row in extra if _own(row["module"])) / 1000
    stdlib = sum(row["self_us"] for row in extra if not _own(row["module"])) / 1000
    total = sum(row["self_us"] for row in rows) / 1000
    base_total = sum(row["self_us"] for row in base) / 1000
    yield (f"`{label}`: {len(rows)} imports, {total:.1f} ms in all (`{base_label}`: {len(base)}, "
           f"{base_total:.1f} ms). Beyond the baseline: {len(extra)} modules, "
           f"{own + stdlib:.1f} ms (self times): pnetstat's own {own:.1f} ms, "
           f"the standard library's {stdlib:.1f} ms.")  # fmt: skip
    yield ""
    parents = import_parents(rows)
    yield f"Top {TOP_IMPORTS} by cumulative time (a module's time includes what it imports):"
    yield ""
    yield "| module | imported by | cumulative ms | self ms | in baseline |"
    yield "|---|---|---:|---:|---|"
    ranked = sorted(range(len(rows)), key=lambda index: -rows[index]["cumulative_us"])
    for index in ranked[:TOP_IMPORTS]:
        row, parent = rows[index], parents[index]
        by = "top level" if parent is None else f"`{rows[parent]['module']}`"
        yield (f"| `{row['module']}` | {by} | {row['cumulative_us'] / 1000:.2f} | "
               f"{row['self_us'] / 1000:.2f} | {'yes' if row['module'] in known else ''} |")  # fmt: skip
    yield ""
    direct = [
        (row, parents[index])
        for index, row in enumerate(rows)
        if row["module"] not in known and not _own(row["module"])
        and (parents[index] is None or _own(rows[parents[index]]["module"]))  # type: ignore[index]
    ]  # fmt: skip
    direct.sort(key=lambda pair: -pair[0]["cumulative_us"])
    yield "Standard modules beyond the baseline imported directly by pnetstat or at top level:"
    yield ""
    yield "| module | cumulative ms | first imported by |"
    yield "|---|---:|---|"
    for row, parent in direct:
        by = "top level" if parent is None else f"`{rows[parent]['module']}`"
        yield f"| `{row['module']}` | {row['cumulative_us'] / 1000:.2f} | {by} |"


def render_startup(results: dict[str, Any]) -> str:
    """The start-up benchmark's whole report as Markdown text."""
    meta, startup = results["meta"], results["startup"]
    lines = header("pnetstat start-up benchmark", meta)
    lines += [
        f"- timed interpreter: {startup['python']} (Python {startup['version']}); resolved "
        f"interpreter: {startup['resolved']} (Python {startup['resolved_version']})",
        f"- wheel: {startup['wheel']}, installed with `pip install --no-index --no-deps` into a "
        f"fresh venv of {startup['python']}; zipapp built by tools/build_zipapp.py on it",
        "- load average (1, 5, 15 min) before timing: "
        + ", ".join(f"{load:.2f}" for load in startup.get("loadavg", ())),
        f"- TCP sockets on the host, all namespaces (/proc/slabinfo) before timing: "
        f"{startup.get('host_tcp_sockets')} (the established hash is shared: an empty "
        "namespace's dump still walks other namespaces' sockets)",
        "",
        "Everything runs in an empty network namespace (lo up) with a clean environment "
        "(`env -i PATH=... LC_ALL=C`: no PYTHONPATH, byte code where the interpreter keeps it). "
        "The checkout row runs through `env PYTHONPATH=... PYTHONPYCACHEPREFIX=...`, so it "
        "stands beside the same `env ... python3 -c pass`. The venv's python does not run the "
        ".pth files of /usr/lib/python3/dist-packages that /usr/bin/python3 runs.",
        "",
        "### Targets (issue 17, point 4)",
        "",
        *render_startup_targets(startup),
        "",
        *render_zipapp_floor(startup),
        "",
        "### All commands",
        "",
        *render_startup_table(startup),
        "",
        "### Where the time goes: `-X importtime` (one run each)",
        "",
        "The console script as its shebang runs it (`VENV/bin/python -X importtime "
        "VENV/bin/pnetstat -tan`), the zipapp as `python3 -S -X importtime pnetstat.pyz -tan`; "
        "each against its baseline's own `-X importtime -c pass` run. Times under "
        "`-X importtime` are inflated by the tracing and move from run to run.",
        "",
    ]
    traces = startup["importtime"]
    for label, base in ((SCRIPT, PASS), (ZIPAPP, PASS_S)):
        lines += [
            f"#### `{label}`",
            "",
            *render_importtime(label, traces[label], traces[base], base),
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1]) as saved:
        saved_results = json.load(saved)
        if "startup" in saved_results:
            sys.stdout.write(render_startup(saved_results))
        elif "filters" in saved_results:
            sys.stdout.write(render_filters(saved_results))
        else:
            sys.stdout.write((render_netns if "netns" in saved_results else render)(saved_results))
