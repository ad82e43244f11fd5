#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compares the IPFIX output of `flowdx run -c` as ipfixDump prints it with the JSON lines
(schema 1, doc/json.md) of the same run, record by record (matched by flowId).

Compared: addresses, ports, protocol, end reason (RFC 5102 code and flowdx's own), packet and
octet counts per direction (RFC 5103 reverse), every value under "features" (a plugin field
"spam_x" is element fdxSpamX; a response-direction field "spam_rx" the RFC 5103 reverse of its
request twin, reverseFdxSpamX; doc/ipfix.md), and each detector's verdict code (4 for a detector
the line names under "declined"), score and label. ipfixDump 2.4 prints float64 with 8 significant
digits, so floats are compared to a relative 1e-7; integers, addresses and strings exactly. A plugin's integer field sends NaN as 0
(doc/ipfix.md), which JSON writes as null.

With SET_TAG (e.g. Flowrec), "features" are the values of that one feature set instead: X is
element fdx<SET_TAG><X in camel case>, and rX the RFC 5103 reverse of X's (doc/ipfix.md).

Usage: ipfix_json1.py DUMP JSONL [SET_TAG]   (exit 0 when all match; else the first differences)"""
import ipaddress
import json
import math
import re
import sys

from ipfix_compare import END_FDX, END_IANA, VERDICT, camel, parse_dump, r_twin, reverse


def records(path):
    """ipfixDump's data records that carry a flowId, by flowId, as element name -> value text."""
    out = {}
    for _, fields in parse_dump(path):
        rec = {name: text.strip() for name, text in fields.values()}
        if "flowId" in rec:
            out[int(rec["flowId"])] = rec
    return out


def same_addr(text, value):
    try:
        return ipaddress.ip_address(text) == ipaddress.ip_address(value)
    except (TypeError, ValueError):
        return False


def same_float(text, value):
    if value is None:
        return text == "nan"
    if text == "nan":
        return False
    got = float(text)
    return got == value or math.isclose(got, value, rel_tol=1e-7, abs_tol=1e-300)


def set_element(tag, name, names):
    """The element of feature @name of the set tagged @tag (its request twin's reverse for rX)."""
    twin = r_twin(name, names)
    if twin:
        return reverse(set_element(tag, twin, names))
    return "fdx" + tag + camel(name)


def main():
    dump, jsonl = sys.argv[1], sys.argv[2]
    set_tag = sys.argv[3] if len(sys.argv) > 3 else None
    recs = records(dump)
    lines = [json.loads(x) for x in open(jsonl)]
    errors = []

    def want(cond, what):
        if not cond and len(errors) < 20:
            errors.append(what)

    want(len(recs) == len(lines), "records: ipfix %d, json %d" % (len(recs), len(lines)))
    compared = 0
    for o in lines:
        r = recs.get(o["flow_id"])
        if r is None:
            want(False, "flow %d: no IPFIX record" % o["flow_id"])
            continue
        v6 = ":" in o["src_addr"]
        fid = o["flow_id"]
        # ipfixDump writes IPv6 groups with leading zeros: compared as addresses
        want(same_addr(r.get("sourceIPv6Address" if v6 else "sourceIPv4Address"), o["src_addr"]),
             "%d src" % fid)
        want(same_addr(r.get("destinationIPv6Address" if v6 else "destinationIPv4Address"),
                       o["dst_addr"]), "%d dst" % fid)
        want(int(r["sourceTransportPort"]) == o["src_port"], "%d sport" % fid)
        want(int(r["destinationTransportPort"]) == o["dst_port"], "%d dport" % fid)
        want(int(r["protocolIdentifier"]) == o["proto"], "%d proto" % fid)
        want(int(r["flowEndReason"]) == END_IANA[o["end_reason"]], "%d end reason" % fid)
        want(int(r["fdxEndReason"]) == END_FDX[o["end_reason"]], "%d fdx end reason" % fid)
        want(int(r["packetDeltaCount"]) == o["packets"][0], "%d packets" % fid)
        want(int(r["reversePacketDeltaCount"]) == o["packets"][1], "%d reverse packets" % fid)
        want(int(r["octetDeltaCount"]) == o["bytes"][0], "%d octets" % fid)
        want(int(r["reverseOctetDeltaCount"]) == o["bytes"][1], "%d reverse octets" % fid)
        for name, value in o["features"].items():
            key = set_element(set_tag, name, o["features"]) if set_tag else "fdx" + camel(name)
            if key not in r and not set_tag:  # a response-direction field: the reverse of its twin
                prefix, rest = name.split("_", 1)
                if rest.startswith("r"):
                    key = reverse("fdx" + camel(prefix + "_" + rest[1:]))
            want(key in r, "%d: no element for feature %s" % (fid, name))
            if key in r:
                text = r[key]
                if re.fullmatch(r"-?[0-9]+", text) and (value is None or value == int(value)):
                    # an integer element (a plugin's U8 field): NaN is sent as 0 (doc/ipfix.md)
                    ok = int(text) == (0 if value is None else int(value))
                else:
                    ok = same_float(text, value)
                want(ok, "%d %s: ipfix %s, json %r" % (fid, name, text, value))
                compared += 1
        for det in ("spam", "doh"):
            tag = "fdx" + camel(det)
            v = o["verdicts"].get(det)
            if tag + "Verdict" not in r:  # the run had no such detector
                want(v is None, "%d: a %s verdict in JSON only" % (fid, det))
                continue
            # no verdict: 4 when the JSON line names the detector under "declined", else 0 (doc/ipfix.md)
            none = 4 if det in o.get("declined", ()) else 0
            want(int(r[tag + "Verdict"]) == (VERDICT[v["verdict"]] if v else none), "%d %s verdict" % (fid, det))
            if v:
                want(same_float(r[tag + "Score"], v["score"]), "%d %s score" % (fid, det))
                want(r[tag + "Label"].endswith(") " + v["label"]) or (v["label"] == "" and
                     r[tag + "Label"].startswith("(len: 0)")), "%d %s label" % (fid, det))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print("%d records, %d feature values, identifiers and verdicts equal" % (len(lines), compared))
    return 0


if __name__ == "__main__":
    sys.exit(main())
