#!/usr/bin/env python3
"""Rewrites the JSON lines of etcdctl's and kvctl's outputs into one comparable form.

etcdctl prints Go's encoding of the API responses: 64-bit integers as numbers and txn
responses inside Go's oneof wrappers ({"Response":{"ResponsePut":...}}). kvctl prints
protobuf's JSON mapping: 64-bit integers as strings and oneof fields by name
({"response_put":...}). Both carry the same data; this script maps them to one form, masks
what legitimately differs between runs (member ids, raft terms and indexes, sizes, versions,
timings, ports), drops etcdctl's log lines, sorts members by name, and prints each JSON document with sorted keys.
Lines that are not JSON documents are copied unchanged. Reads stdin, writes stdout.
"""
import json
import re
import sys

INTEGER_FIELDS = {
    "revision", "create_revision", "mod_revision", "version", "lease", "count", "deleted",
    "cluster_id", "member_id", "raft_term", "ID", "dbSize", "dbSizeInUse", "leader",
    "raftIndex", "raftTerm", "raftAppliedIndex",
}
MASKED_FIELDS = {
    "cluster_id", "member_id", "raft_term", "ID", "dbSize", "dbSizeInUse", "leader",
    "raftIndex", "raftTerm", "raftAppliedIndex",
}
GO_ONEOF = {
    "ResponseRange": "response_range", "ResponsePut": "response_put",
    "ResponseDeleteRange": "response_delete_range", "ResponseTxn": "response_txn",
}


def normalize(value, key=None):
    if isinstance(value, dict):
        if set(value) == {"Response"} and isinstance(value["Response"], dict):
            inner = value["Response"]
            value = {GO_ONEOF.get(k, k): v for k, v in inner.items()}
        out = {k: normalize(v, k) for k, v in value.items()}
        if isinstance(out.get("members"), list):
            out["members"] = sorted(out["members"], key=lambda m: m.get("name", ""))
        return out
    if isinstance(value, list):
        return [normalize(v, key) for v in value]
    if key in INTEGER_FIELDS and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        value = int(value)
    if key in MASKED_FIELDS:
        return "N"
    if key == "version" and isinstance(value, str):
        return "V"
    if key == "took":
        return "T"
    if isinstance(value, str):
        return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", value)
    return value


for line in sys.stdin:
    text = line.rstrip("\n")
    if text[:1] in "{[" and text:
        try:
            document = json.loads(text)
        except ValueError:
            print(text)
            continue
        if isinstance(document, dict) and "level" in document and "msg" in document:
            continue  # etcdctl's own log lines on stderr ({"level":"warn",...})
        print(json.dumps(normalize(document), sort_keys=True, separators=(",", ":")))
    else:
        print(text)
