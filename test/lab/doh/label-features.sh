#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Turns one DoH-lab run into labelled training rows: doh:ip features of RUN/doh.pcap, labelled by
# client address (clients.csv). dnsdist health-check connections (labels.csv role=healthcheck) are
# labelled benign: they are the same in both classes (README.md, "How a label is produced").
# Usage: test/lab/doh/label-features.sh FLOWDX RUN_DIR OUT.csv
set -euo pipefail
flowdx=$1 run=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$flowdx" extract -q -f doh -r "$run/doh.pcap" -o "$tmp/flows.csv"
python3 - "$run" "$tmp/rules.csv" <<'PY'
import csv, sys
run, rules = sys.argv[1], sys.argv[2]
with open(rules, "w") as f:
    f.write("label,addr,peer,port,start,end\n")
    for c in csv.DictReader(open(run + "/labels.csv")):
        if c.get("role") == "healthcheck":  # first match wins: these come before the client rules
            f.write("benign,%s,,%s,%.6f,%.6f\n" % (c["src_ip"], c["src_port"], float(c["first_ts"]) - 0.001,
                                                    float(c["last_ts"]) + 0.001))
    for c in csv.DictReader(open(run + "/clients.csv")):
        f.write("%s,%s,,,,\n" % (c["label"], c["addr"]))
PY
"$flowdx" label -i "$tmp/flows.csv" -l "$tmp/rules.csv" -o "$out"
