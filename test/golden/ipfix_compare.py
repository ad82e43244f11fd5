#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compares an IPFIX file written by flowdx with the JSON lines of the same run.

The IPFIX file is read twice, independently of libfixbuf's writer:
- by this script's own decoder, written from RFC 7011 (messages, sets, templates, data records,
  variable-length fields) and RFC 5610 (information element type records): every identifier,
  timestamp (microseconds, exactly), feature value (float64, bit for bit), verdict, score and
  label of every record is compared with the JSON line of the same flow_id;
- by ipfixDump --rfc5610 (its text output, given as DUMP): the same records and element names,
  integers and addresses exactly, floats to the 8 significant digits it prints, times to the
  second (ipfixDump 2.4 prints dateTimeMicroseconds without the fraction).

Expected element ids and names follow doc/ipfix.md: feature i of a set is BASE + i under the PEN,
named "fdx" + TAG + the name in camel case; a response twin is the RFC 5103 reverse (id | 0x4000,
"reverse" + the capitalised forward name) of its request twin. Exit status 0 when everything
matches, 1 with the first differences on standard error.

Usage: ipfix_compare.py IPFIX JSONL DUMP --pen N --set SET --names FILE [--detector NAME]
       [--domain N] [--extract] [--subset]
  --names FILE   the set's value names in column order (`flowdx features SET`)
  --detector     the verdict slot of a `flowdx run` (doh or spam); without it, records of
                 `flowdx extract --format jsonl` (every value of the set, no verdict)
  --subset       the IPFIX records are some of the JSON lines' flows (each at most once), not all
"""
import argparse
import ipaddress
import json
import math
import re
import struct
import sys
from datetime import datetime, timezone

# IANA elements of the identifier part (RFC 7012 registry), keyed by (pen, id).
IANA = {
    (0, 148): "flowId",
    (0, 8): "sourceIPv4Address",
    (0, 12): "destinationIPv4Address",
    (0, 27): "sourceIPv6Address",
    (0, 28): "destinationIPv6Address",
    (0, 7): "sourceTransportPort",
    (0, 11): "destinationTransportPort",
    (0, 4): "protocolIdentifier",
    (0, 152): "flowStartMilliseconds",
    (0, 153): "flowEndMilliseconds",
    (0, 154): "flowStartMicroseconds",
    (0, 155): "flowEndMicroseconds",
    (0, 136): "flowEndReason",
    (0, 2): "packetDeltaCount",
    (0, 1): "octetDeltaCount",
    (29305, 2): "reversePacketDeltaCount",  # RFC 5103 section 6.1
    (29305, 1): "reverseOctetDeltaCount",
}
# doc/ipfix.md: element blocks, name tags and response twins of the feature sets.
BLOCKS = {"zadnik": (9000, "Zadnik"), "doh:ip": (10000, "DohIp"),
          "doh:dohlyzer": (11000, "Dohlyzer"), "dpi": (12000, "")}
DOH_TWINS = {"FlowBytesReceived": "FlowBytesSent", "FlowReceivedRate": "FlowSentRate"}
SLOTS = {"doh": 8300, "spam": 8310}
# RFC 5102 flowEndReason per flowdx end reason (doc/ipfix.md), and flowdx's own codes.
END_IANA = {"idle": 1, "active": 2, "fin": 3, "rst": 3, "evicted": 5, "eof": 4, "cut": 2,
            "clock": 4}
END_FDX = {"idle": 0, "active": 1, "fin": 2, "rst": 3, "evicted": 4, "eof": 5, "cut": 6,
           "clock": 7}
# IPFIX verdict codes (doc/ipfix.md) of doc/json.md's verdict words, and of the labels a detector's
# slot carries (the spam model's classes are ham and spam).
VERDICT = {"benign": 1, "malicious": 2, "uncertain": 3}
LABEL_VERDICT = dict(VERDICT, ham=1, spam=2)
NTP_UNIX = 2208988800


def camel(name):
    """@name in camel case as doc/ipfix.md names elements: _ and - dropped, each part capitalised."""
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_-]", name) if p)


def reverse(fwd):
    """The RFC 5103 reverse of the element named @fwd: "reverse" + @fwd capitalised."""
    return "reverse" + fwd[0].upper() + fwd[1:]


def r_twin(name, names):
    """X when @name is rX and X is also among @names (a response value and its request twin)."""
    return name[1:] if name.startswith("r") and name[1:] in names else None


def expected_elements(args, names):
    """(pen, id) and IE name of each value, by the documented rule."""
    base, tag = BLOCKS[args.set]
    out = {}
    for i, n in enumerate(names):
        twin = None
        if args.set == "zadnik":
            twin = r_twin(n, names)
        elif args.set.startswith("doh") and n in DOH_TWINS:
            twin = DOH_TWINS[n]
        if twin:
            out[n] = ((args.pen, (base + names.index(twin)) | 0x4000),
                      reverse("fdx" + tag + camel(twin)))
        else:
            out[n] = ((args.pen, base + i), "fdx" + tag + camel(n))
    return out


class Decoded:
    def __init__(self):
        self.templates = {}   # tid -> [(pen, id, len)]
        self.types = {}       # (pen, id) -> (name, RFC 5610 type) from type records
        self.records = []     # (tid, {(pen, id): raw bytes})
        self.problems = []


def decode(path, domain):
    """RFC 7011 decoder of an IPFIX file (a stream of messages)."""
    d = Decoded()
    data = open(path, "rb").read()
    pos, seq_expected = 0, None
    while pos < len(data):
        if len(data) - pos < 16:
            d.problems.append("trailing %d bytes after the last message" % (len(data) - pos))
            break
        ver, mlen, _, seq, dom = struct.unpack_from(">HHIII", data, pos)
        if ver != 10 or mlen < 16 or pos + mlen > len(data):
            d.problems.append("bad message header at offset %d" % pos)
            break
        if dom != domain:
            d.problems.append("observation domain %d, expected %d" % (dom, domain))
        # RFC 7011 section 3.1: the count of data records sent before this message.
        if seq_expected is not None and seq != seq_expected:
            d.problems.append("sequence number %d, expected %d" % (seq, seq_expected))
        n_data = 0
        p, end = pos + 16, pos + mlen
        while p + 4 <= end:
            sid, slen = struct.unpack_from(">HH", data, p)
            if slen < 4 or p + slen > end:
                d.problems.append("bad set header at offset %d" % p)
                break
            body, bend = p + 4, p + slen
            if sid in (2, 3):
                while bend - body >= 4:
                    tid, count = struct.unpack_from(">HH", data, body)
                    body += 4
                    if sid == 3:
                        body += 2  # scope field count
                    fields = []
                    for _ in range(count):
                        fid, flen = struct.unpack_from(">HH", data, body)
                        body += 4
                        pen = 0
                        if fid & 0x8000:
                            pen = struct.unpack_from(">I", data, body)[0]
                            body += 4
                        fields.append((pen, fid & 0x7FFF, flen))
                    d.templates[tid] = fields
            elif sid >= 256:
                fields = d.templates.get(sid)
                if fields is None:
                    d.problems.append("data set for unknown template %d" % sid)
                else:
                    while body < bend:
                        rec, q = {}, body
                        try:
                            for pen, fid, flen in fields:
                                if flen == 0xFFFF:
                                    flen = data[q]
                                    q += 1
                                    if flen == 255:
                                        flen = struct.unpack_from(">H", data, q)[0]
                                        q += 2
                                if q + flen > bend:
                                    raise IndexError
                                rec[(pen, fid)] = data[q:q + flen]
                                q += flen
                        except IndexError:
                            break  # padding at the end of the set
                        body = q
                        n_data += 1
                        d.records.append((sid, rec))
            p = bend
        seq_expected = (seq + n_data) & 0xFFFFFFFF
        pos += mlen
    # RFC 5610 information element type records: names and types of enterprise elements.
    for tid, rec in d.records:
        if (0, 346) in rec and (0, 341) in rec:
            key = (struct.unpack(">I", rec[(0, 346)])[0], struct.unpack(">H", rec[(0, 303)])[0])
            d.types[key] = (rec[(0, 341)].decode(), rec[(0, 339)][0])
    d.records = [(t, r) for t, r in d.records if (0, 346) not in r]
    return d


def uint(b):
    return int.from_bytes(b, "big")


def ntp_us(b):
    """dateTimeMicroseconds (RFC 7011 section 6.1.9) to Unix microseconds, rounded."""
    v = uint(b)
    return (((v >> 32) - NTP_UNIX) * 1000000) + round((v & 0xFFFFFFFF) * 1000000 / 2**32)


def addr(b):
    return str(ipaddress.ip_address(bytes(b)))


def same_float(a, j):
    """An IPFIX float64 against a JSON number (null for NaN and infinities): bit for bit."""
    if j is None:
        return not math.isfinite(a)
    return a == float(j) and math.copysign(1, a) == math.copysign(1, float(j))


def parse_dump(path):
    """ipfixDump's text: data records as (tid, {(pen, id): (name, value text)})."""
    recs, cur = [], None
    field = re.compile(r"^\t\((?:(\d+)/)?(\d+)\)(?: \(S\))?\s*(\S+) : (.*)$")
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^\tcount: +\d+ +tid: +(\d+)", line)
        if m:
            cur = (int(m.group(1)), {})
            recs.append(cur)
            continue
        m = field.match(line.rstrip("\n"))
        if m and cur is not None:
            pen = int(m.group(1) or 0)
            cur[1][(pen, int(m.group(2)))] = (m.group(3), m.group(4))
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ipfix")
    ap.add_argument("jsonl")
    ap.add_argument("dump")
    ap.add_argument("--pen", type=int, required=True)
    ap.add_argument("--set", required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--detector")
    ap.add_argument("--domain", type=int, default=0)
    # a collector that was away for a while: its records are some of the JSON lines, each once
    ap.add_argument("--subset", action="store_true")
    args = ap.parse_args()

    names = [l.split()[0] for l in open(args.names) if l.strip()]
    rows = [json.loads(l) for l in open(args.jsonl)]
    by_id = {r["flow_id"]: r for r in rows}
    want = expected_elements(args, names)
    d = decode(args.ipfix, args.domain)
    bad = list(d.problems)
    checked = 0

    def check(ok, what):
        nonlocal checked
        checked += 1
        if not ok and len(bad) < 50:
            bad.append(what)

    # Names and types of the feature elements, from the type records.
    for n, (key, ie) in want.items():
        got = d.types.get(key)
        check(got == (ie, 10), "type record of %s: %s, expected %s float64" % (n, got, (key, ie)))
    slot = None
    if args.detector:
        base = SLOTS[args.detector]
        slot = {s: (args.pen, base + k) for k, s in enumerate(("Verdict", "Score", "Label"))}
        for s, key in slot.items():
            ie = "fdx" + camel(args.detector) + s
            check(d.types.get(key, ("",))[0] == ie, "type record of %s: %s" % (ie, d.types.get(key)))

    seen = set()
    for tid, rec in d.records:
        if (0, 148) not in rec:
            check(False, "data record of template %d without flowId" % tid)
            continue
        fid = uint(rec[(0, 148)])
        seen.add(fid)
        j = by_id.get(fid)
        if j is None:
            check(False, "flow %d is in the IPFIX file, not in the JSON lines" % fid)
            continue
        v6 = (0, 27) in rec
        check(addr(rec[(0, 27 if v6 else 8)]) == j["src_addr"], "flow %d: source address" % fid)
        check(addr(rec[(0, 28 if v6 else 12)]) == j["dst_addr"], "flow %d: destination" % fid)
        check(uint(rec[(0, 7)]) == j["src_port"], "flow %d: source port" % fid)
        check(uint(rec[(0, 11)]) == j["dst_port"], "flow %d: destination port" % fid)
        if args.detector:
            check(uint(rec[(0, 4)]) == 6, "flow %d: protocol (SMTP and DoH are TCP)" % fid)
        elif "proto" in j:
            check(uint(rec[(0, 4)]) == j["proto"], "flow %d: protocol" % fid)
        check(ntp_us(rec[(0, 154)]) == j["start_us"], "flow %d: start %d, JSON %d" %
              (fid, ntp_us(rec[(0, 154)]), j["start_us"]))
        check(ntp_us(rec[(0, 155)]) == j["end_us"], "flow %d: end" % fid)
        check(uint(rec[(0, 154)]) & 0x7FF == 0, "flow %d: low 11 bits of the fraction" % fid)
        # dateTimeMilliseconds (RFC 7011 6.1.8): milliseconds since the Unix epoch, truncated
        check(uint(rec[(0, 152)]) == j["start_us"] // 1000, "flow %d: start in ms" % fid)
        check(uint(rec[(0, 153)]) == j["end_us"] // 1000, "flow %d: end in ms" % fid)
        check(uint(rec[(0, 136)]) == END_IANA[j["end_reason"]], "flow %d: flowEndReason" % fid)
        check(uint(rec[(args.pen, 8200)]) == END_FDX[j["end_reason"]], "flow %d: end reason" % fid)
        feats = j["features"] if args.detector else {n: j[n] for n in names}
        for n, val in feats.items():
            key = want[n][0]
            if key not in rec or len(rec[key]) != 8:
                check(False, "flow %d: no float64 element %s for %s" % (fid, key, n))
                continue
            got = struct.unpack(">d", rec[key])[0]
            check(same_float(got, val), "flow %d: %s = %r in IPFIX, %r in JSON" % (fid, n, got, val))
        if args.set == "zadnik":
            # zadnik's sp and rsp are the record's packet counts (doc/features/zadnik.md).
            check(uint(rec[(0, 2)]) == feats["sp"], "flow %d: packetDeltaCount != sp" % fid)
            check(uint(rec[(29305, 2)]) == feats["rsp"], "flow %d: reverse packets != rsp" % fid)
        if slot:
            check(rec[slot["Verdict"]][0] == LABEL_VERDICT[j["verdict"]], "flow %d: verdict" % fid)
            check(rec[slot["Label"]].decode() == j["verdict"], "flow %d: label" % fid)
            # JSON prints the score with 6 decimals.
            score = struct.unpack(">d", rec[slot["Score"]])[0]
            check(abs(score - j["score"]) <= 5e-7, "flow %d: score %r, JSON %r" %
                  (fid, score, j["score"]))
    check(len(d.records) > 0, "no data records")
    if args.subset:
        check(len(seen) == len(d.records), "%d IPFIX records of %d flows: some twice" %
              (len(d.records), len(seen)))
    else:
        check(seen == set(by_id) and len(d.records) == len(rows),
              "%d IPFIX records (%d flows), %d JSON lines" % (len(d.records), len(seen), len(rows)))

    # ipfixDump: the same records, names, integers and addresses; floats to its 8 digits.
    names_of = dict(IANA)
    names_of.update({k: v[0] for k, v in d.types.items()})
    dump = [r for r in parse_dump(args.dump) if (0, 148) in r[1]]
    check(len(dump) == len(d.records), "ipfixDump shows %d flow records, the decoder %d" %
          (len(dump), len(d.records)))
    for (tid, rec), (dtid, drec) in zip(d.records, dump):
        fid = uint(rec[(0, 148)])
        check(tid == dtid and set(rec) == set(drec), "flow %d: ipfixDump's fields differ" % fid)
        for key, raw in rec.items():
            if key not in drec:
                continue
            name, text = drec[key]
            check(name == names_of.get(key), "flow %d: ipfixDump names %s '%s', expected '%s'" %
                  (fid, key, name, names_of.get(key)))
            if key in ((0, 152), (0, 153), (0, 154), (0, 155)):
                ms = key in ((0, 152), (0, 153))
                sec = uint(raw) // 1000 if ms else (uint(raw) >> 32) - NTP_UNIX
                t = datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
                check(text.startswith(t), "flow %d: ipfixDump time %s, expected %s" % (fid, text, t))
            elif key in ((0, 8), (0, 12), (0, 27), (0, 28)):
                # ipfixDump writes IPv6 its own way ("::0001"): compared as addresses.
                check(ipaddress.ip_address(text) == ipaddress.ip_address(bytes(raw)),
                      "flow %d: ipfixDump address %s" % (fid, text))
            elif d.types.get(key, (None, None))[1] == 10:
                v = struct.unpack(">d", raw)[0]
                ok = (not math.isfinite(v) and text.lower() in ("nan", "-nan", "inf", "-inf")) or \
                    (math.isfinite(v) and abs(float(text) - v) <= 1e-7 * max(abs(v), 1e-300))
                check(ok, "flow %d: ipfixDump %s = %s, decoder %r" % (fid, name, text, v))
            elif d.types.get(key, (None, None))[1] == 13:
                check(text.endswith(") " + raw.decode()), "flow %d: ipfixDump %s" % (fid, text))
            else:
                check(int(text) == uint(raw), "flow %d: ipfixDump %s = %s" % (fid, name, text))

    for b in bad:
        print("ipfix_compare: " + b, file=sys.stderr)
    print("ipfix_compare: %d records, %d checks, %d differences" %
          (len(d.records), checked, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
