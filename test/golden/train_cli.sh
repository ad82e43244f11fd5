#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx train / eval / model on the bundled CIRA sample: the jury's cross-validated accuracy,
# determinism, evaluation, model files, and refusals. Usage: train_cli.sh FLOWDX SAMPLE_CSV
set -uo pipefail
flowdx=$1
data=$2
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# The issue's bar: the jury of five, header-corrected, 5-fold CV, at least 0.98 accuracy.
"$flowdx" train -q -i "$data" --correct-header -o "$tmp/jury.fdxm" --json "$tmp/jury.json" \
    > "$tmp/jury.txt"
check "jury trains" test -s "$tmp/jury.fdxm"
jury=$(python3 -c 'import json,sys; r={x["model"]:x for x in json.load(open(sys.argv[1]))["results"]}; print(sum(r["jury"]["fold_accuracy"])/len(r["jury"]["fold_accuracy"]))' "$tmp/jury.json")
check "jury cross-validated accuracy $jury >= 0.98" python3 -c "import sys; sys.exit(not $jury >= 0.98)"
check "the report names all five models and the jury" \
    bash -c "for m in knn svm tree forest mlp jury; do grep -q \"^\$m \" '$tmp/jury.txt' || exit 1; done"

# Reproducible: the same data and seed give the same model, byte for byte.
"$flowdx" train -q -i "$data" --correct-header --model tree -o "$tmp/a.fdxm" > /dev/null
"$flowdx" train -q -i "$data" --correct-header --model tree -o "$tmp/b.fdxm" > /dev/null
check "same seed, same model file" cmp -s "$tmp/a.fdxm" "$tmp/b.fdxm"
"$flowdx" train -q -i "$data" --correct-header --model forest --params forest.trees=10 \
    --seed 1 -o "$tmp/c.fdxm" > /dev/null
"$flowdx" train -q -i "$data" --correct-header --model forest --params forest.trees=10 \
    --seed 2 -o "$tmp/d.fdxm" > /dev/null
check "another seed, another forest" bash -c "! cmp -s '$tmp/c.fdxm' '$tmp/d.fdxm'"

# An unpruned CART tree fits its own training rows: on them it is right nearly always (rows
# repeated with both labels are the only way to be wrong).
"$flowdx" eval -m "$tmp/a.fdxm" -i "$data" --correct-header > "$tmp/eval.txt"
acc=$(awk '$1 == "tree" { print $2 }' "$tmp/eval.txt")
check "tree on its training rows: accuracy $acc >= 0.99" python3 -c "import sys; sys.exit(not $acc >= 0.99)"

# A file holding only class "1" rows is class 1 for the model, not its first class: every row
# must land in the confusion matrix's second row (3,000 malicious rows in the sample).
awk -F, 'NR == 1 || $NF == "1"' "$data" > "$tmp/ones.csv"
"$flowdx" eval -m "$tmp/a.fdxm" -i "$tmp/ones.csv" --json > "$tmp/ones.json"
check "one-class file keeps its class" python3 -c '
import json, sys
r = {x["model"]: x for x in json.load(open(sys.argv[1]))["results"]}
c = r["tree"]["confusion"]
sys.exit(not (sum(c[0]) == 0 and sum(c[1]) == 3000))' "$tmp/ones.json"

# --add with a file of one class, "malicious" (the Korving tunnels: 64 DoH flows to
# 192.168.0.10:443 by tshark -z conv,tcp), joins the data set's class 1, not its first class.
k=$(dirname "$data")/../korving
for cap in "$k"/*.pcap; do "$flowdx" extract -q -f doh -r "$cap"; done |
    awk 'NR == 1 || !/^SourceIP/' > "$tmp/korving.csv"
printf 'label,addr,peer,port,start,end\nmalicious,192.168.0.30,192.168.0.10,443,,\n' > "$tmp/rules.csv"
"$flowdx" label -i "$tmp/korving.csv" -l "$tmp/rules.csv" -o "$tmp/korving-l.csv" 2> /dev/null
"$flowdx" train -q -i "$data" --correct-header --add "$tmp/korving-l.csv" --model tree --folds 2 \
    -o "$tmp/added.fdxm" --export-prepared "$tmp/prepared.csv" > /dev/null
check "added malicious rows are class 1" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
added = rows[6000:]
sys.exit(not (len(added) == 64 and all(r["label"] == "1" for r in added)))' "$tmp/prepared.csv"

check "model show describes the file" grep -q "feature set:   doh:ip" <("$flowdx" model show "$tmp/jury.fdxm")

# model show gives each model's size. Rows by hand, one feature a: ham at 0..3, spam at 7..10.
# - A CART tree splits once between 3 and 7: 3 nodes, 2 leaves, depth 1.
# - A linear SVM with C = 1000 has a hard margin here: whatever affine scaling a gets, only the
#   rows closest to the other class (3 and 7) lie on the margin, so 2 support vectors, one a class
#   (their alpha, about 1.7 after standard scaling, is far below C).
# - The kNN keeps all 8 rows; the forest has the 7 trees asked for.
# - An MLP 1-4-1: 1 x 4 weights + 4 biases into the hidden layer, 4 + 1 into the output = 13.
# - The weighted trees: 5 trees asked for.
printf 'a,Label\n0,ham\n1,ham\n2,ham\n3,ham\n7,spam\n8,spam\n9,spam\n10,spam\n' > "$tmp/hand.csv"
"$flowdx" train -q -i "$tmp/hand.csv" --folds 2 -o "$tmp/hand.fdxm" \
    --params svm.kernel=linear,svm.c=1000,mlp.layers=4,knn.k=3,forest.trees=7 > /dev/null
"$flowdx" model show "$tmp/hand.fdxm" > "$tmp/hand.txt"
"$flowdx" train -q -i "$tmp/hand.csv" --folds 2 --model weighted-trees --params wtrees.trees=5 \
    -o "$tmp/hand-w.fdxm" > /dev/null
"$flowdx" model show "$tmp/hand-w.fdxm" >> "$tmp/hand.txt"
# ham at 0, 1 and 8, 9, spam at 4, 5: the best first split (at 2.5 or 6.5, Gini 1/3 either way)
# leaves one pure side and one side to split again: 5 nodes, 3 leaves, depth 2.
printf 'a,Label\n0,ham\n1,ham\n4,spam\n5,spam\n8,ham\n9,ham\n' > "$tmp/hand3.csv"
"$flowdx" train -q -i "$tmp/hand3.csv" --folds 2 --model tree -o "$tmp/hand3.fdxm" > /dev/null
"$flowdx" model show "$tmp/hand3.fdxm" >> "$tmp/hand.txt"
for line in "8 training rows, k 3, neighbours weighted alike" \
    "2 support vectors (1 of class 0, 1 of class 1), linear kernel" \
    "3 nodes (2 leaves), depth 1" "7 trees, " "5 nodes (3 leaves), depth 2" \
    "layer widths 1-4-1 (inputs to outputs), 13 weights and biases" "5 trees, "; do
    check "model show: '$line'" grep -qxF "          $line" \
        <(sed -E 's/^( {10}[0-9]+ trees, ).*/\1/' "$tmp/hand.txt")
done

# --exclude: named features and 'Prefix*' never reach a model; a name that matches nothing is refused.
"$flowdx" train -q -i "$data" --correct-header --model tree --exclude 'ResponseTime*,Duration' \
    -o "$tmp/ex.fdxm" > /dev/null
"$flowdx" model show "$tmp/ex.fdxm" > "$tmp/ex.txt"
check "--exclude: no ResponseTime or Duration input, recorded in the description" \
    bash -c "! grep -Eq '^  (ResponseTime|Duration)' '$tmp/ex.txt' && grep -q 'excluded ResponseTime\*,Duration' '$tmp/ex.txt'"
check "--exclude: the other features are still there" grep -q '^  PacketLengthMode ' "$tmp/ex.txt"
out=$("$flowdx" train -q -i "$data" --model tree --exclude Durration -o "$tmp/no.fdxm" 2>&1); rc=$?
check "--exclude of an unknown feature: refused with its name" bash -c "[ $rc -ne 0 ] && grep -q \"no feature named 'Durration'\" <<< \"\$0\" && [ ! -e '$tmp/no.fdxm' ]" "$out"
# --features keeps only the named ones (spaces around names ignored, "Prefix*" a prefix), the same
# name-list rule as --exclude and analyze --features.
"$flowdx" train -q -i "$data" --correct-header --model tree --corr-threshold 1 --features ' PacketLengthMode , ResponseTime*' \
    -o "$tmp/feat.fdxm" > /dev/null
"$flowdx" model show "$tmp/feat.fdxm" > "$tmp/feat.txt"
check "--features: PacketLengthMode and the 8 ResponseTime features of the spec, nothing else" python3 -c '
import re, sys
names = re.findall(r"^  (\S+) +mean ", open(sys.argv[1]).read(), re.M)
assert names[0] == "PacketLengthMode" and len(names) == 9, names
assert all(n.startswith("ResponseTime") for n in names[1:]), names
' "$tmp/feat.txt"
# Refusals name their place and exit as doc/flowdx.1 says: 2 when the options do not fit the data
# (too few rows for the folds) or are bad (--nan-value inf), 1 for bad input (an infinite or
# unscalable value, a label or a column the model lacks). Rows written by hand; lines counted
# with the header as line 1.
refused() { # NAME STATUS MESSAGE COMMAND...: exit STATUS, MESSAGE (fixed text) on stderr
    local name=$1 want=$2 msg=$3
    shift 3
    "$@" > /dev/null 2> "$tmp/err"
    local rc=$?
    check "$name: exit $want, '$msg'" bash -c \
        "[ $rc -eq $want ] && grep -qF -- \"\$0\" '$tmp/err'" "$msg"
}
# An empty --features list (what "$(paste -sd, FILE)" gives for an empty FILE) is refused, not
# read as "all features".
for list in '' ' , '; do
    refused "--features '$list'" 2 "flowdx train: --features: an empty list names no feature" \
        "$flowdx" train -q -i "$data" --model tree --features "$list" -o "$tmp/r.fdxm"
    refused "analyze --features '$list'" 2 "flowdx analyze: --features: an empty list names no feature" \
        "$flowdx" analyze importance -q -i "$data" --features "$list"
done
printf 'a,b,Label\n1,2,spam\n' > "$tmp/r1.csv"
refused "1 row" 2 "$tmp/r1.csv: 1 row (1 of class 'spam') is too few for 5-fold cross-validation, which needs at least 5 rows" \
    "$flowdx" train -q -i "$tmp/r1.csv" --model weighted-trees -o "$tmp/r.fdxm"
printf 'a,b,Label\n1,2,spam\n3,4,ham\n5,6,ham\n' > "$tmp/r3.csv"
refused "3 rows" 2 "$tmp/r3.csv: 3 rows (2 of class 'ham', 1 of class 'spam') are too few for 5-fold cross-validation, which needs at least 5 rows (one per fold; --folds 3 fits these)" \
    "$flowdx" train -q -i "$tmp/r3.csv" --model tree -o "$tmp/r.fdxm"
check "no model file written" test ! -e "$tmp/r.fdxm"
printf 'a,b,Label\n1,10,ham\n2,20,spam\n\n3,inf,ham\n4,40,spam\n' > "$tmp/inf.csv"
for m in weighted-trees tree; do
    refused "inf, --model $m" 1 "$tmp/inf.csv:5: column 'b': an infinite value (inf), which no model can train on" \
        "$flowdx" train -q -i "$tmp/inf.csv" --model $m -o "$tmp/r.fdxm"
done
printf 'a,b,Label\n1,10,ham\n2,20,spam\n3,1e308,ham\n4,40,spam\n' > "$tmp/big.csv"
refused "1e308" 1 "$tmp/big.csv:4: column 'b': 1e+308 is too large to train on" \
    "$flowdx" train -q -i "$tmp/big.csv" --model knn -o "$tmp/r.fdxm"
# A line over the reader's 1 MiB limit is bad input (exit 1), not a bad option: train, analyze
# and eval alike. Line 3 is 2 + 1,048,576 + 5 bytes long.
{ printf 'a,b,Label\n1,2,ham\n1,'; head -c 1048576 /dev/zero | tr '\0' 9; printf ',spam\n'; } > "$tmp/long.csv"
refused "line over 1 MiB: train" 1 "$tmp/long.csv:3: line longer than 1048576 bytes" \
    "$flowdx" train -q -i "$tmp/long.csv" --model tree -o "$tmp/r.fdxm"
refused "line over 1 MiB: analyze" 1 "$tmp/long.csv:3: line longer than 1048576 bytes" \
    "$flowdx" analyze tree -q -i "$tmp/long.csv"
refused "line over 1 MiB: eval" 1 "$tmp/long.csv:3: line longer than 1048576 bytes" \
    "$flowdx" eval -m "$tmp/a.fdxm" -i "$tmp/long.csv"
for v in inf nan; do
    refused "--nan-value $v" 2 "--nan-value: '$v' is not a finite number" \
        "$flowdx" train -q -i "$tmp/big.csv" --nan-value $v -o "$tmp/r.fdxm"
    refused "analyze --nan-value $v" 2 "flowdx analyze: --nan-value: '$v' is not a finite number" \
        "$flowdx" analyze tree -i "$tmp/big.csv" --nan-value $v
done
for v in 100x0 100x 0x5 +5; do # a width of 0, a trailing x, a sign: not widths
    refused "mlp.layers=$v" 2 "--params: mlp.layers: '$v' is not widths like 100x50" \
        "$flowdx" train -q -i "$tmp/big.csv" --model mlp --params mlp.layers=$v -o "$tmp/r.fdxm"
done
# weighted-trees on three classes: refused, each class named with its first line (by hand: r3's
# lines 2-4 are spam, ham, ham; the added line 5 is phish)
printf '7,8,phish\n9,10,ham\n11,12,spam\n' | cat "$tmp/r3.csv" - > "$tmp/r6.csv"
refused "weighted-trees on 3 classes" 2 "$tmp/r6.csv: 3 classes ('ham' first at line 3, 'phish' first at line 5, 'spam' first at line 2): the weighted-trees ensemble votes +1/-1 and needs exactly two" \
    "$flowdx" train -q -i "$tmp/r6.csv" --model weighted-trees --folds 2 -o "$tmp/r.fdxm"
# eval: a label the model lacks is not guessed (HAM is not ham), a column it reads is named.
printf 'a,b,Label\n1,40,ham\n2,10,spam\n3,30,ham\n4,20,spam\n5,60,ham\n6,50,spam\n' > "$tmp/hs.csv"
"$flowdx" train -q -i "$tmp/hs.csv" --model tree --folds 2 --corr-threshold 1 -o "$tmp/hs.fdxm" > /dev/null
printf 'a,b,Label\n1,40,ham\n2,10,HAM\n3,30,spam\n' > "$tmp/upper.csv"
refused "eval of a label the model lacks" 1 "$tmp/upper.csv:3: label 'HAM' is not a class of the model (ham, spam)" \
    "$flowdx" eval -m "$tmp/hs.fdxm" -i "$tmp/upper.csv"
printf 'a,Label\n1,ham\n2,spam\n' > "$tmp/nob.csv"
refused "eval without a column the model reads" 1 "$tmp/nob.csv:1: no column 'b', which the model reads" \
    "$flowdx" eval -m "$tmp/hs.fdxm" -i "$tmp/nob.csv"
# eval takes the values training takes: inf.csv's line 5 and big.csv's line 4, as above.
refused "eval of an infinite value" 1 "$tmp/inf.csv:5: column 'b': an infinite value (inf), which no model can judge" \
    "$flowdx" eval -m "$tmp/hs.fdxm" -i "$tmp/inf.csv"
refused "eval of 1e308" 1 "$tmp/big.csv:4: column 'b': 1e+308 is too large to judge" \
    "$flowdx" eval -m "$tmp/hs.fdxm" -i "$tmp/big.csv"
# A file without its header: its first row (1,40,ham: 2 of 3 fields numbers) has no label column.
tail -n +2 "$tmp/hs.csv" > "$tmp/nohdr.csv"
refused "a file without a header" 1 "$tmp/nohdr.csv:1: 2 of the 3 fields are numbers: a row of values, not a header" \
    "$flowdx" eval -m "$tmp/hs.fdxm" -i "$tmp/nohdr.csv"
finish
