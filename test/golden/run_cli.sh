#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx run --detect doh on the Korving captures: candidates, alerts, JSON lines, and verdicts
# that do not depend on the link type. Usage: run_cli.sh FLOWDX SAMPLES_DIR
set -uo pipefail
flowdx=$1
samples=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

# A small, quick model: what is tested here is the detection path, not the model's quality.
"$flowdx" train -q -i "$samples/doh/cira_sample/train_set_3000.csv" --correct-header \
    --model forest --params forest.trees=20 -o "$tmp/m.fdxm" > /dev/null
k="$samples/doh/korving"
# TCP connections to the resolver 192.168.0.10:443 (tshark -z conv,tcp): dns2tcp 34, dnstt 29,
# iodine 1 (75.2 s, within the 120 s active timeout): 64 DoH candidates.
"$flowdx" run --detect doh -m "$tmp/m.fdxm" --doh-server 192.168.0.10 --format jsonl \
    -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" -r "$k/korving_c2_dnstt_firefox_68c58a06.pcap" \
    -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" -o "$tmp/all.jsonl" 2> "$tmp/err"
check "64 DoH candidates classified ($(grep -o '[0-9]* DoH candidates' "$tmp/err"))" \
    grep -q "64 DoH candidates classified" "$tmp/err"
check "one JSON line per candidate" test "$(wc -l < "$tmp/all.jsonl")" -eq 64
check "each line has a verdict, votes and the 29 features" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["verdict"] in ("malicious", "benign") and o["dst_port"] == 443
    assert o["dst_addr"] == "192.168.0.10" and len(o["votes"]) == 1 and len(o["features"]) == 29
' "$tmp/all.jsonl"
mal=$(python3 -c 'import json,sys; print(sum(json.loads(l)["verdict"]=="malicious" for l in open(sys.argv[1])))' "$tmp/all.jsonl")

# Alerts: one per malicious flow, and the summary agrees.
"$flowdx" run --detect doh -m "$tmp/m.fdxm" --doh-server 192.168.0.10 \
    -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" -r "$k/korving_c2_dnstt_firefox_68c58a06.pcap" \
    -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" > "$tmp/alerts.txt" 2> "$tmp/err2"
check "one ALERT per malicious flow ($mal)" test "$(grep -c '^ALERT malicious DoH' "$tmp/alerts.txt")" -eq "$mal"
check "alerts show the features" grep -q "features: Duration=" "$tmp/alerts.txt"
check "summary counts the malicious flows" grep -q "$mal malicious" "$tmp/err2"

# Without the resolver configured, these private-address flows are not candidates.
"$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" \
    > /dev/null 2> "$tmp/err3"
check "no candidates without --doh-server" grep -q " 0 DoH candidates" "$tmp/err3"

# Link-type invariance: the same verdicts from Linux cooked, Ethernet and raw IP.
for cap in "$k"/*.pcap; do
    n=$(basename "$cap" .pcap)
    python3 "$here/sll2eth.py" "$cap" "$tmp/$n.eth.pcap"
    editcap -C 16 -T rawip "$cap" "$tmp/$n.raw.pcap"
    for kind in sll eth raw; do
        in=$cap; [ "$kind" = sll ] || in=$tmp/$n.$kind.pcap
        "$flowdx" run -q --detect doh -m "$tmp/m.fdxm" --doh-server 192.168.0.10 --format jsonl \
            -r "$in" -o "$tmp/$n.$kind.jsonl"
    done
    check "$n: same verdicts on cooked, Ethernet and raw IP" \
        bash -c "cmp -s '$tmp/$n.sll.jsonl' '$tmp/$n.eth.jsonl' && cmp -s '$tmp/$n.sll.jsonl' '$tmp/$n.raw.jsonl'"
done

# Refusals.
out=$("$flowdx" run --detect spam -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" 2>&1); rc=$?
check "unknown detector: exit 2" bash -c "[ $rc -eq 2 ] && grep -q 'not available' <<< \"\$0\"" "$out"
out=$("$flowdx" run --detect doh -m "$tmp/none.fdxm" -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" 2>&1); rc=$?
check "missing model: exit 1 and a hint" bash -c "[ $rc -eq 1 ] && grep -q 'flowdx train' <<< \"\$0\"" "$out"
# A capture that cannot be opened must not replace an existing output file.
printf 'earlier results\n' > "$tmp/keep.jsonl"
"$flowdx" run -q --detect doh -m "$tmp/m.fdxm" -r "$tmp/no-such.pcap" --format jsonl \
    -o "$tmp/keep.jsonl" 2> /dev/null
check "failed open keeps the existing output" grep -qx 'earlier results' "$tmp/keep.jsonl"
echo "$fails failed"
[ "$fails" -eq 0 ]
