#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The SMTP lab (test/lab/smtp/) makes labelled captures at both receiving sites: a short run of each
# (40 s of traffic), every flow labelled, both classes present, nothing left behind, and the plan
# reproducible from the seed. Needs root and the lab's packages (.ci/run installs them); skipped
# (exit 77) otherwise. Usage: smtp_lab.sh FLOWDX TOP_DIR
set -uo pipefail
flowdx=$1
top=$2
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
need_root "the lab's network namespaces" postfix postgrey # test/lab/smtp/packages.txt
# Another lab run on this machine (a developer's) holds the fdxsmtp-* namespaces: wait for it, at most
# 10 minutes, rather than fail on its leftovers check.
for _ in $(seq 60); do ip netns list | grep -q '^fdxsmtp-' || break; sleep 10; done
if ip netns list | grep -q '^fdxsmtp-'; then
  echo "FAIL: fdxsmtp-* namespaces still exist after 10 minutes (another SMTP lab run?)"
  exit 1
fi
lab=$top/test/lab/smtp
for site in A B; do
  timeout 300 bash "$lab/run.sh" --site $site --seed 7 --duration 40 --out "$tmp/$site" > "$tmp/$site.log" 2>&1
  rc=$?
  check "site $site: run exits 0 (rc $rc)" test $rc -eq 0 || tail -20 "$tmp/$site.log"
  check "site $site: no namespace left" bash -c "! ip netns list | grep -q '^fdxsmtp-'"
  bash "$lab/label-features.sh" "$flowdx" "$tmp/$site" "$tmp/$site.csv" 2> "$tmp/$site.label"
  check "site $site: every flow labelled ($(tail -1 "$tmp/$site.label"))" test $? -eq 0
  check "site $site: both classes, 20 or more flows each" python3 -c '
import csv, sys, collections
c = collections.Counter(r["Label"] for r in csv.DictReader(open(sys.argv[1])))
print(dict(c)); assert c["ham"] >= 20 and c["spam"] >= 20
' "$tmp/$site.csv"
  # The MX's count of accepted messages per connection agrees with the client's own record of how the
  # session ended: its DATA accepted (the direct sender's data-accepted, a bot's data-250) means 1 or more,
  # a bot that gave up after a 4xx or dropped after the greeting means 0. A connection still open when the
  # run tears the MX down (its last packet within 5 s of the capture's end) may have no disconnect line;
  # of the others, at most 2 % may lack one.
  check "site $site: mx_messages agrees with the clients' records" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
end = max(float(r["last_ts"]) for r in rows)
missing = [r for r in rows if r["mx_messages"] == "" and float(r["last_ts"]) < end - 5]
cut = [r for r in rows if r["mx_messages"] == "" and float(r["last_ts"]) >= end - 5]
assert len(missing) <= len(rows) // 50, ("no MX line", len(missing), len(rows))
assert len(cut) <= 20, ("no MX line at the end", len(cut))
bad = [(r["src_ip"], r["src_port"], r["outcome"], r["mx_messages"]) for r in rows if r["mx_messages"] != "" and (
    (r["outcome"] in ("data-accepted", "data-250") and int(r["mx_messages"]) < 1) or
    (r["outcome"] in ("gave-up-4xx", "aborted-after-banner") and int(r["mx_messages"]) != 0))]
assert not bad, bad[:5]
print(len(rows), "connections,", len(missing), "without an MX line,", len(cut), "more open at the end")
' "$tmp/$site/labels.csv"
  # label-features.sh -m with / -m without split the labelled flows in two: together exactly those with an MX
  # record, and no flow in both.
  bash "$lab/label-features.sh" -m with "$flowdx" "$tmp/$site" "$tmp/$site.with.csv" 2>/dev/null &&
    bash "$lab/label-features.sh" -m without "$flowdx" "$tmp/$site" "$tmp/$site.without.csv" 2>/dev/null
  check "site $site: -m with and -m without split the flows" python3 -c '
import csv, sys
key = lambda p: {(r["src_addr"], r["src_port"]) for r in csv.DictReader(open(p))}
a, w, n = key(sys.argv[1]), key(sys.argv[2]), key(sys.argv[3])
assert w and n and not (w & n) and (w | n) <= a, (len(a), len(w), len(n))
no_mx = {(r["src_ip"], r["src_port"]) for r in csv.DictReader(open(sys.argv[4])) if r["mx_messages"] == ""}
assert a - (w | n) == a & no_mx, (len(a), len(w), len(n), len(no_mx))
' "$tmp/$site.csv" "$tmp/$site.with.csv" "$tmp/$site.without.csv" "$tmp/$site/labels.csv"
  # errors.py judges the run with the shipped model and finds every judged flow in the lab's records.
  /usr/bin/python3 "$lab/errors.py" --flowdx "$flowdx" --model "$top/conf/models/spam.fdxm" "$tmp/$site" \
    > "$tmp/$site.errors" 2>&1
  check "site $site: errors.py labels every judged flow ($(head -1 "$tmp/$site.errors"))" python3 -c '
import sys
head = open(sys.argv[1]).readline().split()
assert head[1] == "flows", head
rows = sum(1 for _ in open(sys.argv[2])) - 1
assert int(head[0]) == rows, (head[0], rows)
' "$tmp/$site.errors" "$tmp/$site.csv"
  # strata.py: its strata partition the flows that have an MX record (message or not; with a message, the
  # host uses STARTTLS or not), and those are all the labelled flows but the ones it counts as left out.
  cp "$tmp/$site.csv" "$tmp/$site/zadnik.csv"
  /usr/bin/python3 "$lab/strata.py" --folds 3 "$tmp/$site" > "$tmp/$site.strata" 2>&1
  check "site $site: strata.py partitions the flows ($(head -1 "$tmp/$site.strata" | cut -c1-60))" python3 -c '
import re, sys
lines = open(sys.argv[1]).read().splitlines()
n, left = map(int, re.match(r"(\d+) flows \(\d+ ham\), (\d+) left out", lines[0]).groups())
assert n + left == sum(1 for _ in open(sys.argv[2])) - 1, (n, left)
flows = {l[:22].strip(): int(l[22:].split()[0]) for l in lines[2:]}
assert flows["all flows"] == n, flows
assert flows["a message accepted"] + flows["no message"] == n, flows
assert flows["host uses STARTTLS"] + flows["host does not"] == flows["a message accepted"], flows
' "$tmp/$site.strata" "$tmp/$site.csv"
  /usr/bin/python3 "$lab/lab.py" plan --site $site --seed 7 --duration 40 --out "$tmp/$site.plan"
  check "site $site: the plan is the seed's" cmp -s "$tmp/$site.plan" "$tmp/$site/plan.json"
done
finish
