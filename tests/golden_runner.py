"""Run pnetstat in-process for many argument lists and print the results as JSON.

Used inside the golden sandbox (``tests/tools/golden.py``): one Python start-up per scenario
instead of one per flag set. Reads ``{"repo": ..., "runs": [[flags...], ...]}`` on stdin.
"""

from __future__ import annotations

import base64
import io
import json
import sys


def run_one(flags: list[str]) -> dict[str, object]:
    from pnetstat.cli import main

    streams = []
    for _ in range(2):
        raw = io.BytesIO()
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="\n")
        streams.append((raw, text))
    (out_raw, out), (err_raw, err) = streams
    status = main(flags, stdout=out, stderr=err)
    out.flush()
    err.flush()
    return {
        "status": status,
        "stdout_b64": base64.b64encode(out_raw.getvalue()).decode(),
        "stderr_b64": base64.b64encode(err_raw.getvalue()).decode(),
    }


def main() -> None:
    request = json.load(sys.stdin)
    sys.path.insert(0, request["repo"])
    json.dump([run_one(flags) for flags in request["runs"]], sys.stdout)


if __name__ == "__main__":
    main()
