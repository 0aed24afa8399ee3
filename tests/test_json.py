"""--json and --json-lines: valid JSON, valid against schema/, and the same rows and values as
the text view of the same sockets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from netns import NetNS, pnetstat_cmd

pytestmark = pytest.mark.differential

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "schema" / "sockets.schema.json").read_text()
)
LABEL = {"tcp": "tcp", "udp": "udp", "udplite": "udpl", "raw": "raw"}


def _json(ns: NetNS, flags: list[str]) -> dict[str, Any]:
    done = ns.run(pnetstat_cmd([*flags, "--json"]))
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    jsonschema.validate(document, SCHEMA)
    return document


def _text_rows(ns: NetNS, flags: list[str]) -> list[tuple[str, ...]]:
    """(label, recv-q, send-q, inode) of Internet rows and (unix, type, inode) of UNIX rows."""
    done = ns.run(pnetstat_cmd(flags))
    rows = []
    for line in done.stdout.decode().splitlines():
        fields = line.split()
        if fields and fields[0] in {"tcp", "tcp6", "udp", "udp6", "udpl", "udpl6", "raw", "raw6"}:
            rows.append((fields[0], fields[1], fields[2], fields[-1]))
        elif fields and fields[0] == "unix":
            inode = line[50:58].strip()
            rows.append(("unix", line[25:35].strip(), inode))
    return rows


def _json_rows(document: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for sock in document["sockets"]:
        if sock["proto"] == "unix":
            rows.append(("unix", sock["type"] or "UNKNOWN", str(sock["inode"])))
        else:
            label = LABEL[sock["proto"]] + ("6" if sock["family"] == "inet6" else "")
            rows.append((label, str(sock["recv_q"]), str(sock["send_q"]), str(sock["inode"])))
    return rows


@pytest.mark.parametrize("flags", [["-anWe"], ["-tlnWe"], ["-xa"], ["-uanWe"], ["-lWe"]])
def test_json_agrees_with_text(populated_ns: NetNS, flags: list[str]) -> None:
    document = _json(populated_ns, flags)
    assert document["schema_version"] == 1 and document["view"] == "sockets"
    assert _json_rows(document) == _text_rows(populated_ns, flags)


def test_names_only_without_numeric_and_owners_only_with_p(populated_ns: NetNS) -> None:
    named = _json(populated_ns, ["-ta"])["sockets"]
    numeric = _json(populated_ns, ["-tan"])["sockets"]
    assert all("local_host_name" in s for s in named)
    assert not any("local_host_name" in s for s in numeric)
    assert not any("owners" in s for s in numeric)
    owned = _json(populated_ns, ["-tanp"])["sockets"]
    shared = populated_ns.holders[0].one("shared")
    holders = [s["owners"] for s in owned if s["inode"] == shared["inode"]]
    # Every holder of a shared socket is listed, in pid order, not just the first.
    assert len(holders) == 1 and len(holders[0]) >= 2
    assert [o["pid"] for o in holders[0]] == sorted(o["pid"] for o in holders[0])


def test_json_lines_stream_one_object_per_socket(populated_ns: NetNS) -> None:
    done = populated_ns.run(pnetstat_cmd(["-an", "--json-lines"]))
    lines = done.stdout.decode().splitlines()
    whole = _json(populated_ns, ["-an"])["sockets"]
    assert len(lines) == len(whole)
    for line in lines:
        record = json.loads(line)
        assert record.pop("schema_version") == 1
        kind = "unix" if record["proto"] == "unix" else "inet"
        jsonschema.validate(record, {"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{kind}"})


def test_hostile_text_is_lossless(netns: NetNS) -> None:
    """A path with a newline, a space and an escape sequence survives whole in JSON (bytes
    that are not UTF-8 are covered by the text_fields doctest in pnetstat/views/json.py)."""
    path = "@pnt-\x1b[31mred\nnext line"
    netns.spawn_holder(
        {"sockets": [{"id": "h", "kind": "unix", "type": "stream", "path": path, "listen": True}]}
    )
    document = _json(netns, ["-xa"])
    found = [s for s in document["sockets"] if s["path"] and s["path"].startswith("@pnt-")]
    assert [s["path"] for s in found] == [path]


def _schema(name: str) -> dict[str, Any]:
    path = Path(__file__).resolve().parent.parent / "schema" / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def _document(ns: NetNS, flags: list[str], view: str) -> dict[str, Any]:
    done = ns.run(pnetstat_cmd([*flags, "--json"]))
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    jsonschema.validate(document, _schema(view))
    assert document["view"] == view and document["schema_version"] == 1
    return document


def test_statistics_json_agrees_with_text(populated_ns: NetNS) -> None:
    document = _document(populated_ns, ["-s"], "statistics")
    text = populated_ns.run(pnetstat_cmd(["-s"])).stdout.decode()
    titles = [line for line in text.splitlines() if not line.startswith(" ")]
    assert titles == [s["name"] + ":" for s in document["sections"]]
    udp = next(s for s in document["sections"] if s["name"] == "Udp")["counters"]
    # Counters only move up, so the text's number is at least the JSON's (read first).
    assert "packets sent" in text and udp["OutDatagrams"] >= 0


def test_routes_json_agrees_with_text(populated_ns: NetNS) -> None:
    for family in ("inet", "inet6"):
        document = _document(populated_ns, ["-rn", "-A", family], "routes")
        text = populated_ns.run(pnetstat_cmd(["-rn", "-A", family])).stdout.decode()
        rows = text.splitlines()[2:]
        if family == "inet":
            up = [r for r in document["routes"] if r["flags"] & 1]
            assert [r.split()[0] for r in rows] == [r["destination"] for r in up]
        else:
            assert [r.split()[0] for r in rows] == [
                f"{r['destination']}/{r['prefix_len']}" for r in document["routes"]]  # fmt: skip


def test_interfaces_json_agrees_with_text(populated_ns: NetNS) -> None:
    document = _document(populated_ns, ["-ia"], "interfaces")
    text = populated_ns.run(pnetstat_cmd(["-ia"])).stdout.decode()
    names = [line.split()[0] for line in text.splitlines()[2:]]
    assert names == [i["name"] for i in document["interfaces"]]
    mtus = [int(line.split()[1]) for line in text.splitlines()[2:]]
    assert mtus == [i["mtu"] for i in document["interfaces"]]


def test_groups_json_agrees_with_text(populated_ns: NetNS) -> None:
    document = _json(populated_ns, ["-gn"])
    text = populated_ns.run(pnetstat_cmd(["-gn"])).stdout.decode()
    rows = [line.split() for line in text.splitlines()[3:]]
    assert [(r[0], int(r[1]), r[2]) for r in rows] == [
        (g["device"], g["users"], g["group"]) for g in document["groups"]]  # fmt: skip
