#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx run -i on one end of a veth pair, in network namespaces of this test's own, while
# tcpreplay sends captures into the other end at their original speed: the verdicts per flow must
# be those of flowdx run -r on the same files. Also: a bad interface, no permission, --user,
# SIGINT and SIGTERM (everything flushed), idle timeouts on a quiet interface, statistics.
# Usage: live_cli.sh FLOWDX TOP   (as root; exit status 77 = skipped)
# The captures are those bundled in TOP/samples.
set -uo pipefail
flowdx=$1
top=$2
here=$(cd "$(dirname "$0")" && pwd)

. "$here/checks.sh"
need_root "network namespaces, capture" ip tcpreplay ethtool python3 timeout
korving=$top/samples/doh/korving/korving_c2_dns2tcp_txt_177c8813.pcap
spam=$top/samples/spam/ndpi
ns_cap=fdxlive-$$-cap
ns_rep=fdxlive-$$-rep
pids=()
teardown() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2> /dev/null; done
    netns_del "$ns_cap" "$ns_rep"
    rm -rf "$tmp"
}
trap teardown EXIT
trap 'exit 1' INT TERM

# Two namespaces joined by a veth pair: cap0 (captured) and rep0 (replayed into). No addresses and
# no IPv6, so the kernel sends nothing of its own on the link: every packet captured is one
# tcpreplay sent. Offloads off (as in the labs): no GRO merging of segments on the way. The MTU
# fits the captures' largest frame (2347 bytes).
set -e
netns_add "$ns_cap" "$ns_rep"
ip -n "$ns_cap" link add cap0 mtu 9000 type veth peer name rep0 mtu 9000 netns "$ns_rep"
ip netns exec "$ns_cap" ethtool -K cap0 tso off gso off gro off
ip netns exec "$ns_rep" ethtool -K rep0 tso off gso off gro off
ip -n "$ns_cap" link set cap0 up
ip -n "$ns_rep" link set rep0 up
set +e

in_cap() { ip netns exec "$ns_cap" "$@"; }
# tcpreplay keeps each packet's time to a few microseconds (it adds about 3 us to every gap,
# measured with tcpdump on cap0), but a preempted sender is late by milliseconds: a higher
# priority makes that rarer.
replay() {
    ip netns exec "$ns_rep" nice -n -10 timeout 120 tcpreplay -q -i rep0 "$@" \
        > "$tmp/replay.log" 2>&1
}
# Start flowdx run -i in the capture namespace (ip netns exec execs it: $! is flowdx), output
# in $tmp/NAME.out and .err; wait until it listens. Stopped with stop SIGNAL "$pid" (checks.sh).
# A start that never listens is a failed check: the checks its caller skips must not let the
# script pass.
start() {
    local name=$1
    shift
    ip netns exec "$ns_cap" "$flowdx" run -i cap0 "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    pid=$!
    pids+=("$pid")
    check "$name: flowdx listens on cap0" await "$pid" "$tmp/$name.err" "listening on cap0"
    grep -q "listening on cap0" "$tmp/$name.err"
}
lines() { if [ -s "$1" ]; then wc -l < "$1"; else echo 0; fi; }
packets_in() { python3 "$here/live_compare.py" --count "$1"; }

# ---- errors ----
out=$(in_cap "$flowdx" run -i nosuch0 --detect doh -m "$top/conf/models/doh.fdxm" 2>&1)
rc=$?
check "no such interface: exit 1, named ($out)" \
    bash -c '[ "$1" -eq 1 ] && grep -q "nosuch0: no such interface" <<< "$2"' _ "$rc" "$out"
out=$(in_cap "$flowdx" run -i cap0 --detect doh -m "$top/conf/models/doh.fdxm" \
    --filter 'tcp port banana' 2>&1)
rc=$?
check "bad filter: exit 2 (a bad value), libpcap's reason ($out)" \
    bash -c '[ "$1" -eq 2 ] && grep -q "filter .tcp port banana.: .*banana" <<< "$2"' _ "$rc" "$out"
out=$("$flowdx" run -i cap0 -r "$korving" --detect doh 2>&1)
rc=$?
check "-i with -r: exit 2" bash -c '[ "$1" -eq 2 ] && grep -q "exclude" <<< "$2"' _ "$rc" "$out"
out=$(in_cap "$flowdx" run -i cap0 --detect doh --user no-such-user-fdx 2>&1)
rc=$?
check "--user naming no user: exit 2" \
    bash -c '[ "$1" -eq 2 ] && grep -q "no such user" <<< "$2"' _ "$rc" "$out"
if command -v setpriv > /dev/null && id nobody > /dev/null 2>&1; then
    out=$(in_cap setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
        "$flowdx" run -i cap0 --detect doh -m "$top/conf/models/doh.fdxm" 2>&1)
    rc=$?
    check "no permission: exit 1, says root or CAP_NET_RAW ($out)" \
        bash -c '[ "$1" -eq 1 ] && grep -q "run as root or give the program CAP_NET_RAW" <<< "$2"' \
        _ "$rc" "$out"
fi

# ---- DoH: a dns2tcp tunnel over DoH (Korving), 29.8 s, 2517 packets, replayed as it was ----
# The capture is Linux cooked; sll2eth.py makes it Ethernet for tcpreplay (only the link header
# changes). Reference: flowdx run -r on the same file.
python3 "$here/sll2eth.py" "$korving" "$tmp/doh.pcap"
doh=(--detect doh -m "$top/conf/models/doh.fdxm" --doh-server 192.168.0.10 --format jsonl)
"$flowdx" run "${doh[@]}" -r "$tmp/doh.pcap" -o "$tmp/doh-ref.jsonl" 2> "$tmp/doh-ref.err"
sent=$(packets_in "$tmp/doh.pcap")
if start doh "${doh[@]}" --stats 2; then
    t0=$(date +%s)
    replay "$tmp/doh.pcap"
    t1=$(date +%s)
    sleep 0.5 # the last packets reach the capture (they wait at most the 100 ms read timeout)
    stop INT "$pid"
    check "DoH: SIGINT: exit 0 ($rc)" test "$rc" -eq 0
    check "DoH: replay took the capture's 30 s ($((t1 - t0)) s)" \
        bash -c '[ "$1" -ge 28 ] && [ "$1" -le 40 ]' _ "$((t1 - t0))"
    captured=$(grep -o "[0-9]* packets captured" "$tmp/doh.err" | cut -d' ' -f1)
    check "DoH: every packet sent was captured ($captured of $sent), summary has libpcap drops" \
        bash -c '[ "$1" = "$2" ] && grep -q "0 dropped by libpcap" "$3"' _ "${captured:-none}" \
        "$sent" "$tmp/doh.err"
    check "DoH: the same number of flows as -r" \
        test "$(grep -o '^flowdx run: [0-9]* flows' "$tmp/doh.err")" = \
        "$(grep -o '^flowdx run: [0-9]* flows' "$tmp/doh-ref.err")"
    check "DoH: statistics lines every 2 s with every field" \
        bash -c '[ "$(grep -c "stats: elapsed=.* packets=.* pps=.* bytes=.* flows_active=.* flows_finished=.* drops=0 ifdrops=0 over_mtu=0 malformed=.* skipped=.* alerts=" "$1")" -ge 10 ]' \
        _ "$tmp/doh.err"
    check "DoH: the same flows and verdicts as -r" \
        python3 "$here/live_compare.py" "$tmp/doh-ref.jsonl" "$tmp/doh.out"
    check "DoH: the last statistics line comes after the flush (no flow active)" \
        bash -c 'grep "stats: elapsed=" "$1" | tail -n 1 | grep -q " flows_active=0 "' _ "$tmp/doh.err"
    cat "$tmp/doh.err"
fi

# ---- the same replay with the configuration file: flowdx run -c with input.interface ----
# Both detectors through their plugins; the live run's final verdicts must be those of -c with -r.
cat > "$tmp/live.yaml" <<YAML
input: {interface: cap0, stats_interval: 0}
detectors:
  spam: {model: $top/conf/models/spam.fdxm}
  doh: {model: $top/conf/models/doh.fdxm, servers: [192.168.0.10]}
outputs:
  alerts: {enabled: false}
  jsonl: {file: $tmp/cfg-live.jsonl}
YAML
"$flowdx" run -c "$tmp/live.yaml" -r "$tmp/doh.pcap" 2> /dev/null
mv "$tmp/cfg-live.jsonl" "$tmp/cfg-ref.jsonl"
ip netns exec "$ns_cap" "$flowdx" run -c "$tmp/live.yaml" > /dev/null 2> "$tmp/cfg.err" &
pid=$!
pids+=("$pid")
check "-c live: flowdx listens on cap0" await "$pid" "$tmp/cfg.err" "listening on cap0"
replay "$tmp/doh.pcap"
sleep 0.5
stop INT "$pid"
check "-c live: SIGINT: exit 0 ($rc)" test "$rc" -eq 0
check "-c live: the same flows and DoH verdicts as -c with -r" python3 -c '
import json, sys
def load(p):
    out = {}
    for line in open(p):
        o = json.loads(line)
        out[(o["src_addr"], o["src_port"], o["dst_addr"], o["dst_port"])] = o["verdicts"]
    return out
ref, live = load(sys.argv[1]), load(sys.argv[2])
assert ref.keys() == live.keys(), (len(ref), len(live))
doh = [k for k in ref if "doh" in ref[k]]
assert len(doh) == 34, len(doh)
bad = [k for k in doh if ref[k]["doh"]["verdict"] != live[k].get("doh", {}).get("verdict")]
assert not bad, bad
print(len(ref), "flows,", len(doh), "judged by doh, same verdicts")
' "$tmp/cfg-ref.jsonl" "$tmp/cfg-live.jsonl"

# ---- SIGHUP: the configuration is read again; a bad file is refused and the old one runs on ----
# ---- and the output files are opened again (log rotation); a restart appends ----
write_cfg() { # DETECTORS-MAPPING [EXTRA-LINE]
    cat > "$tmp/hup.yaml" <<YAML
input: {interface: cap0, stats_interval: 1s}
flows: {idle_timeout: 2s, linger: 1s}
detectors: $1
outputs:
  alerts: {enabled: false}
  jsonl: {file: $tmp/hup.jsonl}
${2:-}
YAML
}
write_cfg "{spam: {model: $top/conf/models/spam.fdxm}}"
ip netns exec "$ns_cap" "$flowdx" run -c "$tmp/hup.yaml" > /dev/null 2> "$tmp/hup.err" &
pid=$!
pids+=("$pid")
check "SIGHUP: flowdx listens on cap0" await "$pid" "$tmp/hup.err" "listening on cap0"
replay "$spam/smtp.pcap"
sleep 4 # linger 1 s, the clock's lag, the flow's own time
write_cfg "{spam: {model: $top/conf/models/spam.fdxm}}" "detetcors: {}"
kill -HUP "$pid"
sleep 1
check "SIGHUP with a bad file: refused, located, still running" bash -c \
    'grep -q "SIGHUP: .*hup.yaml:[0-9]*:[0-9]*: unknown key .detetcors." "$1" && grep -q "refused; the running configuration stays" "$1" && kill -0 "$2"' \
    _ "$tmp/hup.err" "$pid"
write_cfg "{doh: {model: $top/conf/models/doh.fdxm, servers: [192.168.0.10]}}"
mv "$tmp/hup.jsonl" "$tmp/hup.jsonl.1" # as logrotate does, before it sends SIGHUP
kill -HUP "$pid"
sleep 1.5
check "SIGHUP with a good file: reloaded, now the DoH detector alone" \
    grep -q "SIGHUP: .*hup.yaml reloaded (1 plugins)" "$tmp/hup.err"
check "SIGHUP: the rotated output was opened again" \
    bash -c 'grep -q "SIGHUP: 1 output file reopened" "$1" && [ -e "$2" ]' _ "$tmp/hup.err" \
    "$tmp/hup.jsonl"
replay "$spam/smtp.pcap"
sleep 4
stop INT "$pid"
check "SIGHUP: exit 0 after SIGINT ($rc)" test "$rc" -eq 0
cat "$tmp/hup.err"
# 95 packets before the reload and 95 after: the line's counters go on over the engine the reload
# replaced (they used to restart from 0, and pps wrapped to about 1.8e19 at the first line after)
check "SIGHUP: the statistics go on over the reload (packets 95 then 190, never back)" python3 -c '
import re, sys
lines = [l for l in open(sys.argv[1]) if ": stats: " in l]
packets = [int(re.search(r" packets=(\d+)", l).group(1)) for l in lines]
finished = [int(re.search(r" flows_finished=(\d+)", l).group(1)) for l in lines]
pps = [float(re.search(r" pps=([0-9.e+]+)", l).group(1)) for l in lines]
assert packets == sorted(packets) and finished == sorted(finished), (packets, finished)
assert 95 in packets and packets[-1] == 190, packets
assert max(pps) < 1000, pps
' "$tmp/hup.err"
check "SIGHUP: the summary still counts the detector the reload removed" \
    grep -q "flowdx run: .*spam: 1 judged, .*doh: 0 judged" "$tmp/hup.err"
# the resolver the reloaded file names: smtp.pcap has no conversation with it (tshark -z conv,ip
# lists one, 194.7.248.153 <-> 172.16.114.207), so the reloaded list's server is warned of
check "SIGHUP: the reloaded file's DoH server, which no flow reached, is warned of" \
    grep -q "warning: $tmp/hup.yaml:3:[0-9]*: detectors.doh.servers 192.168.0.10: no TCP flow to it on port 443 in the input (0 flows to it otherwise)" \
    "$tmp/hup.err"
check "the SMTP session before the reload was judged by spam, the one after by nothing" python3 -c '
import json, sys
before = [json.loads(l) for l in open(sys.argv[1])]
after = [json.loads(l) for l in open(sys.argv[2])]
smtp = [r for r in before + after if r["dst_port"] == 25]
assert len(smtp) == 2 and smtp[0] in before and smtp[1] in after, smtp
assert list(smtp[0]["verdicts"]) == ["spam"] and "spam_sp" in smtp[0]["features"], smtp[0]["verdicts"]
assert smtp[1]["verdicts"] == {} and "doh_duration" in smtp[1]["features"], smtp[1]["verdicts"]
ids = [r["flow_id"] for r in before + after]
assert len(set(ids)) == len(ids) and smtp[1]["flow_id"] > smtp[0]["flow_id"], ids
' "$tmp/hup.jsonl.1" "$tmp/hup.jsonl"
# a restart appends to the file (it used to be emptied); a line an earlier run left cut is ended
rows=$(lines "$tmp/hup.jsonl")
printf '{"cut": ' >> "$tmp/hup.jsonl"
ip netns exec "$ns_cap" "$flowdx" run -c "$tmp/hup.yaml" > /dev/null 2> "$tmp/hup2.err" &
pid=$!
pids+=("$pid")
check "restart: flowdx listens on cap0" await "$pid" "$tmp/hup2.err" "listening on cap0"
replay "$spam/smtp.pcap"
stop INT "$pid"
check "restart: the file kept its $rows rows and the cut line, and got the new one" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "" and lines[int(sys.argv[2])] == "{\"cut\": ", lines
rows = [json.loads(l) for l in lines[:int(sys.argv[2])] + lines[int(sys.argv[2]) + 1:-1]]
assert len(rows) == int(sys.argv[2]) + 1 and rows[-1]["dst_port"] == 25, rows
' "$tmp/hup.jsonl" "$rows"
# the CSV output of a live run is appended to as well: a file of other columns is refused
printf 'a,b,c\n1,2,3\n' > "$tmp/other.csv"
write_cfg "{doh: {model: $top/conf/models/doh.fdxm}}" "  csv: {file: $tmp/other.csv}"
out=$(in_cap timeout 20 "$flowdx" run -c "$tmp/hup.yaml" 2>&1)
rc=$?
check "a live CSV output whose header is not the run's is refused (exit 1) and left as it was" \
    bash -c '[ "$1" -eq 1 ] && grep -q "other.csv already holds other rows" <<< "$2" && [ "$(cat "$3")" = "$(printf "a,b,c\n1,2,3")" ]' \
    _ "$rc" "$out" "$tmp/other.csv"

# ---- spam, as user nobody: idle timeout on a quiet interface, then SIGTERM flushes ----
# smtps.pcapng (4 packets, no FIN) must end by the idle timeout (2 s) while nothing arrives;
# smtp.pcap (95 packets, closed by FIN) is still lingering when SIGTERM comes, and is written.
spam_opts=(--detect spam -m "$top/conf/models/spam.fdxm" --format jsonl --idle-timeout 2)
"$flowdx" run "${spam_opts[@]}" -r "$spam/smtps.pcapng" -o "$tmp/spam-ref1.jsonl" 2> /dev/null
"$flowdx" run "${spam_opts[@]}" -r "$spam/smtp.pcap" -o "$tmp/spam-ref2.jsonl" 2> /dev/null
cat "$tmp/spam-ref1.jsonl" "$tmp/spam-ref2.jsonl" > "$tmp/spam-ref.jsonl"
mkdir "$tmp/nobody"
chown nobody "$tmp/nobody"
chmod o+x "$tmp"
if start spam "${spam_opts[@]}" --user nobody -o "$tmp/nobody/spam.jsonl" --ipfix "$tmp/nobody/spam.ipfix"; then
    ids=$(awk '/^Uid:|^Gid:/ {print $2, $3, $4, $5}' "/proc/$pid/status" | tr '\n' ' ')
    u=$(id -u nobody)
    g=$(id -g nobody)
    check "--user nobody: real, effective, saved and file uid and gid are nobody's ($ids)" \
        test "$ids" = "$u $u $u $u $g $g $g $g "
    replay "$spam/smtps.pcapng"
    sleep 3.5 # idle timeout 2 s, the clock's lag 0.2 s, the time the flow took
    check "quiet interface: the idle flow was written before any signal" \
        bash -c '[ "$(grep -c "\"end_reason\":\"idle\"" "$1")" -eq 1 ]' _ "$tmp/nobody/spam.jsonl"
    # log rotation: the files are moved away, SIGUSR1 opens new ones (as nobody) for what follows
    mv "$tmp/nobody/spam.jsonl" "$tmp/nobody/spam.jsonl.1"
    mv "$tmp/nobody/spam.ipfix" "$tmp/nobody/spam.ipfix.1"
    kill -USR1 "$pid"
    check "SIGUSR1: the output was opened again" \
        await "$pid" "$tmp/spam.err" "SIGUSR1: $tmp/nobody/spam.jsonl reopened"
    check "SIGUSR1: the IPFIX file was opened again" \
        await "$pid" "$tmp/spam.err" "SIGUSR1: $tmp/nobody/spam.ipfix reopened"
    replay "$spam/smtp.pcap"
    check "the FIN flow is not written yet (it lingers 2 s)" \
        test "$(lines "$tmp/nobody/spam.jsonl")" -eq 0
    stop TERM "$pid"
    check "SIGTERM: exit 0 ($rc)" test "$rc" -eq 0
    check "SIGTERM: the open flow was flushed (end reason eof) into the new file" \
        bash -c '[ "$(grep -c "\"end_reason\":\"eof\"" "$1")" -eq 1 ] && [ "$(wc -l < "$1")" -eq 1 ]' \
        _ "$tmp/nobody/spam.jsonl"
    check "--user nobody: both output files belong to nobody" \
        test "$(stat -c %U "$tmp/nobody/spam.jsonl" "$tmp/nobody/spam.jsonl.1")" = "$(printf 'nobody\nnobody')"
    # the idle flow went to the IPFIX file before the rotation, the flushed one after, each file
    # starting with its templates (ipfixDump decodes a data record only after its template)
    if command -v ipfixDump > /dev/null; then
        check "SIGUSR1: one IPFIX record in each file, the idle flow's then the flushed one's" bash -c \
            '[ "$(ipfixDump -i "$1" 2> /dev/null | grep -c "flowEndReason : 1$")" -eq 1 ] &&
             [ "$(ipfixDump -i "$2" 2> /dev/null | grep -c "flowEndReason : 4$")" -eq 1 ] &&
             [ "$(ipfixDump -i "$1" 2> /dev/null | grep -c "flowId : ")" -eq 1 ] &&
             [ "$(ipfixDump -i "$2" 2> /dev/null | grep -c "flowId : ")" -eq 1 ]' \
            _ "$tmp/nobody/spam.ipfix.1" "$tmp/nobody/spam.ipfix"
    fi
    cat "$tmp/nobody/spam.jsonl.1" "$tmp/nobody/spam.jsonl" > "$tmp/spam-live.jsonl"
    check "spam: every packet sent was captured (99)" grep -q "99 packets captured" "$tmp/spam.err"
    check "spam: the same flows, verdicts and features as -r" \
        python3 "$here/live_compare.py" --all-features "$tmp/spam-ref.jsonl" \
        "$tmp/spam-live.jsonl"
    cat "$tmp/spam.err"
fi

# ---- -r: SIGTERM while the input is still open stops reading and keeps what was read ----
mkfifo "$tmp/fifo"
"$flowdx" run "${spam_opts[@]}" -r - -o "$tmp/pipe.jsonl" < "$tmp/fifo" 2> "$tmp/pipe.err" &
pid=$!
pids+=("$pid")
exec 7> "$tmp/fifo" # the writer stays open: flowdx waits for more
cat "$spam/smtp.pcap" >&7
sleep 2
stop TERM "$pid"
exec 7>&-
check "-r: SIGTERM: exit 3, interrupted, the flow read was written" \
    bash -c '[ "$1" -eq 3 ] && grep -q interrupted "$2" && [ "$(wc -l < "$3")" -eq 1 ]' \
    _ "$rc" "$tmp/pipe.err" "$tmp/pipe.jsonl"

finish
