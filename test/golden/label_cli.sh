#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx label on the bundled captures. Usage: label_cli.sh FLOWDX SAMPLES_DIR
set -uo pipefail
flowdx=$1
samples=$2
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# emotet.pcap has 6 TCP flows (tshark -z conv,tcp): the port-587 submission from 10.2.25.102
# (2022-02-25), 10.3.29.101 -> :80 (2022-03-29), 10.4.20.102 -> :80 (2022-04-20), and three flows
# of 10.4.25.101 on 2022-04-25 (:80, :443, :443).
"$flowdx" extract -q -r "$samples/spam/ndpi/emotet.pcap" -o "$tmp/flows.csv"
cat > "$tmp/rules.csv" <<'RULES'
label,addr,peer,port,start,end
# the submission: any flow with port 587
spam,,,587,,
# one host, from 2022-04-21 on (epoch 1650499200)
ham,10.4.25.101/32,,,1650499200,
# a prefix rule that the flows above already took: first match wins
other,10.0.0.0/8,,,,
RULES
"$flowdx" label -i "$tmp/flows.csv" -l "$tmp/rules.csv" -o "$tmp/labelled.csv" 2> "$tmp/err"
check "header gains a Label column" bash -c "head -1 '$tmp/labelled.csv' | grep -q ',oneway,Label\$'"
labels=$(awk -F, 'NR > 1 { print $5 ":" $NF }' "$tmp/labelled.csv" | sort | tr '\n' ' ')
check "labels: 587 spam, 10.4.25.101 ham, the rest other ($labels)" \
    test "$labels" = "443:ham 443:ham 587:spam 80:ham 80:other 80:other "

# A UTF-8 byte order mark before the rules' header and the flows' header (as Windows editors save
# CSV) is not part of the first column's name: the same labels.
{ printf '\xef\xbb\xbf'; cat "$tmp/rules.csv"; } > "$tmp/rules-bom.csv"
{ printf '\xef\xbb\xbf'; cat "$tmp/flows.csv"; } > "$tmp/flows-bom.csv"
"$flowdx" label -i "$tmp/flows-bom.csv" -l "$tmp/rules-bom.csv" -o "$tmp/labelled-bom.csv" 2> "$tmp/err"
check "byte order marks: the same labelled file" cmp "$tmp/labelled.csv" "$tmp/labelled-bom.csv"

# Without the catch-all rule, unmatched flows are left out and counted.
head -5 "$tmp/rules.csv" > "$tmp/rules2.csv"
"$flowdx" label -i "$tmp/flows.csv" -l "$tmp/rules2.csv" -o "$tmp/l2.csv" 2> "$tmp/err2"
check "unmatched flows left out: 4 rows" test "$(($(wc -l < "$tmp/l2.csv") - 1))" -eq 4
check "and counted on stderr" grep -q "2 matched no rule" "$tmp/err2"

# The dataset identifier style (doh): by address, the Korving client 192.168.0.30.
"$flowdx" extract -q -f doh -r "$samples/doh/korving/korving_ft_iodine_private_b64_23a0a5a8.pcap" \
    -o "$tmp/doh.csv"
printf 'label,addr,peer,port,start,end\nmalicious,192.168.0.30,192.168.0.10,443,,\n' > "$tmp/r3.csv"
"$flowdx" label -i "$tmp/doh.csv" -l "$tmp/r3.csv" -o "$tmp/l3.csv" 2> /dev/null
check "doh rows labelled by address pair" bash -c "tail -n +2 '$tmp/l3.csv' | grep -c ',malicious\$' | grep -qx 1"

# Refusals, located.
printf 'label,addr\nspam,1.2.3.4\n' > "$tmp/bad1.csv"
out=$("$flowdx" label -i "$tmp/flows.csv" -l "$tmp/bad1.csv" 2>&1); rc=$?
check "bad header: exit 1, file:line" bash -c "[ $rc -eq 1 ] && grep -q 'bad1.csv:1: expected the header' <<< \"\$0\"" "$out"
printf 'label,addr,peer,port,start,end\nspam,10.0.0.300,,,,\n' > "$tmp/bad2.csv"
out=$("$flowdx" label -i "$tmp/flows.csv" -l "$tmp/bad2.csv" 2>&1); rc=$?
check "bad address: exit 1, file:line" bash -c "[ $rc -eq 1 ] && grep -q 'bad2.csv:2: addr' <<< \"\$0\"" "$out"

# ---- hand-made flows: rule times, --default, bad rows and refusals ----
# lbl STATUS ARGS...: flowdx label with output in $tmp/out, messages in $tmp/err; false (showing
# them) for another exit status. only MESSAGE: the messages are that one line.
lbl() {
    local want=$1
    shift
    "$flowdx" label "$@" > "$tmp/out" 2> "$tmp/err"
    local rc=$?
    [ "$rc" -eq "$want" ] && return 0
    echo "  exit $rc, expected $want; stderr:"
    sed 's/^/    /' "$tmp/err"
    return 1
}
only() {
    [ "$(cat "$tmp/err")" = "flowdx label: $1" ] && return 0
    echo "  expected only: flowdx label: $1; stderr:"
    sed 's/^/    /' "$tmp/err"
    return 1
}

# Three flows (flowdx identifier style). 1650000000 is 2022-04-15 05:20:00 UTC. The rule "spam"
# takes port-25 flows that end at or after 05:21:00 (1650000060): flow 2 (ends 1650000101), not
# flow 1 (ends 1650000001). "early" takes flows that start at or before 1650000000.5: flow 1.
# Flow 3 (port 80, starts 1650000200) matches neither: --default ham.
cat > "$tmp/hand.csv" <<'CSV'
flow_id,src_addr,src_port,dst_addr,dst_port,proto,start_us,end_us,sp
1,10.0.0.1,1025,192.0.2.1,25,6,1650000000000000,1650000001000000,3
2,10.0.0.2,1026,192.0.2.1,25,6,1650000100000000,1650000101000000,4
3,10.0.0.3,1027,192.0.2.1,80,6,1650000200000000,1650000201000000,5
CSV
printf 'label,addr,peer,port,start,end\nspam,,,25,2022-04-15 05:21:00,\nearly,,,,,1650000000.5\n' \
    > "$tmp/times.csv"
check "rule times and --default: exit 0" lbl 0 -i "$tmp/hand.csv" -l "$tmp/times.csv" --default ham
cp "$tmp/out" "$tmp/hand-l.csv"
labels=$(awk -F, 'NR > 1 { print $1 ":" $NF }' "$tmp/hand-l.csv" | tr '\n' ' ')
check "... date and fractional epoch times: 1:early 2:spam 3:ham ($labels)" \
    test "$labels" = "1:early 2:spam 3:ham "

# A row whose address, port or time cannot be read is an error (exit 1, file:line and column), not
# a flow that matched no rule: --default does not label it, -o keeps its old content, and the
# error is the only message.
while IFS='|' read -r row want; do
    { cat "$tmp/hand.csv"; echo "$row"; } > "$tmp/badrow.csv"
    echo old > "$tmp/keep.csv"
    check "bad row ($want): exit 1" \
        lbl 1 -i "$tmp/badrow.csv" -l "$tmp/times.csv" --default ham -o "$tmp/keep.csv"
    check "... the one message names file:line" only "$tmp/badrow.csv:5: $want"
    check "... -o keeps its old content" test "$(cat "$tmp/keep.csv")" = old
done <<'ROWS'
4,999.1.1.1,1028,192.0.2.1,25,6,1650000300000000,1650000301000000,6|column 'src_addr': '999.1.1.1' is not an IP address
4,10.0.0.4,1028,10.0.0.256,25,6,1650000300000000,1650000301000000,6|column 'dst_addr': '10.0.0.256' is not an IP address
4,10.0.0.4,x,192.0.2.1,25,6,1650000300000000,1650000301000000,6|column 'src_port': 'x' is not a port (0 to 65535)
4,10.0.0.4,1028,192.0.2.1,65536,6,1650000300000000,1650000301000000,6|column 'dst_port': '65536' is not a port (0 to 65535)
4,10.0.0.4,1028,192.0.2.1,25,6,1.65e15,1650000301000000,6|column 'start_us': '1.65e15' is not a time in microseconds
4,10.0.0.4,1028,192.0.2.1,25,6,1650000300000000,,6|column 'end_us': '' is not a time in microseconds
ROWS
check "a bad row on standard output: exit 1" \
    lbl 1 -i "$tmp/badrow.csv" -l "$tmp/times.csv" --default ham
check "... the rows before it written, not it" \
    bash -c '[ "$(cut -d, -f1 "$0" | tr "\n" " ")" = "flow_id 1 2 3 " ]' "$tmp/out"

# --default is a label as the rules' are: 1 to 63 bytes, no quote, comma or line break (exit 2).
long=$(printf 'x%.0s' $(seq 64))
for d in 'a,b' '' $'a\nb' $'a\rb' 'a"b' "$long"; do
    check "--default $(printf %q "$d") refused: exit 2" \
        lbl 2 -i "$tmp/hand.csv" -l "$tmp/times.csv" --default "$d"
    check "... and why" only "--default: empty, over 63 bytes or with a quote, comma or line break"
done
check "--default of 63 bytes: exit 0" lbl 0 -i "$tmp/hand.csv" -l "$tmp/times.csv" --default "${long:1}"
check "... flow 3 has it" grep -q "^3,.*,${long:1}\$" "$tmp/out"

# Rule times: epoch seconds (digits, a fraction) up to 9999-12-31 23:59:59, or a real
# 'YYYY-MM-DD HH:MM:SS' from 1970 on; start not later than end. Else exit 1 and RULES:LINE.
while IFS='|' read -r start end want; do
    printf 'label,addr,peer,port,start,end\n# a comment\nspam,,,,%s,%s\n' "$start" "$end" > "$tmp/rt.csv"
    check "rule start '$start' end '$end': exit 1" lbl 1 -i "$tmp/hand.csv" -l "$tmp/rt.csv" -o /dev/null
    check "... $want" only "$tmp/rt.csv:3: $want"
done <<'TIMES'
nan||start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
inf||start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
1e300||start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
0x10||start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
 5||start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
-5||start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
1.||start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
2022-02-30||start: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
99999999999999999999||start: after 9999-12-31 23:59:59 (253402300799)
253402300800||start: after 9999-12-31 23:59:59 (253402300799)
2022-02-30 00:00:00||start: no such date and time (YYYY-MM-DD HH:MM:SS, from 1970)
2023-02-29 00:00:00||start: no such date and time (YYYY-MM-DD HH:MM:SS, from 1970)
2022-04-15 24:00:00||start: no such date and time (YYYY-MM-DD HH:MM:SS, from 1970)
1969-12-31 23:59:59||start: no such date and time (YYYY-MM-DD HH:MM:SS, from 1970)
|2022-4-15 5:21:00|end: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
|nan|end: not epoch seconds or 'YYYY-MM-DD HH:MM:SS'
1650000001|1650000000|start: later than end
2022-04-15 05:21:00|1650000059|start: later than end
TIMES
printf 'label,addr,peer,port,start,end\nspam,,,,2024-02-29 00:00:00,253402300799\n' > "$tmp/rt.csv"
check "29 February of a leap year and the last second are rule times" \
    lbl 0 -i "$tmp/hand.csv" -l "$tmp/rt.csv" -o /dev/null

# An empty FLOWS file has no header line (exit 1); nothing is written.
: > "$tmp/empty.csv"
check "empty flows: exit 1" lbl 1 -i "$tmp/empty.csv" -l "$tmp/times.csv" -o "$tmp/e-out.csv"
check "... 'no header line'" only "$tmp/empty.csv: no header line"
check "... no output file" test ! -e "$tmp/e-out.csv"

# -o may not name an input (exit 2, before any work): the rules and flows keep their content.
cp "$tmp/times.csv" "$tmp/R.csv"
check "-o naming the rules file: exit 2" lbl 2 -i "$tmp/hand.csv" -l "$tmp/R.csv" -o "$tmp/R.csv"
check "... why" only "-o $tmp/R.csv is also an input (-l $tmp/R.csv): it would be overwritten"
check "... the rules file is unchanged" cmp -s "$tmp/R.csv" "$tmp/times.csv"
cp "$tmp/hand.csv" "$tmp/H.csv"
check "-o naming the flows under another name: exit 2" \
    lbl 2 -i "$tmp/H.csv" -l "$tmp/R.csv" -o "$tmp/./H.csv"
check "... why" only "-o $tmp/./H.csv is also an input (-i $tmp/H.csv): it would be overwritten"
check "... the flows are unchanged" cmp -s "$tmp/H.csv" "$tmp/hand.csv"
check "-o /dev/null is no input" lbl 0 -i "$tmp/H.csv" -l "$tmp/R.csv" -o /dev/null

# After a load error, that error is the only message (no "writing ... failed" for the output).
check "bad rules, -o /dev/null: exit 1" lbl 1 -i "$tmp/hand.csv" -l "$tmp/bad1.csv" -o /dev/null
check "... one message" only "$tmp/bad1.csv:1: expected the header 'label,addr,peer,port,start,end'"
check "flows already labelled, -o /dev/null: exit 1" \
    lbl 1 -i "$tmp/hand-l.csv" -l "$tmp/times.csv" -o /dev/null
check "... one message" only "$tmp/hand-l.csv:1: already has a Label column"
check "... the same on standard output" lbl 1 -i "$tmp/hand-l.csv" -l "$tmp/times.csv"
check "... one message" only "$tmp/hand-l.csv:1: already has a Label column"
finish
