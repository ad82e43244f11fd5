#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks flow records against a capture as tshark reads it: the JSON lines that `flowdx collect`
wrote from softflowd's records of the capture (--collected), or the CSV of `flowdx extract -f
flowrec` of it (--extracted). Expected values come from tshark, per 5-tuple (one conversation):

- packets per direction; TCP flags ORed per direction;
- collected: octets as softflowd counts them, the wire length from the IP header on (frame
  length less the link header: Ethernet padding included; softflowd.c, ipv4_to_flowrec); no
  lengths or TTLs (null), duration within 2 ms (softflowd stamps in whole milliseconds);
  verdicts of the spam detector exactly on TCP flows to 25, 465 and 587 that have packets in
  both directions;
- extracted: IP bytes (IPv4 total length; IPv6 40 + payload length), smallest and largest IP
  length and TTL, duration within 1 us;
- the initiator (src): the sender of a SYN without ACK when there is one (extracted), else the
  side not on a port below 1024, else (extracted) the sender of the first packet; collected
  records of a flow without either keep the exporter's order, and either side is accepted.
A direction without packets has 0 packets, 0 bytes, flags 0 and null lengths (a one-way flow:
the collector's --unpaired zero, and what the engine does).

Usage: collect_check.py CAPTURE (--collected JSONL [--no-ipv6] | --extracted CSV)
Exit 0 when everything matches (a summary on stdout), 1 with the differences on stderr."""
import csv
import json
import math
import subprocess
import sys

FIELDS = ["frame.time_epoch", "frame.len", "frame.encap_type", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "ip.len", "ipv6.plen", "ip.ttl", "ipv6.hlim", "ip.proto", "ipv6.nxt", "tcp.srcport",
          "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.flags", "ip.frag_offset"]
SPAM_PORTS = (25, 465, 587)


def conversations(capture):
    out = subprocess.run(["tshark", "-r", capture, "-n", "-T", "fields", "-E", "separator=|",
                          "-E", "occurrence=f"] + sum([["-e", f] for f in FIELDS], []),
                         check=True, capture_output=True, text=True).stdout
    conv = {}
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("|")))
        layers = v["frame.protocols"].split(":")
        l3 = [x for x in layers if x in ("ip", "ipv6")]
        if not l3:
            continue  # not IP
        # the link header softflowd skips: Ethernet 14 and 4 per VLAN tag; Linux cooked 16
        link = {"1": 14 + 4 * layers.count("vlan"), "25": 16}.get(v["frame.encap_type"])
        if link is None:
            raise SystemExit("collect_check.py: link type %s is not handled" % v["frame.encap_type"])
        six = l3[0] == "ipv6"
        src, dst = (v["ipv6.src"], v["ipv6.dst"]) if six else (v["ip.src"], v["ip.dst"])
        proto = int(v["ipv6.nxt"] if six else v["ip.proto"])
        ports = proto in (6, 17)  # an ICMP error's quoted header is not this packet's
        sp = int(v["tcp.srcport"] or v["udp.srcport"] or 0) if ports else 0
        dp = int(v["tcp.dstport"] or v["udp.dstport"] or 0) if ports else 0
        iplen = 40 + int(v["ipv6.plen"]) if six else int(v["ip.len"])
        ttl = int(v["ipv6.hlim"] if six else v["ip.ttl"])
        flags = int(v["tcp.flags"], 16) if v["tcp.flags"] and proto == 6 else 0
        key = (proto,) + tuple(sorted([(src, sp), (dst, dp)]))
        c = conv.setdefault(key, {"six": six, "proto": proto, "first": (src, sp), "syn": None,
                                  "dirs": {}, "t0": None, "t1": None})
        t = float(v["frame.time_epoch"])
        c["t0"] = t if c["t0"] is None else min(c["t0"], t)
        c["t1"] = t if c["t1"] is None else max(c["t1"], t)
        if proto == 6 and flags & 0x12 == 0x02 and c["syn"] is None:
            c["syn"] = (src, sp)
        d = c["dirs"].setdefault((src, sp), {"packets": 0, "ipbytes": 0, "wire": 0, "flags": 0,
                                            "len": [], "ttl": []})
        d["packets"] += 1
        d["ipbytes"] += iplen
        d["wire"] += int(v["frame.len"]) - link
        d["flags"] |= flags
        d["len"].append(iplen)
        d["ttl"].append(ttl)
    return conv


def initiators(key, c, strict):
    """The endpoints accepted as the initiator of conversation @key."""
    ends = [key[1], key[2]]
    if strict and c["syn"] is not None:
        return [c["syn"]]
    low = [e for e in ends if 0 < e[1] < 1024]
    if len(low) == 1:
        return [e for e in ends if e != low[0]]
    return [c["first"]] if strict else ends


def main():
    capture, mode, path = sys.argv[1], sys.argv[2], sys.argv[3]
    no_v6 = "--no-ipv6" in sys.argv[4:]
    conv = {k: c for k, c in conversations(capture).items() if not (no_v6 and c["six"])}
    errors = []

    def want(ok, what):
        if not ok and len(errors) < 30:
            errors.append(what)

    if mode == "--collected":
        rows = []
        for line in open(path):
            o = json.loads(line)
            rows.append({"src": (o["src_addr"], o["src_port"]), "dst": (o["dst_addr"], o["dst_port"]),
                         "proto": o["proto"], "f": o["features"], "verdicts": o["verdicts"]})
    else:
        rows = []
        for r in csv.DictReader(open(path)):
            f = {k: (None if r[k] in ("NaN", "") else float(r[k])) for k in r
                 if k not in ("src_addr", "dst_addr", "end_reason")}
            rows.append({"src": (r["src_addr"], int(r["src_port"])),
                         "dst": (r["dst_addr"], int(r["dst_port"])), "proto": int(r["proto"]),
                         "f": f, "verdicts": None})
    collected = mode == "--collected"
    by_key = {}
    for r in rows:
        key = (r["proto"],) + tuple(sorted([r["src"], r["dst"]]))
        by_key.setdefault(key, []).append(r)
    want(set(by_key) == set(conv), "5-tuples: %d in the records, %d in the capture; only records: %s; "
         "only capture: %s" % (len(by_key), len(conv), sorted(set(by_key) - set(conv))[:3],
                               sorted(set(conv) - set(by_key))[:3]))
    checked = split = judged = 0
    for key, c in sorted(conv.items()):
        rs = by_key.get(key, [])
        if len(rs) != 1:
            split += 1  # the engine cut this 5-tuple into several flows: not compared
            want(not collected, "%s: %d collected records" % (key, len(rs)))
            continue
        r = rs[0]
        checked += 1
        want(r["src"] in initiators(key, c, not collected), "%s: initiator %s" % (key, r["src"]))
        f = r["f"]
        for prefix, end in (("", r["src"]), ("r", r["dst"])):
            d = c["dirs"].get(end, {"packets": 0, "ipbytes": 0, "wire": 0, "flags": 0, "len": [],
                                    "ttl": []})
            want(f[prefix + "packets"] == d["packets"], "%s %spackets %s, capture %d" %
                 (key, prefix, f[prefix + "packets"], d["packets"]))
            want(f[prefix + "bytes"] == (d["wire"] if collected else d["ipbytes"]),
                 "%s %sbytes %s, capture %d" % (key, prefix, f[prefix + "bytes"],
                                                 d["wire"] if collected else d["ipbytes"]))
            flags = d["flags"] if c["proto"] == 6 else None
            want(f[prefix + "tcp_flags"] == flags, "%s %stcp_flags %s, capture %s" %
                 (key, prefix, f[prefix + "tcp_flags"], flags))
            for name, vals in (("len", d["len"]), ("ttl", d["ttl"])):
                lo = None if collected or not vals else min(vals)
                hi = None if collected or not vals else max(vals)
                want(f[prefix + "min_" + name] == lo and f[prefix + "max_" + name] == hi,
                     "%s %smin/max_%s %s %s, capture %s %s" % (key, prefix, name,
                                                             f[prefix + "min_" + name],
                                                             f[prefix + "max_" + name], lo, hi))
        dur = c["t1"] - c["t0"]
        want(abs(f["duration"] - dur) <= (0.002 if collected else 1e-6),
             "%s duration %s, capture %.6f" % (key, f["duration"], dur))
        if collected:
            # judged: TCP to a spam port with packets both ways (a flow without an answer is
            # not judged unless --judge-one-way; tshark's count of the responder's packets)
            answered = c["dirs"].get(r["dst"], {"packets": 0})["packets"] > 0
            spam = c["proto"] == 6 and r["dst"][1] in SPAM_PORTS and answered
            v = r["verdicts"].get("spam")
            judged += v is not None
            want((v is not None) == spam, "%s: verdict %s" % (key, v))
            want(v is None or v["verdict"] in ("benign", "malicious", "uncertain"),
                 "%s: verdict %s" % (key, v))
    want(checked > 0 and checked >= 0.8 * len(conv), "only %d of %d flows compared" %
         (checked, len(conv)))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    print("%d flows equal to the capture's (%d 5-tuples cut into several flows, not compared); "
          "%d judged" % (checked, split, judged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
