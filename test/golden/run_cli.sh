#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx run --detect doh on the Korving and nDPI captures: candidates (resolver lists, nDPI),
# alerts, JSON lines, and verdicts that do not depend on the link type or on nDPI.
# Usage: run_cli.sh FLOWDX SAMPLES_DIR
set -uo pipefail
flowdx=$1
samples=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

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
check "all 64 from --doh-server, none from the built-in list (192.168.0.10 is private)" \
    grep -q "(by source: --doh-server 64, resolver list 0," "$tmp/err"
check "one JSON line per candidate" test "$(wc -l < "$tmp/all.jsonl")" -eq 64
check "the closing lines name the file written" grep -qxF "flowdx run: output: $tmp/all.jsonl" "$tmp/err"
check "the resolver was reached: no warning about it" bash -c '! grep -q "warning: --doh-server" "$0"' "$tmp/err"
# Offloads where the captures were made: tcpdump -vnr FILE 'ip[2:2] > 1500 and not net
# 127.0.0.0/8' lists 34, 27 and 7 packets (iodine's has 6 more on loopback, whose MTU is 64 KiB),
# the largest of 2331 bytes (IP's length field) in each file.
check "packets over 1500 bytes of IP: one warning for the three captures" grep -qF "flowdx run: warning: the captures: 68 packets longer than 1500 bytes of IP, the largest 2331 bytes: they were probably made with offloads on" "$tmp/err"
# A mistyped resolver (.11: tshark lists no conversation with it) finds nothing; the run says so,
# also with -q, rather than look like a capture without tunnels.
"$flowdx" run --detect doh -m "$tmp/m.fdxm" --doh-server 192.168.0.11 -q \
    -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" > "$tmp/typo.out" 2> "$tmp/typo.err"
check "a --doh-server no flow went to: a warning, exit 0" bash -c '[ "$1" -eq 0 ] && grep -qF "warning: --doh-server 192.168.0.11: no TCP flow to it on port 443 in the input (0 flows to it otherwise)" "$2"' _ $? "$tmp/typo.err"
# The same through the plugins (--detect doh,spam runs the probe on a generated configuration):
# the warning names the option, not a place in that text.
# (From the top of the tree, where the shipped models are found.)
(cd "$samples/.." && "$flowdx" run --detect doh,spam --doh-server 192.168.0.11 -q -o /dev/null \
    -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" 2> "$tmp/typo2.err")
check "--detect doh,spam: the same warning, exit 0" bash -c '[ "$1" -eq 0 ] && grep -qxF "flowdx run: warning: --doh-server 192.168.0.11: no TCP flow to it on port 443 in the input (0 flows to it otherwise): is it the resolver'"'"'s address?" "$2"' _ $? "$tmp/typo2.err"
# Without --doh-server the private resolver is on no list: no candidate, and a note on the 34
# connections to 192.168.0.10:443 (the tshark count above) that says what to do.
"$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" 2> "$tmp/none.err" > /dev/null
check "no --doh-server, no candidate: a note names --doh-server and --all-tls" grep -qF \
    "note: none of the 34 TCP flows to port 443 went to a resolver of the built-in list or was recognised as DoH by nDPI; name your resolver with --doh-server ADDR, or judge every one with --all-tls" "$tmp/none.err"
"$flowdx" run --detect doh -m "$tmp/m.fdxm" --doh-server 192.168.0.10:443 -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" 2> "$tmp/port.err"
check "--doh-server with a port: exit 2, the hint says the port is 443" bash -c '[ "$1" -eq 2 ] && grep -qF "(an address without a port: the port is 443)" "$2"' _ $? "$tmp/port.err"
check "each line has a verdict, the jury's, pair evidence, votes and the 29 features" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["verdict"] in ("malicious", "uncertain", "benign") and o["dst_port"] == 443
    assert o["flow_verdict"] in ("malicious", "benign")
    assert sorted(o["pair"]) == ["flagged", "flagged_bytes", "flows", "held"]
    # the rule: a flagged flow is never benign; an unflagged one never uncertain
    assert not (o["flow_verdict"] == "malicious" and o["verdict"] == "benign")
    assert not (o["flow_verdict"] == "benign" and o["verdict"] == "uncertain")
    assert o["dst_addr"] == "192.168.0.10" and len(o["votes"]) == 1 and len(o["features"]) == 29
' "$tmp/all.jsonl"
"$flowdx" run -q --detect doh -m "$tmp/m.fdxm" --doh-server 192.168.0.10 --format jsonl --per-flow \
    -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" -r "$k/korving_c2_dnstt_firefox_68c58a06.pcap" \
    -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" -o "$tmp/perflow.jsonl"
check "--per-flow: the jury's verdicts, the same as flow_verdict with pair evidence" python3 -c '
import json, sys
a = {json.loads(l)["flow_id"]: json.loads(l) for l in open(sys.argv[1])}
b = {json.loads(l)["flow_id"]: json.loads(l) for l in open(sys.argv[2])}
assert sorted(a) == sorted(b) and len(a) == 64
for i, o in b.items():
    assert "pair" not in o and o["verdict"] == o["flow_verdict"] == a[i]["flow_verdict"]
' "$tmp/all.jsonl" "$tmp/perflow.jsonl"
out=$("$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" --pair-share 1.5 2>&1); rc=$?
check "--pair-share out of range: exit 2, named" bash -c "[ $rc -eq 2 ] && grep -q 'pair-share' <<< \"\$0\"" "$out"
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

# nDPI as a source of candidates. Expected values from nDPI's reference outputs (its repository's
# tests/cfgs/default/result/<capture>.out, commit 3b1286ab; Debian's ndpiReader 4.2 says the same):
# dns_doh.pcap is one flow 172.20.10.4:49877 -> 104.16.248.249:443, TLS.DoH_DoT (104.16.248.249,
# Cloudflare, is also in the built-in resolver list); dnscrypt-v2-doh.pcap has 34 TLS.DoH_DoT
# flows: 31 on port 443, of which 3 go to built-in resolvers (1.0.0.1 once, 9.9.9.10 twice), and
# 3 on ports 453 and 8443, where doh:ip has no values; dns_dot.pcap is one DoT flow to
# 8.8.8.8:853.
n="$samples/doh/ndpi"
"$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$n/dns_doh.pcap" --format jsonl \
    -o "$tmp/doh.jsonl" 2> "$tmp/err4"
check "dns_doh: 1 candidate, from nDPI and the resolver list" \
    grep -q "1 DoH candidate classified (by source: --doh-server 0, resolver list 1, nDPI 1, --all-tls 0)" "$tmp/err4"
check "dns_doh: JSON names nDPI's protocol, the model's 29 features only" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1 and rows[0]["dpi"] == "TLS.DoH_DoT", rows
assert len(rows[0]["features"]) == 29 and not any(k.startswith("dpi") for k in rows[0]["features"])
' "$tmp/doh.jsonl"
"$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$n/dns_doh.pcap" --no-dpi --format jsonl \
    -o "$tmp/nodpi.jsonl" 2> "$tmp/err5"
check "dns_doh --no-dpi: from the resolver list alone" \
    grep -q "1 DoH candidate classified (by source: --doh-server 0, resolver list 1, nDPI off, --all-tls 0)" "$tmp/err5"
check "dns_doh --no-dpi: JSON dpi is null" grep -q '"dpi":null' "$tmp/nodpi.jsonl"

"$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$n/dnscrypt-v2-doh.pcap" -o /dev/null 2> "$tmp/err6"
check "dnscrypt: 31 classified thanks to nDPI, 3 of them also listed" \
    grep -q "31 DoH candidates classified (by source: --doh-server 0, resolver list 3, nDPI 31, --all-tls 0)" "$tmp/err6"
check "dnscrypt: 3 nDPI candidates off port 443 not classified" \
    grep -q "3 more candidates not classified: the model's feature set 'doh:ip' has no values for them" "$tmp/err6"
"$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$n/dnscrypt-v2-doh.pcap" --no-dpi -o /dev/null \
    2> "$tmp/err7"
check "dnscrypt --no-dpi: only the 3 listed resolvers" \
    grep -q " 3 DoH candidates classified (by source: --doh-server 0, resolver list 3, nDPI off" "$tmp/err7"
# --no-known-resolvers leaves out the built-in list: with --no-dpi as well, only --doh-server's. 1.0.0.1
# (one of the 3 listed flows above) given as --doh-server is 1 candidate; the other 2 are not.
"$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$n/dnscrypt-v2-doh.pcap" --no-dpi --no-known-resolvers \
    --doh-server 1.0.0.1 -o /dev/null 2> "$tmp/err7b"
check "dnscrypt --no-dpi --no-known-resolvers --doh-server 1.0.0.1: that resolver's 1 flow alone" \
    grep -q " 1 DoH candidate classified (by source: --doh-server 1, resolver list 0, nDPI off" "$tmp/err7b"
(cd "$samples/.." && "$flowdx" run --detect doh,spam -r "$n/dnscrypt-v2-doh.pcap" --no-dpi \
    --no-known-resolvers -o /dev/null 2> "$tmp/err7c") # the shipped models: conf/models of the tree
check "... and with --detect doh,spam (the plugin's known_resolvers: false): none judged" \
    grep -q "doh: 0 judged" "$tmp/err7c"
"$flowdx" run --detect doh -m "$tmp/m.fdxm" -r "$n/dns_dot.pcap" -o /dev/null 2> "$tmp/err8"
check "dns_dot: nDPI candidate on port 853 not classified" bash -c \
    "grep -q ' 0 DoH candidates' '$tmp/err8' && grep -q '1 more candidate not classified' '$tmp/err8'"

# The dpi values never reach the model: with --all-tls, the same 31 flows get the same verdicts,
# scores and features with nDPI on and off.
for mode in dpi no-dpi; do
    opt=(); [ "$mode" = dpi ] || opt=(--no-dpi)
    "$flowdx" run -q --detect doh -m "$tmp/m.fdxm" -r "$n/dnscrypt-v2-doh.pcap" --all-tls \
        "${opt[@]}" --format jsonl -o "$tmp/crypt.$mode.jsonl"
done
check "nDPI on or off: the same 31 verdicts" python3 -c '
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
assert len(a) == len(b) == 31, (len(a), len(b))
for x, y in zip(a, b):
    assert x.pop("dpi") == "TLS.DoH_DoT" and y.pop("dpi") is None
    assert x == y, (x, y)
' "$tmp/crypt.dpi.jsonl" "$tmp/crypt.no-dpi.jsonl"

# The dpi set with another: one row per flow (dnscrypt: 34 flows), and listed with a summary.
"$flowdx" extract -f doh,dpi -r "$n/dnscrypt-v2-doh.pcap" -o "$tmp/dohdpi.csv" 2> /dev/null
check "extract -f doh,dpi: one row per flow, the 3 dpi columns last" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 34 and all(r["dpi_doh"] == "1" for r in rows)
assert list(rows[0])[-3:] == ["dpi_master", "dpi_app", "dpi_doh"]
' "$tmp/dohdpi.csv"
check "flowdx features lists dpi" bash -c "\"\$0\" features | grep -q '^dpi .*nDPI'" "$flowdx"

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
out=$("$flowdx" run --detect moore -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" 2>&1); rc=$?
check "unknown detector: exit 2" bash -c "[ $rc -eq 2 ] && grep -q 'not available' <<< \"\$0\"" "$out"
out=$("$flowdx" run --detect spam -m "$tmp/m.fdxm" -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" 2>&1); rc=$?
check "a DoH model for --detect spam: exit 2, named" bash -c "[ $rc -eq 2 ] && grep -q 'needs a model of the zadnik set' <<< \"\$0\"" "$out"
out=$("$flowdx" run --detect spam --doh-server 10.0.0.1 -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" 2>&1); rc=$?
check "--doh-server with --detect spam: exit 2" bash -c "[ $rc -eq 2 ] && grep -q 'apply to --detect doh' <<< \"\$0\"" "$out"
out=$("$flowdx" run --detect doh -m "$tmp/none.fdxm" -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap" 2>&1); rc=$?
check "missing model: exit 1, named, no hint about the shipped one" bash -c "[ $rc -eq 1 ] && grep -q '$tmp/none.fdxm: No such file' <<< \"\$0\" && ! grep -q 'build-doh-model' <<< \"\$0\"" "$out"
# --idle-timeout: one range for every detector, that of the configuration's flows.idle_timeout
# (flowdx.yaml(5): 1 ms to a day), which --detect doh,spam passes it on as; 0 is below it.
iodine=$k/korving_ft_iodine_private_b64_23a0a5a8.pcap
for det in doh spam doh,spam; do
    for v in 0 0.0005 86401; do
        out=$("$flowdx" run --detect "$det" --idle-timeout "$v" -r "$iodine" -o /dev/null 2>&1); rc=$?
        check "--detect $det --idle-timeout $v: exit 2, the range named" bash -c \
            '[ "$1" -eq 2 ] && [ "$2" = "flowdx run: --idle-timeout: '"'"'$3'"'"' is not a number of seconds from 0.001 to 86400" ]' \
            _ "$rc" "$out" "$v"
    done
done
for v in 0.001 86400; do
    "$flowdx" run -q --detect doh -m "$tmp/m.fdxm" --idle-timeout "$v" -r "$iodine" -o /dev/null
    check "--idle-timeout $v (an end of the range): taken" test $? -eq 0
done
# A capture that cannot be opened must not replace an existing output file.
printf 'earlier results\n' > "$tmp/keep.jsonl"
"$flowdx" run -q --detect doh -m "$tmp/m.fdxm" -r "$tmp/no-such.pcap" --format jsonl \
    -o "$tmp/keep.jsonl" 2> /dev/null
check "failed open keeps the existing output" grep -qx 'earlier results' "$tmp/keep.jsonl"
finish
