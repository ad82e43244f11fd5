#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Link-type invariance of doh:ip: the Korving captures (Linux cooked) rewritten to Ethernet and to
# raw IP must give byte-identical `flowdx extract -f doh` output. Usage: doh_linktype.sh FLOWDX DIR
set -euo pipefail
flowdx=$1
dir=$2
for tool in python3 editcap cmp; do
    command -v "$tool" >/dev/null || { echo "doh_linktype: $tool not found (editcap: wireshark-common)"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for cap in "$dir"/korving/*.pcap; do
    name=$(basename "$cap" .pcap)
    # Not tcprewrite: Debian 12's 4.4.3 keeps two bytes of the 16-byte cooked header under
    # the Ethernet header with --dlt=enet (EtherType 0x0000), and with --dlt=user it rewrites
    # the IP total length of 40-byte packets that carry trailer bytes (40 -> 46), so neither
    # output is the same traffic. sll2eth.py only swaps the link header.
    python3 "$(dirname "$0")/sll2eth.py" "$cap" "$tmp/$name.eth.pcap"
    editcap -C 16 -T rawip "$cap" "$tmp/$name.raw.pcap"
    "$flowdx" extract -q -f doh -r "$cap" -o "$tmp/$name.sll.csv"
    for kind in eth raw; do
        "$flowdx" extract -q -f doh -r "$tmp/$name.$kind.pcap" -o "$tmp/$name.$kind.csv"
        if cmp -s "$tmp/$name.sll.csv" "$tmp/$name.$kind.csv"; then
            echo "ok: $name: Linux cooked and $kind give the same doh:ip rows"
        else
            echo "FAIL: $name: Linux cooked and $kind differ:"
            diff "$tmp/$name.sll.csv" "$tmp/$name.$kind.csv" | head -5
            status=1
        fi
    done
    # The rows must be real: at least one DoH flow with numbers.
    if ! grep -q ',443,' "$tmp/$name.sll.csv"; then
        echo "FAIL: $name: no DoH flow in the output"
        status=1
    fi
done
exit $status
