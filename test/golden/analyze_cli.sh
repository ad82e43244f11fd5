#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx analyze and flowdx report senders on hand-made data: outputs, charts and refusals.
# Usage: analyze_cli.sh FLOWDX PYTHON3
set -uo pipefail
flowdx=$1
python=$2
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
# run EXPECTED_STATUS ARGS...: output and messages in $tmp/out, $tmp/err
run() {
    local want=$1
    shift
    "$flowdx" "$@" > "$tmp/out" 2> "$tmp/err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "  flowdx $*: exit $rc, expected $want; stderr:"
        sed 's/^/    /' "$tmp/err"
        return 1
    fi
}
has() { grep -qF -- "$1" "$2"; }
well_formed() { "$python" -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"; }

# The eight rows of test_analyze.c's importance test: x0 splits first (decrease 2.25), then x1
# (1.5); x2 is constant. Importance 100, 66.67 and 0 (scikit-learn 1.2.1: shares 0.6, 0.4, 0).
cat > "$tmp/imp.csv" <<'CSV'
flow_id,src_addr,x0,x1,x2,Label
1,10.0.0.1,0,1,7,ham
2,10.0.0.1,0,2,7,ham
3,10.0.0.1,0,3,7,ham
4,10.0.0.1,0,4,7,spam
5,10.0.0.1,1,1,7,spam
6,10.0.0.1,1,2,7,spam
7,10.0.0.1,1,3,7,spam
8,10.0.0.1,1,4,7,spam
CSV

# ---- importance ----
run 0 analyze importance -q -i "$tmp/imp.csv" --min-leaf 1 --svg "$tmp/imp.svg"
check "importance: x0 first at 100" has "   1  x0          100.00   60.00%" "$tmp/out"
check "importance: x1 second at 66.67" has "   2  x1           66.67   40.00%" "$tmp/out"
check "importance: x2 unused" has "1 of 3 features are used by no split" "$tmp/out"
check "importance: bar chart is XML" well_formed "$tmp/imp.svg"
run 0 analyze importance -q -i "$tmp/imp.csv" --min-leaf 1 --json --top 2
check "importance --json --top 2: two ranked features" "$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
imp = d["importance"]
assert [r["feature"] for r in imp] == ["x0", "x1"], imp
assert imp[0]["importance"] == 100 and abs(imp[1]["importance"] - 200 / 3) < 1e-9, imp
assert d["data"]["rows"] == 8 and d["tree"]["leaves"] == 3, d' "$tmp/out"
# At least 4 rows a leaf allow one split only, x0 (3:1 left, 4 right); the default of 5 none.
run 0 analyze importance -q -i "$tmp/imp.csv" --min-leaf 4
check "importance: min leaf 4 gives one split" has "2 of 3 features are used by no split" "$tmp/out"
run 0 analyze importance -q -i "$tmp/imp.csv"
check "importance: min leaf 5 gives no split" has "3 of 3 features are used by no split" "$tmp/out"

# ---- tree and rules ----
run 0 analyze tree -q -i "$tmp/imp.csv" --min-leaf 1
printf '%s\n' "if x0 <= 0.5 and x1 <= 3.5 then ham (n=3, p=1.000)" \
    "if x0 <= 0.5 and x1 > 3.5 then spam (n=1, p=1.000)" \
    "if x0 > 0.5 then spam (n=4, p=1.000)" > "$tmp/rules.want"
grep '^if ' "$tmp/out" > "$tmp/tree.rules"
check "tree: rules of the hand-computed tree" cmp -s "$tmp/tree.rules" "$tmp/rules.want"
# A model's tree was trained on scaled inputs; its rules come back in the features' own units.
"$flowdx" train -q -i "$tmp/imp.csv" -o "$tmp/m.fdxm" --model tree --folds 2 > /dev/null 2>&1
run 0 analyze rules -m "$tmp/m.fdxm"
grep '^if ' "$tmp/out" > "$tmp/model.rules"
check "rules: the model's tree reads like the grown one" cmp -s "$tmp/model.rules" "$tmp/rules.want"
run 0 analyze rules -m "$tmp/m.fdxm" --json
check "rules --json parses, three leaves" "$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["rules"]) == 3 and d["rules"][2]["if"] == [{"feature": "x0", "op": ">", "value": 0.5}], d' "$tmp/out"
run 1 analyze rules -m "$tmp/m.fdxm" --model forest
check "rules: a model without a forest" has "no forest model (it holds: tree)" "$tmp/err"
run 2 analyze rules -m "$tmp/m.fdxm" --index 1
check "rules: a tree has only index 0" has "--index: a tree model has one tree" "$tmp/err"
run 2 analyze rules -m "$tmp/m.fdxm" --model knn
check "rules: knn is not a tree" has "'knn' is not a tree model" "$tmp/err"
# The spam detector's ensemble (weighted-trees): tree N with its accuracy weight. Its trees are
# grown on bootstrap samples, so only the shape of the output is checked. Six copies of the rows
# leave enough for the ensemble's validation share.
{ head -1 "$tmp/imp.csv"; for i in 1 2 3 4 5 6; do tail -n +2 "$tmp/imp.csv"; done; } > "$tmp/imp6.csv"
"$flowdx" train -q -i "$tmp/imp6.csv" -o "$tmp/w.fdxm" --model weighted-trees \
    --params wtrees.trees=3 --folds 2 > /dev/null 2>&1
run 0 analyze rules -m "$tmp/w.fdxm" --model weighted-trees --index 2
check "rules: a weighted tree with its weight" has "weighted-trees, tree 2 of 0..2 (accuracy weight 0." "$tmp/out"
check "rules: the weighted tree's rules" grep -q '^if x[01] ' "$tmp/out"
run 2 analyze rules -m "$tmp/w.fdxm" --model weighted-trees --index 3
check "rules: a weighted tree index out of range" has "has trees 0 to 2, not 3" "$tmp/err"
run 1 analyze rules -m "$tmp/imp.csv"
check "rules: a CSV is not a model, named" has "$tmp/imp.csv" "$tmp/err"

# ---- universal ----
# A: sp = x0, rsp = x1, spl = x2: gA 100, 66.67, 0. B swaps sp and rsp, and has a column A lacks:
# gB(sp) = 66.67, gB(rsp) = 100. g(sp, rsp) = (100 + 100) / 2 = 100; spl has no twin: g = 0.
sed '1s/.*/flow_id,src_addr,sp,rsp,spl,Label/' "$tmp/imp.csv" > "$tmp/a.csv"
awk -F, -v OFS=, 'NR == 1 { print "flow_id,src_addr,sp,rsp,spl,extra,Label"; next }
                  { print $1, $2, $4, $3, $5, 0, $6 }' "$tmp/imp.csv" > "$tmp/b.csv"
run 0 analyze universal -q -a "$tmp/a.csv" -b "$tmp/b.csv" --min-leaf 1 --output-list "$tmp/list"
check "universal: the pair's row" has "sp  rsp   100.00   66.67   66.67  100.00  100.00  yes" "$tmp/out"
check "universal: spl alone, not kept" has "spl -       0.00       -    0.00       -    0.00  no" "$tmp/out"
check "universal: B's extra column is left out" has "features only in B, left out (1): extra" "$tmp/out"
check "universal: last line is the list" test "$(tail -1 "$tmp/out")" = "sp,rsp"
check "universal: --output-list, one per line" test "$(cat "$tmp/list")" = "$(printf 'sp\nrsp')"
run 0 analyze universal -q -a "$tmp/a.csv" -b "$tmp/b.csv" --min-leaf 1 --json
check "universal --json parses" "$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["features"] == ["sp", "rsp"] and d["pairs"][1]["rf"] is None, d' "$tmp/out"
# The list is what flowdx train --features @FILE reads.
"$flowdx" train -q -i "$tmp/a.csv" -o "$tmp/u.fdxm" --model tree --feature-set zadnik --folds 2 --features "@$tmp/list" \
    > /dev/null 2> "$tmp/err"
check "universal list trains a model on those inputs" \
    bash -c "'$flowdx' model show '$tmp/u.fdxm' | grep -q '^inputs (2,'"
# --exclude @FILE reads the same format: leaving out sp (a comment, a blank line and sp) keeps rsp and
# spl, 2 inputs of the 3.
printf '# one name per line\n\nsp  # the comment goes\n' > "$tmp/drop"
"$flowdx" train -q -i "$tmp/a.csv" -o "$tmp/x.fdxm" --model tree --feature-set zadnik --folds 2 --corr-threshold 1 \
    --exclude "@$tmp/drop" > /dev/null 2> "$tmp/err"
"$flowdx" model show "$tmp/x.fdxm" > "$tmp/show"
check "--exclude @FILE: 2 inputs, sp excluded" \
    bash -c "grep -q '^inputs (2,' '$tmp/show' && grep -q 'excluded sp\$' '$tmp/show' && ! grep -q '^  sp ' '$tmp/show'"
# list_refused OPTION LINES TITLE MESSAGE: train with OPTION @FILE, FILE holding LINES (printf's
# format), is refused with exit 2 and "OPTION: FILE:MESSAGE" on standard error.
list_refused() {
    printf "$2" > "$tmp/drop"
    "$flowdx" train -q -i "$tmp/a.csv" -o "$tmp/x.fdxm" --model tree --feature-set zadnik "$1" "@$tmp/drop" \
        > /dev/null 2> "$tmp/err"
    check "$3" bash -c '[ "$1" -eq 2 ] && grep -qF -- "$2" "$3"' _ $? "$1: $tmp/drop:$4" "$tmp/err"
}
list_refused --exclude 'sp,rsp\n' "--exclude @FILE with a comma: exit 2, file and line named" \
    "1: one name per line"
# A name the data does not have: the file's line (3: after a comment and a blank line).
list_refused --exclude '# names\n\nnosuch  # a typo\n' \
    "--exclude @FILE with an unknown name: exit 2, file and line named" \
    "3: the data has no feature named 'nosuch'"
list_refused --features 'sp\nno*\n' "--features @FILE with an unknown prefix: exit 2, file and line named" \
    "2: the data has no feature starting with 'no'"
# A prefix line and an exact line for the same name: the message's kind picks the line ("s*" on line 1
# matches sp and spl, the exact "s" on line 2 matches nothing); a name with a quote in it; CRLF line
# ends; two names on a line.
list_refused --features 's*\ns\n' "--features @FILE: the exact name's line, not the prefix's" \
    "2: the data has no feature named 's'"
list_refused --features "sp\r\nno'pe\r\n" "--features @FILE: a quote in the name, CRLF: line 2" \
    "2: the data has no feature named 'no'pe'"
list_refused --features 'sp rsp\n' "--features @FILE with two names on a line: exit 2, located" \
    "1: one name per line"
# The list selects features for the other analyses.
run 0 analyze importance -q -i "$tmp/a.csv" --min-leaf 1 --features "$(paste -sd, "$tmp/list")"
check "importance --features: two features" has "data: $tmp/a.csv: 8 rows, 2 features" "$tmp/out"

# ---- subclasses ----
# Twelve spam rows in three tight groups around 0, 100 and 200 (four each), two ham rows.
{
    echo "a,b,Label"
    for c in 0 100 200; do for i in 0 1 2 3; do awk "BEGIN { print $c + $i * 0.5 \",5,spam\" }"; done; done
    printf '50,1,ham\n150,1,ham\n'
} > "$tmp/sub.csv"
run 0 analyze subclasses -q -i "$tmp/sub.csv" --k 1..4 --folds 4 --min-leaf 1 --svg-prefix "$tmp/s"
check "subclasses: k = 3" has "chosen k = 3" "$tmp/out"
check "subclasses: first group is subclass 1" has "if a <= 50.75 then subclass 1 (n=4, p=1.000)" "$tmp/out"
for f in cv profiles densities; do
    check "subclasses: $f chart is XML" well_formed "$tmp/s-$f.svg"
done
# The charts' limits (42 subclasses, 64 density panels) are refused before any work: no chart
# is written, not even the cost chart that comes first.
run 2 analyze subclasses -q -i "$tmp/sub.csv" --k 1..43 --svg-prefix "$tmp/lim"
check "subclasses: --k beyond the charts' 42 subclasses, refused first" bash -c \
    "grep -qF 'at most 42 subclasses' '$tmp/err' && ! ls '$tmp'/lim-* 2> /dev/null"
run 2 analyze subclasses -q -i "$tmp/sub.csv" --k 1..4 --top 65 --svg-prefix "$tmp/lim"
check "subclasses: --top beyond the 64 density panels, refused first" bash -c \
    "grep -qF 'at most 64 features; --top is 65' '$tmp/err' && ! ls '$tmp'/lim-* 2> /dev/null"
run 0 analyze subclasses -q -i "$tmp/sub.csv" --k 1..4 --folds 4 --json
check "subclasses --json parses" "$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["k"] == 3 and [s["rows"] for s in d["subclasses"]] == [4, 4, 4], d' "$tmp/out"

# ---- refusals ----
run 2 analyze
check "analyze without a subcommand: usage" has "Usage: flowdx analyze SUBCOMMAND" "$tmp/err"
run 2 analyze nosuch
check "unknown subcommand" has "unknown subcommand 'nosuch'" "$tmp/err"
run 2 analyze importance
check "importance without -i" has "-i DATA is required" "$tmp/err"
run 2 analyze importance -i "$tmp/imp.csv" --k 3
check "an option of another subcommand" has "--k is not an option of this subcommand" "$tmp/err"
run 2 analyze universal -a "$tmp/a.csv" -i "$tmp/a.csv"
check "-i is not universal's" has "-i is not an option of this subcommand" "$tmp/err"
run 2 analyze subclasses -i "$tmp/sub.csv" --k 5..2
check "an empty k range" has "the range is empty" "$tmp/err"
run 2 analyze universal -a "$tmp/a.csv" -b "$tmp/b.csv" --threshold 101
check "threshold above 100" has "--threshold: 101 is not within 0 to 100" "$tmp/err"
run 1 analyze importance -i "$tmp/missing.csv"
check "missing file, named" has "$tmp/missing.csv: No such file" "$tmp/err"
printf 'x0,x1,Label\n1,2,ham\n3,abc,spam\n' > "$tmp/bad.csv"
run 1 analyze importance -i "$tmp/bad.csv"
check "bad cell: file, line and column" has "$tmp/bad.csv:3: column 'x1': 'abc' is not a number" "$tmp/err"
run 1 analyze subclasses -i "$tmp/sub.csv" --class phish
check "unknown class lists the classes" has "no class 'phish' (its classes: 'ham' 'spam')" "$tmp/err"
run 2 analyze subclasses -i "$tmp/sub.csv" --k 2..12 --folds 4
check "too few rows for the folds and k" has "too few for 4-fold cross-validation" "$tmp/err"
run 1 analyze importance -i "$tmp/imp.csv" --features x0,nope
check "unknown --features name" has "--features: $tmp/imp.csv has no feature 'nope'" "$tmp/err"
# One class: a tree of one leaf ranks nothing, so importance, universal and tree refuse it.
printf 'x0,x1,Label\n1,2,spam\n3,4,spam\n5,6,spam\n' > "$tmp/one-class.csv"
for kind in importance tree; do
    run 1 analyze $kind -i "$tmp/one-class.csv"
    check "$kind: one class refused" has "$tmp/one-class.csv: all 3 rows are of class 'spam': a tree needs rows of at least two classes" "$tmp/err"
done
run 1 analyze universal -a "$tmp/imp.csv" -b "$tmp/one-class.csv"
check "universal: one class in B refused" has "$tmp/one-class.csv: all 3 rows are of class 'spam'" "$tmp/err"

# ---- report senders ----
# Hand-counted: 10.0.0.1 3 flows, 3 spam; 10.0.0.2 2 flows, 1 spam; 2001:db8::1 (written two
# ways) 2 flows, 2 spam; 10.0.0.3 1 flow, 0 spam: 8 flows, 6 spam, 4 sources. With at least 2
# spam flows: 10.0.0.1 (3 of 6 = 50 %) and 2001:db8::1 (2 of 6 = 33.33 %): 5 of 6 = 83.33 %.
cat > "$tmp/flows.csv" <<'CSV'
flow_id,src_addr,src_port,dst_addr,dst_port,sp,Label
1,10.0.0.1,1025,10.9.9.9,25,4,spam
2,10.0.0.2,1026,10.9.9.9,25,4,ham
3,10.0.0.1,1027,10.9.9.9,25,4,Spam
4,2001:DB8:0::1,1028,10.9.9.9,25,4,spam
5,10.0.0.3,1029,10.9.9.9,25,4,ham
6,10.0.0.2,1030,10.9.9.9,25,4,spam
7,2001:db8::1,1031,10.9.9.9,25,4,spam
8,10.0.0.1,1032,10.9.9.9,25,4,spam
CSV
run 0 report senders -i "$tmp/flows.csv" --min-spam 2
check "senders: totals" has "8 flows from 4 sources, 6 spam flows (75.00%)" "$tmp/out"
check "senders: main senders' share" has "2 sources sent 5 of the 6 spam flows (83.33%) in 5 flows" "$tmp/out"
check "senders: first" bash -c "grep -qE '^10\\.0\\.0\\.1 +3 +3 +50\\.00% +50\\.00%\$' '$tmp/out'"
check "senders: IPv6 canonical" bash -c "grep -qE '^2001:db8::1 +2 +2 +33\\.33% +83\\.33%\$' '$tmp/out'"
run 0 report senders -i "$tmp/flows.csv" --min-spam 2 --all --json
check "senders --json" "$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["flows"], d["spam_flows"], d["sources"]) == (8, 6, 4), d
assert [(s["src"], s["flows"], s["spam"]) for s in d["main_senders"]] == [("10.0.0.1", 3, 3), ("2001:db8::1", 2, 2)], d
assert abs(d["main_share"] - 5 / 6) < 1e-6 and len(d["all"]) == 4 and d["all"][3]["spam"] == 0, d' "$tmp/out"
# The same flows as JSON lines, as flowdx run writes them (nested votes, a verdict field).
awk -F, 'NR > 1 { printf "{\"flow_id\":%s,\"src_addr\":\"%s\",\"verdict\":\"%s\",\"votes\":{\"tree\":{\"vote\":\"x\",\"p\":0.5}},\"features\":{\"sp\":null}}\n", $1, $2, $7 }' \
    "$tmp/flows.csv" > "$tmp/flows.jsonl"
run 0 report senders -i - --min-spam 2 < "$tmp/flows.jsonl"
check "senders: JSON lines from standard input" has "2 sources sent 5 of the 6 spam flows (83.33%)" "$tmp/out"
# The same flows in schema 1 (run -c, run --detect doh,spam): the label is verdicts.spam.verdict,
# "malicious" = spam, "benign" = ham; two records without a spam verdict (a DoH flow and one no
# detector judged) are left out and counted, so the totals are those above.
awk -F, 'NR > 1 { printf "{\"schema\":1,\"flow_id\":%s,\"src_addr\":\"%s\",\"verdicts\":{\"spam\":{\"verdict\":\"%s\",\"label\":\"spam\",\"score\":0.5}},\"features\":{\"spam_sp\":null}}\n", $1, $2, tolower($7) == "spam" ? "malicious" : "benign" }' \
    "$tmp/flows.csv" > "$tmp/v1.jsonl"
printf '%s\n' '{"schema":1,"flow_id":9,"src_addr":"10.0.0.1","verdicts":{"doh":{"verdict":"malicious"}}}' \
    '{"schema":1,"flow_id":10,"src_addr":"10.0.0.9","verdicts":{}}' >> "$tmp/v1.jsonl"
run 0 report senders -i "$tmp/v1.jsonl" --min-spam 2
check "senders: schema 1, totals" has "8 flows from 4 sources, 6 spam flows (75.00%)" "$tmp/out"
check "senders: schema 1, flows without a verdict counted" has "left out: 2 flows without a verdict" "$tmp/out"
check "senders: schema 1, main senders" has "2 sources sent 5 of the 6 spam flows (83.33%)" "$tmp/out"
run 0 report senders -i "$tmp/v1.jsonl" --label-column verdicts.doh.verdict --spam-value malicious --min-spam 1
check "senders: a dotted label column reads another detector's verdict" \
    has "1 flow from 1 source, 1 spam flow (100.00%)" "$tmp/out"
# The same in run -c's CSV: spam_verdict is empty for a flow the detector did not judge and
# "declined" for one it left on purpose; both are left out and counted, as in JSON lines.
awk -F, 'NR == 1 { print "flow_id,src_addr,spam_verdict" } NR > 1 { print $1 "," $2 "," (tolower($7) == "spam" ? "malicious" : "benign") }' \
    "$tmp/flows.csv" > "$tmp/v1.csv"
printf '9,10.0.0.1,\n10,10.0.0.9,declined\n' >> "$tmp/v1.csv"
run 0 report senders -i "$tmp/v1.csv" --label-column spam_verdict --spam-value malicious --min-spam 2
check "senders: run -c CSV, totals" has "8 flows from 4 sources, 6 spam flows (75.00%)" "$tmp/out"
check "senders: run -c CSV, empty and declined cells left out" has "left out: 2 flows without a verdict" "$tmp/out"
# Naming the verdict column without --spam-value: "malicious" is still spam (8 flows, 6 spam), in
# run -c's CSV and in schema 1's field alike.
run 0 report senders -i "$tmp/v1.csv" --label-column spam_verdict --min-spam 2
check "senders: spam_verdict named, malicious is spam" has "8 flows from 4 sources, 6 spam flows (75.00%)" "$tmp/out"
run 0 report senders -i "$tmp/v1.jsonl" --label-column verdicts.spam.verdict --min-spam 2
check "senders: verdicts.spam.verdict named, malicious is spam" has "8 flows from 4 sources, 6 spam flows (75.00%)" "$tmp/out"
# A --spam-value no flow has: the report of 0 spam flows, and a warning with the labels seen
# (in the order first seen, each spelling once: spam, ham, Spam).
run 0 report senders -i "$tmp/flows.csv" --spam-value junk
check "senders: no flow is spam, the labels seen" bash -c \
    "grep -qF '8 flows from 4 sources, 0 spam flows' '$tmp/out' && grep -qF \"warning: $tmp/flows.csv: no flow is labelled 'junk'; labels seen: 'spam', 'ham', 'Spam' (--spam-value\" '$tmp/err'"
# Line ends: CR alone (a "CSV (Macintosh)" file) and CR LF read as LF does.
tr '\n' '\r' < "$tmp/flows.csv" > "$tmp/flows-cr.csv"
sed 's/$/\r/' "$tmp/flows.csv" > "$tmp/flows-crlf.csv"
for f in flows-cr flows-crlf; do
    run 0 report senders -i "$tmp/$f.csv" --min-spam 2
    check "senders: $f line ends, totals" has "8 flows from 4 sources, 6 spam flows (75.00%)" "$tmp/out"
done
# A NUL byte ends the reading at once, with the line: /dev/zero is refused, not read to its end.
run 1 report senders -i /dev/zero
check "senders: /dev/zero, a NUL byte on line 1" has "/dev/zero:1: NUL byte (not a text file)" "$tmp/err"
# A quiet day: inputs without flows give a report of 0 flows, as a capture without SMTP does.
: > "$tmp/empty.jsonl"
run 0 report senders -i "$tmp/empty.jsonl"
check "senders: an empty input, 0 flows" has "0 flows from 0 sources, 0 spam flows" "$tmp/out"
head -n 1 "$tmp/flows.csv" > "$tmp/header.csv"
run 0 report senders -i "$tmp/header.csv"
check "senders: a header alone, 0 flows" has "0 flows from 0 sources" "$tmp/out"
tail -n 2 "$tmp/v1.jsonl" > "$tmp/unjudged.jsonl"
run 0 report senders -i "$tmp/unjudged.jsonl"
check "senders: no flow judged, 0 flows and 2 left out" bash -c \
    "grep -qF '0 flows from 0 sources' '$tmp/out' && grep -qF 'left out: 2 flows without a verdict' '$tmp/out'"
run 0 report senders -i "$tmp/flows.csv" --label-column sp --spam-value 4
check "senders: another label column and value" has "8 flows from 4 sources, 8 spam flows" "$tmp/out"
sed '4s/10.0.0.1/not-an-ip/' "$tmp/flows.csv" > "$tmp/bad-addr.csv"
run 1 report senders -i "$tmp/bad-addr.csv"
check "senders: bad address, file and line" has "$tmp/bad-addr.csv:4: column 'src_addr': 'not-an-ip' is not an IP address" "$tmp/err"
sed '1s/Label/Class/' "$tmp/flows.csv" > "$tmp/no-label.csv"
run 1 report senders -i "$tmp/no-label.csv"
check "senders: no label column" has "$tmp/no-label.csv:1: no column 'Label'" "$tmp/err"
sed '3s/,ham$//' "$tmp/flows.csv" > "$tmp/short.csv"
run 1 report senders -i "$tmp/short.csv"
check "senders: short row" has "$tmp/short.csv:3: 6 fields, the header has 7" "$tmp/err"
sed '2s/"verdict"/"verdict" 1/' "$tmp/flows.jsonl" > "$tmp/bad.jsonl"
run 1 report senders -i "$tmp/bad.jsonl"
check "senders: bad JSON, line and column" bash -c "grep -qE '/bad.jsonl:2:[0-9]+: expected' '$tmp/err'"
# Each JSON line is checked whole (RFC 8259), members the report does not read included. Valid:
# numbers, literals, escapes, nesting and white space of every form; the label written with an
# escape is read decoded ("sp\u0061m" is spam): 2 flows of 10.0.0.7, 1 spam.
printf '%s\n' \
    '{"src_addr":"10.0.0.7","verdict":"sp\u0061m","n":[-0,0.5,1e3,-2.5E-3,10E+2,true,false,null],"o":{"a":{"b":[]}},"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}' \
    ' { "src_addr" : "10.0.0.7" , "verdict" : "ham" , "e" : { } , "a" : [ ] } ' \
    > "$tmp/strict-ok.jsonl"
run 0 report senders -i "$tmp/strict-ok.jsonl" --min-spam 1
check "senders: valid JSON of every form reads" has "2 flows from 1 source, 1 spam flow (50.00%)" "$tmp/out"
# Refused, with file, line and byte column (exit 1): invalid values in members not read, and in
# the members read: \u0000 or an unpaired surrogate in a string, a key given twice, a label or a
# source that is not a string. Line 1 is valid; the columns are counted on line 2 by hand.
while IFS='|' read -r name line want; do
    printf '%s\n' '{"src_addr":"10.0.0.1","verdict":"spam"}' "$line" > "$tmp/j.jsonl"
    check "senders: strict JSON: $name: exit 1" run 1 report senders -i "$tmp/j.jsonl"
    check "... file:line:column and why" has "$tmp/j.jsonl:2:$want" "$tmp/err"
done <<'CASES'
a lone minus|{"src_addr":"10.0.0.1","verdict":"spam","y":-}|46: expected a digit after '-'
tru|{"src_addr":"10.0.0.1","verdict":"spam","y":tru}|45: expected a value
a leading zero|{"src_addr":"10.0.0.1","verdict":"spam","y":01}|46: leading zero in a number
no fraction digit|{"src_addr":"10.0.0.1","verdict":"spam","y":1.}|47: expected a digit after '.'
no exponent digit|{"src_addr":"10.0.0.1","verdict":"spam","y":1e}|47: expected a digit in the exponent
NaN|{"src_addr":"10.0.0.1","verdict":"spam","y":NaN}|45: expected a value
a plus sign|{"src_addr":"10.0.0.1","verdict":"spam","y":+1}|45: expected a value
a trailing comma in an array|{"src_addr":"10.0.0.1","verdict":"spam","y":[1,]}|48: expected a value
a trailing comma in an object|{"src_addr":"10.0.0.1","verdict":"spam","y":{"a":1,}}|52: expected a key
a bare key|{"src_addr":"10.0.0.1","verdict":"spam","y":{a:1}}|46: expected a key
a bad escape|{"src_addr":"10.0.0.1","verdict":"spam","y":"\x"}|47: bad escape in a string
a short \u|{"src_addr":"10.0.0.1","verdict":"spam","y":"\u12"}|46: bad \u escape
text after the object|{"src_addr":"10.0.0.1","verdict":"spam"} x|42: text after the object
two objects|{"src_addr":"10.0.0.1","verdict":"spam"}{"src_addr":"10.0.0.2","verdict":"spam"}|41: text after the object
\u0000 in the source|{"src_addr":"10.0.0.1\u0000x","verdict":"spam"}|13: field "src_addr": \u0000 in its string
an unpaired surrogate in the label|{"src_addr":"10.0.0.1","verdict":"\ud800"}|34: field "verdict": an unpaired surrogate
the source twice|{"src_addr":"10.0.0.1","src_addr":"10.0.0.2","verdict":"spam"}|24: duplicate key "src_addr"
the label twice|{"src_addr":"10.0.0.1","verdict":"spam","verdict":"ham"}|41: duplicate key "verdict"
a null label|{"src_addr":"10.0.0.1","verdict":null}|34: field "verdict": null, not a string
a number label|{"src_addr":"10.0.0.1","verdict":5}|34: field "verdict": a number, not a string
a number source|{"src_addr":167772161,"verdict":"spam"}|13: field "src_addr": a number, not a string
schema 1, verdicts twice|{"schema":1,"src_addr":"10.0.0.1","verdicts":{"spam":{"verdict":"malicious"}},"verdicts":{}}|79: duplicate key "verdicts"
schema 1, a label that is true|{"schema":1,"src_addr":"10.0.0.1","verdicts":{"spam":{"verdict":true}}}|65: field "verdicts.spam.verdict": true, not a string
CASES
printf '{"src_addr":"10.0.0.1","verdict":"spam","y":"\xff"}\n' > "$tmp/j.jsonl"
run 1 report senders -i "$tmp/j.jsonl"
check "senders: strict JSON: a string that is not UTF-8" has "$tmp/j.jsonl:1:46: not UTF-8 in a string" "$tmp/err"
# Duplicate keys elsewhere, and \u0000 in strings not read, are not the report's business.
printf '%s\n' '{"src_addr":"10.0.0.1","verdict":"spam","x":1,"x":"\u0000","o":{"src_addr":1,"src_addr":2}}' \
    > "$tmp/j.jsonl"
run 0 report senders -i "$tmp/j.jsonl" --min-spam 1
check "senders: duplicates and \\u0000 in members not read" has "1 flow from 1 source, 1 spam flow" "$tmp/out"
# CSV column names are distinct, as for the other readers.
printf 'flow_id,src_addr,sp,sp,Label\n1,10.0.0.1,4,5,spam\n' > "$tmp/dup.csv"
run 1 report senders -i "$tmp/dup.csv"
check "senders: a CSV column twice" has "$tmp/dup.csv:1: column 'sp' appears twice (columns 3 and 4)" "$tmp/err"
printf 'flow_id,src_addr,Label,src_addr\n1,10.0.0.1,spam,10.0.0.2\n' > "$tmp/dup.csv"
run 1 report senders -i "$tmp/dup.csv"
check "senders: the source column twice" has "$tmp/dup.csv:1: column 'src_addr' appears twice (columns 2 and 4)" "$tmp/err"
run 2 report senders
check "senders without -i" has "-i FLOWS or -r CAPTURE is required" "$tmp/err"
run 2 report nosuch
check "unknown report" has "unknown report 'nosuch'" "$tmp/err"
run 0 help report
check "help report" has "Usage: flowdx report senders" "$tmp/out"
run 0 analyze subclasses --help
check "subclasses --help names its options" has "--min-decrease P" "$tmp/out"
finish
