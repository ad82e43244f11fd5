#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Turns one SMTP-lab run into labelled training rows: the features of RUN/smtp.pcap (zadnik, or the set -f names),
# labelled ham or spam by client address (every client address belongs to exactly one host and every host to one
# class; README.md, "How a label is produced"). Fails if any flow is left without a label. With -m with (or
# without), keeps only the flows of connections on which the MX accepted a message (or none): labels.csv's
# mx_messages; flows it does not know are dropped, and counted.
# Usage: test/lab/smtp/label-features.sh [-f SET] [-m with|without] FLOWDX RUN_DIR OUT.csv
set -euo pipefail
set_name=zadnik
messages=
while [ $# -ge 2 ] && { [ "$1" = "-f" ] || [ "$1" = "-m" ]; }; do
  case $1 in
    -f) set_name=$2 ;;
    -m) messages=$2
        [ "$messages" = with ] || [ "$messages" = without ] || { echo "label-features.sh: -m takes with or without, not '$2'" >&2; exit 2; } ;;
  esac
  shift 2
done
if [ $# -ne 3 ]; then
  sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//' >&2
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
if [ -n "$messages" ]; then
  /usr/bin/python3 - "$run/labels.csv" "$out" "$messages" <<'PY'
import csv, os, sys
labels, path, want = sys.argv[1:]
mx = {(r["src_ip"], r["src_port"]): r.get("mx_messages", "") for r in csv.DictReader(open(labels))}
if all(v == "" for v in mx.values()):
    sys.exit("label-features.sh: %s has no mx_messages (a run made before the lab recorded it)" % labels)
with open(path, newline="") as f:
    rd = csv.reader(f)
    head = next(rd)
    if "src_addr" not in head or "src_port" not in head:
        sys.exit("label-features.sh: -m needs the src_addr and src_port columns; this set has none")
    a, p = head.index("src_addr"), head.index("src_port")
    rows = list(rd)
keep, unknown = [], 0
for r in rows:
    n = mx.get((r[a], r[p]), "")
    if n == "":
        unknown += 1
    elif (int(n) > 0) == (want == "with"):
        keep.append(r)
with open(path + ".tmp", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(head)
    w.writerows(keep)
os.replace(path + ".tmp", path)
print("label-features.sh: -m %s: kept %d of %d flows (%d with no MX record dropped)"
      % (want, len(keep), len(rows), unknown), file=sys.stderr)
PY
  rows=$(($(wc -l < "$out") - 1))
fi
echo "label-features.sh: $rows labelled flows ($set_name) -> $out" >&2
