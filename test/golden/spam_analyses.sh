#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The spam paper's analyses on the bundled SMTP-lab data (samples/spam/lab/): the importance ranking, the
# universal set of sites A and B, the spam subclass table, rules of a tree of the shipped ensemble, and
# their SVG charts parse as XML. (The numbers themselves are checked on hand-made data in test_analyze.)
# Usage: spam_analyses.sh FLOWDX TOP_DIR
set -uo pipefail
flowdx=$1
cd "$2"
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
l=samples/spam/lab
cat $l/site-A-seed1.csv > "$tmp/A.csv"; tail -n +2 $l/site-A-seed2.csv >> "$tmp/A.csv"
cat $l/site-B-seed1.csv > "$tmp/B.csv"; tail -n +2 $l/site-B-seed2.csv >> "$tmp/B.csv"

"$flowdx" analyze importance -i "$tmp/A.csv" --top 10 --svg "$tmp/imp.svg" > "$tmp/imp.txt" 2>&1
check "importance: ranked table, the first at 100" grep -Eq '^ +1  [a-z0-9]+ +100\.00' "$tmp/imp.txt"
"$flowdx" analyze universal -a "$tmp/A.csv" -b "$tmp/B.csv" --output-list "$tmp/u.txt" > "$tmp/u.out" 2>&1
check "universal: pairs and a list of request/response twins" python3 -c '
import sys
names = [l.strip() for l in open(sys.argv[1]) if l.strip()]
assert names and len(names) % 2 == 0, names
for n in names:
    twin = n[1:] if n.startswith("r") and n[1:] in names else "r" + n
    assert twin in names, (n, names)
' "$tmp/u.txt"
"$flowdx" analyze subclasses -i $l/site-A-seed1.csv --k 2..8 --folds 5 --svg-prefix "$tmp/sub" \
    > "$tmp/sub.txt" 2> /dev/null
check "subclasses: the per-k table and the chosen k" grep -q '^chosen k = [2-8]:' "$tmp/sub.txt"
check "subclasses: the subclass table and the separating tree's rules" \
    bash -c "grep -q '^subclass  *rows  *share' '$tmp/sub.txt' && grep -q '^if .* then ' '$tmp/sub.txt'"
"$flowdx" analyze rules -m conf/models/spam.fdxm --model weighted-trees --index 0 > "$tmp/rules.txt" 2>&1
check "rules of the shipped ensemble's first tree" grep -Eq '^if .* then (spam|ham) \(n=' "$tmp/rules.txt"
check "the charts are well-formed SVG" python3 -c '
import sys, xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    assert ET.parse(f).getroot().tag.endswith("svg"), f
print(len(sys.argv) - 1, "charts")
' "$tmp/imp.svg" "$tmp"/sub-*.svg
finish
