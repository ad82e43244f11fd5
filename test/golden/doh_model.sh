#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The shipped DoH model conf/models/doh.fdxm: it loads, it leaves out the capture-position features,
# it was trained on exactly the bundled data that scripts/build-doh-model.sh names, and the README's
# main job runs with it. Usage: doh_model.sh FLOWDX TOP_DIR
set -uo pipefail
flowdx=$1
top=$2
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
cd "$top"
model=conf/models/doh.fdxm

"$flowdx" model show "$model" > "$tmp/show.txt" 2>&1
check "the shipped model loads" grep -q "feature set:   doh:ip" "$tmp/show.txt"
check "it has all five models" bash -c "for m in knn svm tree forest mlp; do grep -qw \$m '$tmp/show.txt' || exit 1; done"
check "no ResponseTime input (they say where the capture was taken)" \
    bash -c "! grep -Eq '^  ResponseTime' '$tmp/show.txt'"

# The data checksum depends only on the training files: a quick model on the same files, in the
# build script's order, must report the same one.
add=()
for f in samples/doh/lab/lab-seed*.csv; do add+=(--add "$f"); done
"$flowdx" train -q -i samples/doh/cira_sample/train_set_3000.csv --correct-header "${add[@]}" \
    --model tree --folds 2 -o "$tmp/quick.fdxm" > /dev/null
"$flowdx" model show "$tmp/quick.fdxm" > "$tmp/quick.txt"
sum() { grep -o 'checksum [0-9a-f]*' "$1" | head -1; }
check "trained on the bundled files ($(sum "$tmp/show.txt"))" \
    test -n "$(sum "$tmp/show.txt")" -a "$(sum "$tmp/show.txt")" = "$(sum "$tmp/quick.txt")"

# The README's main job: alerts and a summary, exit 0.
"$flowdx" run --detect doh -r samples/doh/korving/korving_c2_dns2tcp_txt_177c8813.pcap \
    --doh-server 192.168.0.10 > "$tmp/alerts.txt" 2> "$tmp/err"; rc=$?
check "README main job: exit 0" test $rc -eq 0
check "README main job: 34 candidates classified" grep -q "34 DoH candidates classified" "$tmp/err"
check "README main job: alerts name the model file" grep -q "conf/models/doh.fdxm" "$tmp/err"

finish
