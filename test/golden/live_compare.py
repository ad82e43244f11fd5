#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compares the JSON lines of flowdx run -i (a replay) with flowdx run -r on the same capture.

Flows are matched by 5-tuple (and order of start within one 5-tuple). Required: the same flows,
the same final verdict for each, and equal values of every feature that does not depend on packet
timing (all of them with --all-features, for the zadnik set, which has none). Timing features
(names with Time, Duration or Rate) differ by the replay: tcpreplay adds about 3 us to every gap
between packets and is late by milliseconds when preempted, and the DoH set's response-time
statistics are built from gaps of a few microseconds; their largest relative difference and the
largest score difference are printed, not judged. So the models' own per-flow vote (flow_verdict)
may differ, on at most a sixth of the flows (at least one; 0 to 3 of the 34 DoH flows in the runs so
far, mostly the same three), and only on a flow whose timing features differ: the final verdict,
decided per client-resolver pair, must not.
Also: --count FILE prints the number of packets in a pcap file."""
import json
import struct
import sys


def count(path):
    data = open(path, "rb").read()
    e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    n, off = 0, 24
    while off + 16 <= len(data):
        off += 16 + struct.unpack(e + "I", data[off + 8:off + 12])[0]
        n += 1
    return n


def load(path):
    flows = {}
    for line in open(path):
        o = json.loads(line)
        flows.setdefault((o["src_addr"], o["src_port"], o["dst_addr"], o["dst_port"]), []).append(o)
    for v in flows.values():
        v.sort(key=lambda o: o["start_us"])
    return flows


def timing(name):
    return any(w in name for w in ("Time", "Duration", "Rate"))


def main(argv):
    if argv[1] == "--count":
        print(count(argv[2]))
        return 0
    all_features = argv[1] == "--all-features"
    ref, live = load(argv[-2]), load(argv[-1])
    problems = []
    if sorted(ref) != sorted(live):
        problems.append("flows only in -r: %s; only live: %s"
                        % (sorted(set(ref) - set(live)), sorted(set(live) - set(ref))))
    n = agree = 0
    score_diff = 0.0
    time_diff = {}
    jury = []  # flows whose final verdicts agree but the models' votes do not
    for key in sorted(set(ref) & set(live)):
        if len(ref[key]) != len(live[key]):
            problems.append("%s: %d records in -r, %d live" % (key, len(ref[key]), len(live[key])))
        for a, b in zip(ref[key], live[key]):
            n += 1
            same = a["verdict"] == b["verdict"] and a["flow_verdict"] == b["flow_verdict"]
            agree += same
            if a["verdict"] != b["verdict"]:
                problems.append("%s: verdict %s in -r, %s live" % (key, a["verdict"], b["verdict"]))
            elif not same:
                jury.append((key, a, b))
            score_diff = max(score_diff, abs(a["score"] - b["score"]))
            for name, x in a["features"].items():
                y = b["features"].get(name, "missing")
                if x == y:
                    continue
                if timing(name) and not all_features and x is not None and y is not None:
                    rel = abs(x - y) / max(abs(x), abs(y))
                    time_diff[name] = max(time_diff.get(name, 0.0), rel)
                else:
                    problems.append("%s: %s = %s in -r, %s live" % (key, name, x, y))
    verdicts = {}
    for v in ref.values():
        for o in v:
            verdicts[o["verdict"]] = verdicts.get(o["verdict"], 0) + 1
    print("%d flows compared (-r verdicts: %s), %d with the same verdicts, largest score "
          "difference %.3f" % (n, verdicts, agree, score_diff))
    if time_diff:
        print("timing features, largest relative difference: " +
              ", ".join("%s %.3f" % t for t in sorted(time_diff.items(), key=lambda t: -t[1])))
    for key, a, b in jury:
        timed = [n for n in a["features"] if timing(n) and a["features"][n] != b["features"][n]]
        print("models' vote differs: %s: %s (score %.2f) in -r, %s (score %.2f) live; final verdict "
              "%s in both; %d timing features differ" % (key, a["flow_verdict"], a["score"],
                                                        b["flow_verdict"], b["score"], a["verdict"],
                                                        len(timed)))
        if not timed or all_features:
            problems.append("%s: the models' vote differs without a timing difference" % (key,))
    if len(jury) > max(1, n // 6):
        problems.append("the models' vote differs on %d of %d flows" % (len(jury), n))
    for p in problems[:20]:
        print("DIFFERENT: " + p)
    return 1 if problems or n == 0 else 0


sys.exit(main(sys.argv))
