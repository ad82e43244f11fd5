#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The DoH issue's transfer bar for the shipped model, on traffic it was never trained on: at least 90 %
# of the DoH flows of the three Korving tunnel captures flagged (the iodine flow among them), at most
# 5 % of the DoH flows of the nDPI benign captures. Exit 0 when the bar is met.
# Usage: doh_transfer.sh FLOWDX TOP_DIR
set -uo pipefail
flowdx=$1
cd "$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
k=samples/doh/korving n=samples/doh/ndpi
count() { python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(sum(r["verdict"] == "malicious" for r in rows), len(rows))' "$1"; }
"$flowdx" run -q --detect doh --doh-server 192.168.0.10 --format jsonl -o "$tmp/k.jsonl" \
    -r $k/korving_c2_dns2tcp_txt_177c8813.pcap -r $k/korving_c2_dnstt_firefox_68c58a06.pcap \
    -r $k/korving_ft_iodine_private_b64_23a0a5a8.pcap || exit 2
"$flowdx" run -q --detect doh --format jsonl -o "$tmp/b.jsonl" -r $n/dns_doh.pcap -r $n/doh.pcapng \
    -r $n/dnscrypt-v2-doh.pcap || exit 2
read -r km kn < <(count "$tmp/k.jsonl")
read -r bm bn < <(count "$tmp/b.jsonl")
iodine=$(python3 -c 'import json,sys; print(sum(json.loads(l)["verdict"]=="malicious" for l in open(sys.argv[1]) if json.loads(l)["src_port"]==33374))' "$tmp/k.jsonl")
echo "Korving tunnel DoH flows flagged: $km of $kn (iodine flow flagged: $iodine); nDPI benign DoH flows flagged: $bm of $bn"
python3 -c "import sys; sys.exit(not ($km >= 0.9 * $kn and $bm <= 0.05 * $bn and $iodine == 1 and $kn == 64))"
