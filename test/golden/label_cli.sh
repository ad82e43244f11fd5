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
finish
