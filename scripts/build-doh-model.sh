#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Rebuilds the shipped DoH model, conf/models/doh.fdxm, from the bundled training data:
#   - samples/doh/cira_sample/train_set_3000.csv: the 6,000-row CIRA-CIC-DoHBrw-2020 sample, header-corrected;
#   - samples/doh/lab/lab-seed*.csv: DoH-lab runs (test/lab/doh/), doh:ip features labelled by client.
# The ResponseTime features are left out: they measure where a capture was taken (doc/features/doh.md).
# Deterministic: the same files and seed give the same model file, byte for byte (about 80 s).
# Usage: scripts/build-doh-model.sh [FLOWDX] [OUTPUT]   (defaults: build/tools/flowdx, conf/models/doh.fdxm)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
flowdx=${1:-build/tools/flowdx}
out=${2:-conf/models/doh.fdxm}
[ -x "$flowdx" ] || { echo "build-doh-model.sh: $flowdx not found; build first (meson setup build && ninja -C build)" >&2; exit 1; }
add=()
for f in samples/doh/lab/lab-seed*.csv; do add+=(--add "$f"); done
[ ${#add[@]} -gt 0 ] || { echo "build-doh-model.sh: no samples/doh/lab/lab-seed*.csv" >&2; exit 1; }
"$flowdx" train -i samples/doh/cira_sample/train_set_3000.csv --correct-header "${add[@]}" \
    --exclude 'ResponseTime*' --seed 42 -o "$out" --json "${out%.fdxm}.json"
