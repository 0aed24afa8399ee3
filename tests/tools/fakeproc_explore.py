#!/usr/bin/env python3
"""Run many generated fake-/proc cases and print the ones where pnetstat and netstat differ.

    python3 tests/tools/fakeproc_explore.py GROUP [COUNT] [FIRST_SEED]   (as root)

GROUP is one of tests/fakeproc.py's GROUPS (sockets, unix, statistics, interfaces, routes,
groups) or ``all``. The same namespace set-up and generator as tests/test_malformed_proc.py, with
any budget: a way to look at thousands of seeds while working on a parser.
"""

from __future__ import annotations

import collections
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests import fakeproc
from tests.fakeproc_documented import documented
from tests.netns import POPULATED_ADDRESSES, POPULATED_HOSTS, NetNS


def main(argv: list[str]) -> int:
    group = argv[0] if argv else "all"
    count = int(argv[1]) if len(argv) > 1 else 200
    first = int(argv[2]) if len(argv) > 2 else 0
    groups = list(fakeproc.GROUPS) if group == "all" else [group]
    tally: collections.Counter[str] = collections.Counter()
    with NetNS(hosts=POPULATED_HOSTS, addresses=POPULATED_ADDRESSES) as ns:
        fakeproc.prepare_namespace(ns)
        base = fakeproc.capture(ns)
        cases = [c for g in groups for c in fakeproc.group_cases(base, g, count, first)]
        with tempfile.TemporaryDirectory() as workdir:
            results = fakeproc.run_cases(ns, cases, Path(workdir))
    labels = [g for g in groups for _ in range(count)]
    for group_name, case, runs in zip(labels, cases, results, strict=True):
        for run in runs:
            if not run.verdict:
                tally["no verdict"] += 1
            elif run.same:
                tally["same"] += 1
            elif (row := documented(group_name, case, run)) is not None:
                tally[f"documented: {row}"] += 1
            else:
                tally["different"] += 1
                print(fakeproc.describe(case, run), end="\n\n")
    print(dict(tally))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
