#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx collect end to end: Debian's softflowd reads captures (softflowd -r FILE -c none -v 5|9|10
# -n 127.0.0.1:PORT) and exports to flowdx collect on loopback (a port the collector picked: the
# "listening on" line). Every collected record is checked against the capture as tshark reads it
# (collect_check.py: packets, octets as softflowd counts them, TCP flags, duration within 2 ms, the
# initiator, null lengths and TTLs, which softflowd does not export; spam verdicts exactly on the
# flows to 25/465/587), so are `flowdx extract -f flowrec` rows of the same captures (IP bytes,
# lengths and TTLs, duration within 1 us), and the IPFIX re-export read back with ipfixDump
# --rfc5610 must show the JSON lines' values and verdicts (ipfix_json1.py). Skipped (77) without
# softflowd, tshark or ipfixDump.
# Usage: collect_softflowd.sh FLOWDX SOURCE_ROOT
set -uo pipefail
flowdx=$1
top=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/checks.sh"
need_tools softflowd tshark ipfixDump
cd "$top" # the shipped models in conf/models are the collector's default
# smtp-starttls.pcap: IPv6 in 802.1Q
captures=(samples/spam/ndpi/emotet.pcap samples/spam/zeek/smtp-one-side-only.pcap
          samples/spam/zeek/smtp.pcap samples/doh/korving/korving_c2_dns2tcp_txt_177c8813.pcap
          samples/spam/ndpi/smtp-starttls.pcap)

# collect NAME LISTEN EXPORT_ARGS CAPTURE [collect options]: softflowd's records of CAPTURE in
# $tmp/NAME.jsonl and $tmp/NAME.ipfix, the collector's messages in $tmp/NAME.err; the collector's
# exit status in $tmp/NAME.status.
collect() {
    local name=$1 listen=$2 exp=$3 capture=$4
    shift 4
    # not under timeout(1): it passes SIGINT on to its child and to the child's process group,
    # and a second SIGINT ends flowdx at once (as it ends a stuck probe)
    "$flowdx" collect -l "$listen" --format jsonl -o "$tmp/$name.jsonl" \
        --ipfix "$tmp/$name.ipfix" --stats 0 "$@" 2> "$tmp/$name.err" &
    local pid=$! port=""
    for _ in $(seq 100); do
        port=$(grep -o 'listening on [a-z]*://127.0.0.1:[0-9]*' "$tmp/$name.err" | sed 's/.*://')
        [ -n "$port" ] && break
        sleep 0.05
    done
    # shellcheck disable=SC2086
    timeout 60 softflowd -r "$capture" -c none $exp -n "127.0.0.1:$port" -d > "$tmp/$name.sf" 2>&1
    sleep 0.5 # what softflowd sent is queued at the collector's socket; SIGINT reads it
    stop INT "$pid" # still running after 30 s: killed, a failure (status 137)
    echo "$rc" > "$tmp/$name.status"
}

n=0
for capture in "${captures[@]}"; do
    base=$(basename "$capture")
    "$flowdx" extract -q -f flowrec -r "$capture" -o "$tmp/$base.csv"
    check "$base: flowdx extract -f flowrec equals the capture" \
        python3 "$here/collect_check.py" "$capture" --extracted "$tmp/$base.csv"
    for exp in "-v 5" "-v 9" "-v 10" "-v 10 -b"; do
        n=$((n + 1))
        name="run$n"
        extra=()
        [ "$exp" = "-v 5" ] && extra=(--no-ipv6) # NetFlow v5 has no IPv6 (softflowd skips it)
        collect "$name" udp://127.0.0.1:0 "$exp" "$capture" --pair-wait 1
        check "$base, softflowd $exp: collect exits 0" test "$(cat "$tmp/$name.status")" -eq 0
        check "$base, softflowd $exp: no malformed datagram" \
            grep -q ' malformed=0 unsupported=0 no_template=0 ' "$tmp/$name.err"
        check "$base, softflowd $exp: the records equal the capture" \
            python3 "$here/collect_check.py" "$capture" --collected "$tmp/$name.jsonl" "${extra[@]}"
        ipfixDump --rfc5610 -i "$tmp/$name.ipfix" > "$tmp/$name.dump" 2>&1
        check "$base, softflowd $exp: ipfixDump shows the JSON lines' values and verdicts" \
            python3 "$here/ipfix_json1.py" "$tmp/$name.dump" "$tmp/$name.jsonl" Flowrec
    done
done

# How each export arrived: one-way records paired for v5 and v9 (softflowd sends both directions
# as two records), biflows with -b; emotet has 6 TCP connections (tshark: 6 conversations).
check "emotet: 6 conversations (tshark)" \
    test "$(tshark -r samples/spam/ndpi/emotet.pcap -q -z conv,tcp | grep -c '<->')" -eq 6
check "emotet, v9: 12 records paired into 6 flows" \
    grep -q ' v9=1 .* records=12 biflows=0 paired=6 unpaired=0 flows=6 ' "$tmp/run2.err"
check "emotet, IPFIX -b: 6 biflows" \
    grep -q ' ipfix=1 .* records=6 biflows=6 paired=0 unpaired=0 flows=6 ' "$tmp/run4.err"
check "emotet: the port-587 flow is judged by the spam detector" \
    grep -q '"dst_port":587,.*"verdicts":{"spam":{"verdict":' "$tmp/run2.jsonl"
# the capture has one direction only: its one record waits for a reverse that never comes
check "one side only, v9: the lone record is released unpaired" \
    grep -q ' records=1 biflows=0 paired=0 unpaired=1 flows=1 ' "$tmp/run6.err"
# ... and, with no packet in one direction, it is counted and not judged (the shipped
# model knows two-way sessions only), unless --judge-one-way
check "one side only: not judged, and counted" \
    grep -q ' flows=1 judged=0 malicious=0 uncertain=0 one_way=1 ' "$tmp/run6.err"
check "one side only: the reason is given" grep -q "1 flow not judged: no packet in one direction" \
    "$tmp/run6.err"
check "one side only: its JSON line names the detector that declined it" \
    grep -q '"verdicts":{},"declined":\["spam"\],"features"' "$tmp/run6.jsonl"
collect oneway udp://127.0.0.1:0 "-v 9" samples/spam/zeek/smtp-one-side-only.pcap \
    --pair-wait 1 --judge-one-way
check "one side only, --judge-one-way: judged" \
    grep -q ' flows=1 judged=1 .* one_way=0 ' "$tmp/oneway.err"
check "... with a verdict in its JSON line, and not declined" bash -c \
    'grep -q "\"verdicts\":{\"spam\":{\"verdict\":" "$0" && ! grep -q "\"declined\"" "$0"' \
    "$tmp/oneway.jsonl"
# A flowrec model trained on a one-way row (the same capture's, its rpackets 0, labelled ham, with
# site A's seed-1 rows; without the TTL and lengths, as scripts/build-spam-flowrec-model.sh, since
# NetFlow v9 records lack them) records it, and collect judges the lone record without
# --judge-one-way.
printf 'label,addr,peer,port,start,end\nham,192.150.187.22,,,,\n' > "$tmp/one-rules.csv"
"$flowdx" label -i "$tmp/smtp-one-side-only.pcap.csv" -l "$tmp/one-rules.csv" \
    -o "$tmp/one-ham.csv" 2> /dev/null
"$flowdx" train -q -i samples/spam/lab/flowrec-site-A-seed1.csv --add "$tmp/one-ham.csv" \
    --model weighted-trees --feature-set flowrec --params wtrees.trees=5 --folds 2 -o "$tmp/ow.fdxm" \
    --exclude min_ttl,max_ttl,rmin_ttl,rmax_ttl,min_len,max_len,rmin_len,rmax_len > /dev/null
check "a flowrec model with the one-way row records it" \
    bash -c '"$0" model show "$1" | grep -q "^one-way rows:  1 ("' "$flowdx" "$tmp/ow.fdxm"
collect owmodel udp://127.0.0.1:0 "-v 9" samples/spam/zeek/smtp-one-side-only.pcap \
    --pair-wait 1 -m "$tmp/ow.fdxm"
check "one side only, that model: judged without --judge-one-way" \
    grep -q ' flows=1 judged=1 .* one_way=0 ' "$tmp/owmodel.err"

# IPFIX over TCP (softflowd -P tcp) to a TCP listener
collect tcp tcp://127.0.0.1:0 "-v 10 -P tcp" samples/spam/ndpi/emotet.pcap
check "IPFIX over TCP: collect exits 0" test "$(cat "$tmp/tcp.status")" -eq 0
check "IPFIX over TCP: the records equal the capture" \
    python3 "$here/collect_check.py" samples/spam/ndpi/emotet.pcap --collected "$tmp/tcp.jsonl"

# The checks can fail: one value, one record, one IPFIX value changed.
sed '1s/"packets":\[\([0-9]*\),/"packets":[1\1,/; 1s/"features":{"packets":\([0-9]*\),/"features":{"packets":1\1,/' \
    "$tmp/run2.jsonl" > "$tmp/changed.jsonl"
check "a changed packet count is found" bash -c \
    '! python3 "$1" "$2" --collected "$3" 2> /dev/null' _ "$here/collect_check.py" \
    samples/spam/ndpi/emotet.pcap "$tmp/changed.jsonl"
sed '2d' "$tmp/run2.jsonl" > "$tmp/dropped.jsonl"
check "a missing record is found" bash -c \
    '! python3 "$1" "$2" --collected "$3" 2> /dev/null' _ "$here/collect_check.py" \
    samples/spam/ndpi/emotet.pcap "$tmp/dropped.jsonl"
check "a JSON value the IPFIX record does not have is found" bash -c \
    '! python3 "$1" "$2" "$3" Flowrec 2> /dev/null' _ "$here/ipfix_json1.py" "$tmp/run2.dump" \
    "$tmp/changed.jsonl"

# A model that reads IP lengths, which softflowd does not export: nothing is judged, and it says so.
collect len udp://127.0.0.1:0 "-v 9" samples/spam/ndpi/emotet.pcap \
    -m conf/models/spam-flowrec-len.fdxm
check "length model: no verdict without lengths" bash -c '! grep -q "\"spam\":" "$1"' _ \
    "$tmp/len.jsonl"
check "length model: the reason is given" grep -q "reads 'min_len', which flow" "$tmp/len.err"
check "length model: the count is given" grep -q "1 flow not judged" "$tmp/len.err"

# softflowd -b puts the two ICMP echo directions of one address pair into two biflow records with
# the same forward source, so one of them has an empty forward direction: it must still pair with the
# other into one flow per echo exchange, initiated by the pinging host (collect_check.py: tshark)
collect icmpb udp://127.0.0.1:0 "-v 10 -b" samples/doh/ndpi/googledns_android10.pcap --pair-wait 1
check "softflowd -b, ICMP both ways: collect exits 0" test "$(cat "$tmp/icmpb.status")" -eq 0
check "softflowd -b, ICMP both ways: the records equal the capture" \
    python3 "$here/collect_check.py" samples/doh/ndpi/googledns_android10.pcap --collected "$tmp/icmpb.jsonl"

# flowdx's own export collected by flowdx: extract -f flowrec sends every flowrec value, the
# lengths, TTLs and TCP flags as its own float64 elements (doc/ipfix.md), which collect reads as the
# IANA elements of the same meaning. Every collected flow must have extract's 15 values (taken
# from the packets by the engine), and the default model must judge the TCP flows.
for capture in samples/spam/ndpi/emotet.pcap samples/doh/korving/korving_c2_dns2tcp_txt_177c8813.pcap; do
    base=$(basename "$capture" .pcap)
    "$flowdx" collect -l udp://127.0.0.1:0 --format jsonl -o "$tmp/own-$base.jsonl" --stats 0 \
        --ports all 2> "$tmp/own-$base.err" &
    pid=$! port=""
    for _ in $(seq 100); do
        port=$(grep -o 'listening on udp://127.0.0.1:[0-9]*' "$tmp/own-$base.err" | sed 's/.*://')
        [ -n "$port" ] && break
        sleep 0.05
    done
    "$flowdx" extract -q -f flowrec -r "$capture" --format jsonl -o "$tmp/own-$base.ext.jsonl" \
        --ipfix "udp://127.0.0.1:$port"
    sleep 0.5
    stop INT "$pid"
    check "$base: flowdx's own IPFIX collected: exit 0" test "$rc" -eq 0
    check "$base: flowdx's own IPFIX collected: every flowrec value is extract's" python3 - \
        "$tmp/own-$base.ext.jsonl" "$tmp/own-$base.jsonl" <<'PY'
import json, math, sys
key = lambda r: (r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"], r["proto"], r["start_us"])
ext = {key(r): r for r in map(json.loads, open(sys.argv[1]))}
got = {key(r): r["features"] for r in map(json.loads, open(sys.argv[2]))}
assert len(ext) == len(got) and len(got) > 0, (len(ext), len(got))
for k, e in ext.items():
    for name, v in got[k].items():
        w = e[name]
        same = (v is None and w is None) or (v is not None and w is not None and math.isclose(v, w, abs_tol=1e-6))
        assert same, (k, name, v, w)
print(len(got), "flows, every value equal")
PY
    check "$base: flowdx's own IPFIX collected: no TCP flow lacks an input" \
        bash -c '! grep -q "not judged: their records lack" "$1"' _ "$tmp/own-$base.err"
done

# -q: no statistics lines, but the port that 0 picked is still said (it is where to send)
collect quiet udp://127.0.0.1:0 "-v 9" samples/spam/ndpi/emotet.pcap -q
check "collect -q: exits 0" test "$(cat "$tmp/quiet.status")" -eq 0
check "collect -q, PORT 0: the listening line is there" grep -q "listening on udp://" "$tmp/quiet.err"
check "collect -q: no statistics line" bash -c '! grep -q " end: " "$1"' _ "$tmp/quiet.err"
check "collect -q: the records are written" \
    python3 "$here/collect_check.py" samples/spam/ndpi/emotet.pcap --collected "$tmp/quiet.jsonl"

# A model of packets' features is refused.
"$flowdx" collect -l udp://127.0.0.1:0 -m conf/models/spam.fdxm > /dev/null 2> "$tmp/zadnik.err"
check "a zadnik model is refused (exit 2)" test $? -eq 2
check "... with the reason" grep -q "reads the feature set 'zadnik'" "$tmp/zadnik.err"
finish
