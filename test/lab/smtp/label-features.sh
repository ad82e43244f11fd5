#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Turns one SMTP-lab run into labelled training rows: the features of RUN/smtp.pcap (zadnik, or the set -f names),
# labelled ham or spam by client address (every client address belongs to exactly one host and every host to one
# class; README.md, "How a label is produced"). Fails if any flow is left without a label.
# Usage: test/lab/smtp/label-features.sh [-f SET] FLOWDX RUN_DIR OUT.csv
set -euo pipefail
set_name=zadnik
if [ $# -ge 2 ] && [ "$1" = "-f" ]; then
  set_name=$2
  shift 2
fi
if [ $# -ne 3 ]; then
  sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
flowdx=$1 run=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$flowdx" extract -q -f "$set_name" -r "$run/smtp.pcap" -o "$tmp/flows.csv"
/usr/bin/python3 - "$run/clients.csv" "$tmp/rules.csv" <<'PY'
import csv, sys
with open(sys.argv[2], "w") as f:
    f.write("label,addr,peer,port,start,end\n")
    for c in csv.DictReader(open(sys.argv[1])):
        f.write("%s,%s/32,,,,\n" % (c["label"], c["addr"]))
PY
"$flowdx" label -i "$tmp/flows.csv" -l "$tmp/rules.csv" -o "$out"
flows=$(($(wc -l < "$tmp/flows.csv") - 1))
rows=$(($(wc -l < "$out") - 1))
if [ "$flows" -ne "$rows" ]; then
  echo "label-features.sh: $flows flows but $rows labelled rows: some flow has no client address of the run" >&2
  exit 1
fi
echo "label-features.sh: $rows labelled flows ($set_name) -> $out" >&2
