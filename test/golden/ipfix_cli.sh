#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx run --ipfix and flowdx extract --ipfix: the IPFIX records of a run, read back with an own
# RFC 7011 decoder and with ipfixDump, equal the JSON lines of the same run (ipfix_compare.py),
# to a file, over UDP and over TCP on loopback; and the refusals.
# Usage: ipfix_cli.sh FLOWDX SOURCE_ROOT IPFIX_REFRESH
set -uo pipefail
flowdx=$1
refresh=$3
samples=$2/samples
doh_model=$2/conf/models/doh.fdxm
spam_model=$2/conf/models/spam.fdxm
here=$(cd "$(dirname "$0")" && pwd)
. "$here/checks.sh"
need_tools ipfixDump # Debian's libfixbuf-tools
compare() { python3 "$here/ipfix_compare.py" "$@"; }
# ipfixDump's text of FILE in FILE.dump; false unless it read the whole file without a warning.
dump() {
    ipfixDump --rfc5610 -i "$1" > "$1.dump" 2> "$1.dump.err" &&
        grep -q '^\*\*\* File Stats: ' "$1.dump" && [ ! -s "$1.dump.err" ]
}
"$flowdx" features doh:ip > "$tmp/doh.names"
"$flowdx" features zadnik > "$tmp/zadnik.names"

# The element numbering of doc/ipfix.md, by hand: zadnik's 'spl' is its 2nd value (9000 + 1), 'rspl'
# the RFC 5103 reverse of it (9001 | 0x4000 = 25385); doh:ip's 'FlowBytesReceived' the reverse of
# 'FlowBytesSent' (10001 | 0x4000 = 26385).
check "the set listings start as the specifications do" bash -c \
    "[ \"\$(sed -n 2p '$tmp/zadnik.names')\" = spl ] && [ \"\$(sed -n 2p '$tmp/doh.names')\" = FlowBytesSent ]"

# DoH: the three Korving tunnels, 64 TCP connections to the resolver (tshark -z conv,tcp).
k="$samples/doh/korving"
korving=(-r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" -r "$k/korving_c2_dnstt_firefox_68c58a06.pcap"
         -r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap")
"$flowdx" run -q --detect doh -m "$doh_model" --doh-server 192.168.0.10 "${korving[@]}" --format jsonl \
    -o "$tmp/doh.jsonl" --ipfix "$tmp/doh.ipfix" --ipfix-pen 32473; rc=$?
check "doh run with --ipfix: exit 0" test "$rc" -eq 0
check "doh: 64 JSON lines" test "$(wc -l < "$tmp/doh.jsonl")" -eq 64
check "doh: ipfixDump reads the whole file, without a warning" dump "$tmp/doh.ipfix"
check "doh: ipfixDump names the elements (RFC 5610 records)" bash -c \
    "grep -q 'reverseFdxDohIpFlowBytesSent' '$tmp/doh.ipfix.dump' && grep -q '(32473/26385)' '$tmp/doh.ipfix.dump'"
check "doh: every record equals its JSON line" compare "$tmp/doh.ipfix" "$tmp/doh.jsonl" \
    "$tmp/doh.ipfix.dump" --pen 32473 --set doh:ip --names "$tmp/doh.names" --detector doh

# A third reader, where installed: Wireshark's IPFIX dissector gives the flow ids and the start and
# end times to the nanosecond; truncated to microseconds they are the JSON's.
if command -v tshark > /dev/null; then
    tshark -r "$tmp/doh.ipfix" -T fields -E occurrence=a -E aggregator=';' -e cflow.flow_id \
        -e cflow.abstimestart -e cflow.abstimeend > "$tmp/doh.tshark" 2> /dev/null
    # each record has its times twice, in milliseconds (152, 153), then microseconds (154, 155)
    check "doh: tshark reads the same flows, milliseconds and microseconds" python3 - "$tmp/doh.tshark" \
        "$tmp/doh.jsonl" <<'PY'
import calendar, json, sys, time
want = {}
for l in open(sys.argv[2]):
    o = json.loads(l)
    want[o["flow_id"]] = (o["start_us"], o["end_us"])
def us(text):  # "May  8, 2022 08:22:14.162768363 UTC"
    day, frac = text.replace(" UTC", "").rsplit(".", 1)
    sec = calendar.timegm(time.strptime(" ".join(day.split()), "%b %d, %Y %H:%M:%S"))
    return sec * 1000000 + int(frac[:6])
got, got_ms = {}, {}
for line in open(sys.argv[1]):
    cols = line.rstrip("\n").split("\t")
    if len(cols) < 3 or not cols[0]:
        continue
    starts, ends = cols[1].split(";"), cols[2].split(";")
    for i, fid in enumerate(cols[0].split(";")):
        got_ms[int(fid)] = (us(starts[2 * i]), us(ends[2 * i]))
        got[int(fid)] = (us(starts[2 * i + 1]), us(ends[2 * i + 1]))
assert got == want, sorted(set(got.items()) ^ set(want.items()))[:4]
ms = {k: (s // 1000 * 1000, e // 1000 * 1000) for k, (s, e) in want.items()}
assert got_ms == ms, sorted(set(got_ms.items()) ^ set(ms.items()))[:4]
PY
fi

# The comparison can fail: a JSON value changed, and one bit of a float64 in the IPFIX file
# (below ipfixDump's 8 printed digits: only the exact decoder sees it).
python3 - "$tmp/doh.jsonl" "$tmp/bad.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows[5]["features"]["PacketLengthMean"] += 1
rows[7]["src_port"] += 1
open(sys.argv[2], "w").write("".join(json.dumps(r) + "\n" for r in rows))
PY
check "a changed JSON value is found" bash -c "! python3 '$here/ipfix_compare.py' '$tmp/doh.ipfix' \
    '$tmp/bad.jsonl' '$tmp/doh.ipfix.dump' --pen 32473 --set doh:ip --names '$tmp/doh.names' \
    --detector doh 2> '$tmp/bad.err' && grep -q 'PacketLengthMean' '$tmp/bad.err' && grep -q 'source port' '$tmp/bad.err'"
python3 - "$tmp/doh.jsonl" "$tmp/doh.ipfix" "$tmp/flip.ipfix" <<'PY'
import json, struct, sys
row = json.loads(open(sys.argv[1]).readline())
data = bytearray(open(sys.argv[2], "rb").read())
raw = struct.pack(">d", row["features"]["Duration"])
at = data.find(raw)
assert at > 0 and data.find(raw, at + 1) < 0, "Duration of flow %d not found once" % row["flow_id"]
data[at + 7] ^= 1
open(sys.argv[3], "wb").write(data)
PY
dump "$tmp/flip.ipfix"
check "one flipped bit of a float64 is found" bash -c "! python3 '$here/ipfix_compare.py' \
    '$tmp/flip.ipfix' '$tmp/doh.jsonl' '$tmp/flip.ipfix.dump' --pen 32473 --set doh:ip \
    --names '$tmp/doh.names' --detector doh 2> '$tmp/flip.err' && grep -q 'Duration' '$tmp/flip.err'"

# Spam: the SMTP sessions of the nDPI and Zeek samples; the Zeek one is IPv6 (::1 -> ::1:25), so
# both templates are in one file.
s="$samples/spam"
"$flowdx" run -q --detect spam -m "$spam_model" -r "$s/zeek/smtp-attachment-msg.pcap" -r "$s/ndpi/emotet.pcap" \
    -r "$s/ndpi/smtp.pcap" -r "$s/ndpi/smtps.pcapng" --format jsonl -o "$tmp/spam.jsonl" \
    --ipfix "$tmp/spam.ipfix" --ipfix-pen 32473; rc=$?
check "spam run with --ipfix: exit 0" test "$rc" -eq 0
check "spam: ipfixDump reads it" dump "$tmp/spam.ipfix"
check "spam: an IPv6 and an IPv4 template" bash -c \
    "grep -q 'sourceIPv6Address' '$tmp/spam.ipfix.dump' && grep -q 'sourceIPv4Address' '$tmp/spam.ipfix.dump'"
check "spam: every record equals its JSON line" compare "$tmp/spam.ipfix" "$tmp/spam.jsonl" \
    "$tmp/spam.ipfix.dump" --pen 32473 --set zadnik --names "$tmp/zadnik.names" --detector spam

# flowdx extract: every flow of a capture (284 of dns2tcp), another enterprise number and domain.
"$flowdx" extract -q -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" --format jsonl -o "$tmp/ex.jsonl" \
    --ipfix "$tmp/ex.ipfix" --ipfix-pen 5 --ipfix-domain 77; rc=$?
check "extract with --ipfix: exit 0" test "$rc" -eq 0
check "extract: ipfixDump reads it" dump "$tmp/ex.ipfix"
check "extract: every record equals its JSON line (PEN 5, domain 77)" compare "$tmp/ex.ipfix" \
    "$tmp/ex.jsonl" "$tmp/ex.ipfix.dump" --pen 5 --domain 77 --set zadnik --names "$tmp/zadnik.names"

# UDP and TCP to a collector on loopback.
listen() { # KIND: starts the listener, sets $port and $lpid
    rm -f "$tmp/$1.port"
    timeout 90 python3 "$here/ipfix_listen.py" "$1" "$tmp/$1.port" "$tmp/$1.ipfix" --idle 2 --max 30 \
        > "$tmp/$1.listen" 2>&1 &
    lpid=$!
    for _ in $(seq 100); do [ -s "$tmp/$1.port" ] && break; sleep 0.1; done
    port=$(cat "$tmp/$1.port" 2> /dev/null)
}
for kind in udp tcp; do
    listen "$kind"
    check "$kind: the listener is up" test -n "$port"
    timeout 60 "$flowdx" run -q --detect doh -m "$doh_model" --doh-server 192.168.0.10 \
        -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" --format jsonl -o "$tmp/$kind.jsonl" \
        --ipfix "$kind://127.0.0.1:$port"; rc=$?
    wait "$lpid"; lrc=$?
    check "$kind: run exit 0, listener got messages ($(cat "$tmp/$kind.listen"))" \
        bash -c "[ $rc -eq 0 ] && [ $lrc -eq 0 ]"
    check "$kind: ipfixDump reads what arrived" dump "$tmp/$kind.ipfix"
    check "$kind: 34 records, each equal to its JSON line" bash -c "[ \"\$(wc -l < '$tmp/$kind.jsonl')\" -eq 34 ] && \
        python3 '$here/ipfix_compare.py' '$tmp/$kind.ipfix' '$tmp/$kind.jsonl' '$tmp/$kind.ipfix.dump' \
        --pen 32473 --set doh:ip --names '$tmp/doh.names' --detector doh"
done

# A TCP collector that stops and comes back on the same port: the exporter drops and counts the
# records meanwhile, connects again (--ipfix-reconnect 1) and sends the templates first. The
# capture reaches extract through a pipe: its first half at once, the rest over about 3 s once the
# first collector has stopped; --idle-timeout 0.001 ends flows all along, so records keep coming.
rm -f "$tmp/stop1" "$tmp/half" "$tmp/go"
timeout 90 python3 "$here/ipfix_listen.py" tcp "$tmp/tcp1.port" "$tmp/tcp1.ipfix" \
    --until "$tmp/stop1" --max 40 > "$tmp/tcp1.listen" 2>&1 &
lpid1=$!
for _ in $(seq 100); do [ -s "$tmp/tcp1.port" ] && break; sleep 0.1; done
port1=$(cat "$tmp/tcp1.port")
python3 - "$k/korving_c2_dns2tcp_txt_177c8813.pcap" "$tmp/half" "$tmp/go" <<'PY' |
import os, struct, sys, time
data = open(sys.argv[1], "rb").read()
out = sys.stdout.buffer
out.write(data[:24])
little = data[:4] == b"\xd4\xc3\xb2\xa1"
pos, packets = 24, []
while pos + 16 <= len(data):
    n = struct.unpack_from("<I" if little else ">I", data, pos + 8)[0]
    packets.append(data[pos:pos + 16 + n])
    pos += 16 + n
half = len(packets) // 2
for p in packets[:half]:
    out.write(p)
out.flush()
open(sys.argv[2], "w").close()
for _ in range(300):  # the test stops the first collector and starts the second
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.1)
for i, p in enumerate(packets[half:]):
    out.write(p)
    out.flush()
    time.sleep(3.0 / (len(packets) - half))
PY
    timeout 60 "$flowdx" extract -r - --idle-timeout 0.001 --format jsonl -o "$tmp/back.jsonl" \
        --ipfix "tcp://127.0.0.1:$port1" --ipfix-reconnect 1 2> "$tmp/back.err" &
epid=$!
for _ in $(seq 100); do [ -e "$tmp/half" ] && break; sleep 0.1; done
sleep 0.5
touch "$tmp/stop1"
wait "$lpid1"
rm -f "$tmp/tcp2.port"
timeout 60 python3 "$here/ipfix_listen.py" tcp "$tmp/tcp2.port" "$tmp/tcp2.ipfix" --port "$port1" \
    --max 40 > "$tmp/tcp2.listen" 2>&1 &
lpid2=$!
for _ in $(seq 100); do [ -s "$tmp/tcp2.port" ] && break; sleep 0.1; done
touch "$tmp/go"
wait "$epid"; rc=$?
wait "$lpid2"
check "collector back: extract exit 0 ($(tr '\n' ' ' < "$tmp/back.err"))" test "$rc" -eq 0
check "collector back: the loss said, with the reason" grep -q \
    "warning: --ipfix: tcp://127.0.0.1:$port1: cannot send: the collector closed the connection; connecting again every 1 s, records meanwhile are dropped" "$tmp/back.err"
check "collector back: the reconnection said" grep -q \
    "tcp://127.0.0.1:$port1: connected again; [0-9]* of [0-9]* records dropped so far" "$tmp/back.err"
check "collector back: the dropped records counted at the end" grep -q \
    "[0-9]* of [0-9]* records were dropped while the collector was lost (1 time)" "$tmp/back.err"
check "collector back: ipfixDump reads the second connection (templates first)" dump "$tmp/tcp2.ipfix"
n1=$(ipfixDump -i "$tmp/tcp1.ipfix" 2> /dev/null | grep -c 'flowId : ')
n2=$(grep -c 'flowId : ' "$tmp/tcp2.ipfix.dump")
dropped=$(sed -n 's/.*: \([0-9]*\) of [0-9]* records were dropped while.*/\1/p' "$tmp/back.err")
total=$(wc -l < "$tmp/back.jsonl")
# The collector's close (its FIN) is seen before the next message goes out, so every record is
# accounted for: received by one of the two collectors, or counted as dropped.
check "collector back: both collectors got records ($n1, $n2), $dropped dropped, $total in all" \
    bash -c "[ '$n1' -gt 0 ] && [ '$n2' -gt 0 ] && [ -n '$dropped' ] && [ \$(( $n1 + $n2 + ${dropped:-0} )) -eq '$total' ]"
check "collector back: each record of the second equals its JSON line" compare "$tmp/tcp2.ipfix" \
    "$tmp/back.jsonl" "$tmp/tcp2.ipfix.dump" --pen 32473 --set zadnik --names "$tmp/zadnik.names" --subset

# nfdump's collector (nfcapd 1.7, Debian's nfdump), where installed: it reads no microsecond times,
# only flowStartMilliseconds and flowEndMilliseconds, so these carry the flow's times for it; it
# pairs the RFC 5103 reverse counters as the flow's output packets and bytes.
if command -v nfcapd > /dev/null && command -v nfdump > /dev/null; then
    nport=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir "$tmp/nfcapd"
    timeout 60 nfcapd -w "$tmp/nfcapd" -p "$nport" -b 127.0.0.1 > "$tmp/nfcapd.log" 2>&1 &
    npid=$!
    for _ in $(seq 50); do grep -q "Bound to" "$tmp/nfcapd.log" && break; sleep 0.1; done
    timeout 60 "$flowdx" run -q --detect doh -m "$doh_model" --doh-server 192.168.0.10 \
        -r "$k/korving_c2_dns2tcp_txt_177c8813.pcap" --format jsonl -o "$tmp/nf.jsonl" \
        --ipfix "udp://127.0.0.1:$nport"; rc=$?
    sleep 0.5
    kill -INT "$npid" # nfcapd writes its file at the end
    wait "$npid"
    TZ=UTC nfdump -R "$tmp/nfcapd" -q -o 'fmt:%ts|%te|%sa|%sp|%ipkt|%opkt' > "$tmp/nfdump.txt" 2>&1
    check "nfdump: the 34 flows, their times to the millisecond, packets in both directions" \
        python3 - "$tmp/nfdump.txt" "$tmp/nf.jsonl" "$rc" <<'PY'
import json, sys, time
assert sys.argv[3] == "0", "flowdx exit " + sys.argv[3]
def ms(us):  # nfdump prints local time: TZ=UTC
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(us // 1000000)) + ".%03d" % (us // 1000 % 1000)
want = {}
for l in open(sys.argv[2]):
    o = json.loads(l)
    want[(o["src_addr"], o["src_port"])] = (ms(o["start_us"]), ms(o["end_us"]))
got, packets = {}, []
for l in open(sys.argv[1]):
    f = [x.strip() for x in l.split("|")]
    if len(f) == 6:
        got[(f[2], int(f[3]))] = (f[0], f[1])
        packets.append((int(f[4]), int(f[5])))
assert len(want) == 34 and got == want, sorted(set(got.items()) ^ set(want.items()))[:4]
# every tunnel connection has packets both ways (a TCP handshake at least)
assert len(packets) == 34 and all(i > 0 and o > 0 for i, o in packets), packets
PY
fi

# UDP collectors learn templates only from what reaches them: with refresh_s 1 and records 1.1 s
# apart, the options template and both flow templates go out three times (at open, before the second
# and before the third record), each time with the type records.
listen udp
"$refresh" "udp://127.0.0.1:$port"; rc=$?
wait "$lpid"
dump "$tmp/udp.ipfix"
check "udp: templates sent again after refresh_s" bash -c "[ $rc -eq 0 ] && \
    [ \"\$(grep -c -- '--- template record ---' '$tmp/udp.ipfix.dump')\" -eq 6 ] && \
    [ \"\$(grep -c -- '--- options template record ---' '$tmp/udp.ipfix.dump')\" -eq 3 ] && \
    [ \"\$(grep -c 'flowId : ' '$tmp/udp.ipfix.dump')\" -eq 3 ]"

# Refusals: exit 1 with the reason, or 2 for a bad command line (a malformed destination too).
iod=(-r "$k/korving_ft_iodine_private_b64_23a0a5a8.pcap")
refused() { # NAME STATUS PATTERN ARGS...
    local name=$1 want=$2 pattern=$3; shift 3
    out=$(timeout 30 "$flowdx" run -q --detect doh -m "$doh_model" "${iod[@]}" -o /dev/null "$@" 2>&1); rc=$?
    check "$name: exit $want, '$pattern'" bash -c "[ $rc -eq $want ] && grep -q -- \"\$1\" <<< \"\$0\"" "$out" "$pattern"
}
refused "a directory that does not exist" 2 "cannot write in .*: No such file or directory" \
    --ipfix "$tmp/no/such/dir/x.ipfix"
refused "a transport flowdx does not speak" 2 "unknown transport 'sctp'" --ipfix sctp://127.0.0.1:4739
refused "port 0" 2 "port '0' is not a number from 1 to 65535" --ipfix udp://127.0.0.1:0
refused "an IPv6 address without brackets" 2 "in brackets" --ipfix udp://::1:4739
# A TCP port nobody listens on: the listener's port, now closed.
refused "a TCP collector that is not there" 1 "cannot send to the collector" --ipfix "tcp://127.0.0.1:$port"
# A UDP port nobody listens on (the UDP listener's, closed): loopback answers the first message
# with ICMP port unreachable, the socket's next send fails with ECONNREFUSED, and libfixbuf says
# so through GLib's log (g_warning). That is the exporter's message: as the command's, naming the
# destination, without GLib's "** (process:PID): WARNING **" form; none at all with -q. The
# korving dns2tcp capture has 284 flows (tshark -z conv: 284 TCP and UDP conversations), far more
# than one message, so extract sends after the refusal came back.
listen udp
wait "$lpid"
dns2tcp=$k/korving_c2_dns2tcp_txt_177c8813.pcap
timeout 30 "$flowdx" extract -r "$dns2tcp" -o /dev/null --ipfix "udp://127.0.0.1:$port" 2> "$tmp/glib.err"
check "UDP to a closed port: libfixbuf's warning as flowdx's, naming the destination" bash -c \
    'grep -qF "flowdx extract: warning: --ipfix: udp://127.0.0.1:$1: I/O error on UDP send: Connection refused" "$2" &&
     ! grep -q "WARNING \*\*" "$2"' _ "$port" "$tmp/glib.err" || cat "$tmp/glib.err"
for cmd in "extract" "run --detect doh -m $doh_model" "run --detect doh,spam"; do
    # shellcheck disable=SC2086 # the command's words
    (cd "$2" && timeout 30 "$flowdx" $cmd -q -r "$dns2tcp" -o /dev/null --ipfix "udp://127.0.0.1:$port") \
        2> "$tmp/glib-q.err"
    check "... $cmd -q: nothing on standard error" test ! -s "$tmp/glib-q.err" || cat "$tmp/glib-q.err"
done
refused "--ipfix-pen without --ipfix" 2 "need --ipfix" --ipfix-pen 5
refused "PEN 29305 (RFC 5103's)" 2 "cannot hold flowdx's elements" --ipfix "$tmp/x.ipfix" --ipfix-pen 29305
refused "a PEN that is not a number" 2 "ipfix-pen" --ipfix "$tmp/x.ipfix" --ipfix-pen 12ab
finish
