#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx run -c FILE and flowdx config check: conf/flowdx.yaml as shipped, both detectors through
# their plugins in one run, every output at once, the allowlist, and located configuration errors.
# Usage: probe_config.sh FLOWDX TOP_DIR
set -uo pipefail
flowdx=$1
top=$2
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
cd "$top" || exit 1
emotet=samples/spam/ndpi/emotet.pcap
dns2tcp=samples/doh/korving/korving_c2_dns2tcp_txt_177c8813.pcap
oneside=samples/spam/zeek/smtp-one-side-only.pcap

out=$("$flowdx" config check conf/flowdx.yaml)
check "the shipped conf/flowdx.yaml is valid ($out)" grep -q "valid; plugins (detectors first): 2 (spam, doh)" <<< "$out"

cat > "$tmp/both.yaml" <<YAML
input:
  read: [$emotet, $dns2tcp, $oneside]
detectors:
  spam: {}
  doh: {servers: [192.168.0.10, 192.168.0.11,
                  193.252.22.84]}
outputs:
  alerts: {file: $tmp/alerts}
  jsonl: {file: $tmp/flows.jsonl}
  csv: {file: $tmp/flows.csv}
  senders: {file: $tmp/senders, min_spam: 1}
YAML
"$flowdx" run -c "$tmp/both.yaml" 2> "$tmp/err"
check "run -c exits 0" test $? -eq 0
# Independent counts: ndpiReader's output for emotet.pcap lists one SMTP flow (10.2.25.102:57309
# -> 193.252.22.84:587), and tshark -z conv,tcp on the dns2tcp capture 34 TCP connections to
# 192.168.0.10:443, all of them the tunnel (the capture's provenance, samples/SOURCES.md).
check "one spam alert, the port-587 submission" \
    test "$(grep -c '10.2.25.102:57309 -> 193.252.22.84:587: spam (detector spam)' "$tmp/alerts")" -eq 1
check "34 DoH tunnel alerts ($(grep -c 'detector doh' "$tmp/alerts"))" \
    test "$(grep -c '192.168.0.30:[0-9]* -> 192.168.0.10:443: doh-tunnel (detector doh)' "$tmp/alerts")" -eq 34
# detectors.doh.servers: .10 got the 34 tunnel connections; .11 none (tshark -z conv,ip lists no
# conversation with it in the three captures); 193.252.22.84 one conversation, the emotet
# capture's TCP connection to port 587 (tshark -z conv,tcp): each of the last two is warned of,
# at the place in the file that names it (line 5, column 33: counted in the text above).
check "a server no flow to port 443 reached: warned of, located, with 0 other flows" grep -qxF \
    "flowdx run: warning: $tmp/both.yaml:5:33: detectors.doh.servers 192.168.0.11: no TCP flow to it on port 443 in the input (0 flows to it otherwise): is it the resolver's address?" \
    "$tmp/err"
check "the SMTP server named as a resolver: warned of, with its 1 flow" grep -qxF \
    "flowdx run: warning: $tmp/both.yaml:6:19: detectors.doh.servers 193.252.22.84: no TCP flow to it on port 443 in the input (1 flow to it otherwise): is it the resolver's address?" \
    "$tmp/err"
check "the resolver the tunnel went to: no warning" bash -c '! grep -q "servers 192.168.0.10:" "$1"' _ "$tmp/err"
# smtp-one-side-only.pcap holds the client's packets of one SMTP session and nothing from the
# server (its name, and tshark -z conv,tcp: 0 frames B -> A), so the spam detector declines it.
check "summary counts both detectors and the declined flow" \
    grep -q "spam: 1 judged, 1 malicious, 0 uncertain, 1 declined (SMTP flows with no packet from the server); doh: 34 judged, 34 malicious" "$tmp/err"
check "JSON lines: one per flow, schema 1, verdicts only where judged, features with the plugins' fields" python3 -c '
import json, sys, csv
lines = [json.loads(l) for l in open(sys.argv[1])]
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(lines) == len(rows) > 35, (len(lines), len(rows))
judged = {"spam": 0, "doh": 0}
declined = 0
for o, r in zip(lines, rows):
    assert o["schema"] == 1
    for name, v in o["verdicts"].items():
        judged[name] += 1
        assert v["verdict"] in ("malicious", "benign", "uncertain")
        assert r[name + "_verdict"] == v["verdict"]
        # doc/json.md: the class name on a malicious flow, else ""
        assert (v["label"] != "") == (v["verdict"] == "malicious"), (name, v)
    for name in ("spam", "doh"):
        if name in o.get("declined", []):
            assert name not in o["verdicts"] and r[name + "_verdict"] == "declined", (o, r)
            declined += 1
        elif name not in o["verdicts"]:
            assert r[name + "_verdict"] == ""
    assert "spam_sp" in o["features"] and "doh_duration" in o["features"]
    assert str(o["flow_id"]) == r["flow_id"] and o["src_addr"] == r["src_addr"]
assert judged == {"spam": 1, "doh": 34}, judged
one = [o for o in lines if o.get("declined")]
assert declined == 1 and one[0]["dst_port"] == 25 and one[0]["packets"][1] == 0, one
spam = [o for o in lines if "spam" in o["verdicts"]][0]
assert spam["dst_port"] == 587 and spam["features"]["spam_votes"] is not None
doh = [o for o in lines if "doh" in o["verdicts"]]
assert all(o["verdicts"]["doh"]["pair"]["flows"] >= 1 for o in doh)
' "$tmp/flows.jsonl" "$tmp/flows.csv"
check "senders report lists the emotet source" grep -q "10.2.25.102" "$tmp/senders"

# Flows the jury flags whose pair never carries a tunnel's bytes end 'uncertain': their label is
# empty as on every flow that is not malicious (doc/json.md), not the plugin's 'doh-tunnel'.
"$flowdx" run --detect doh,spam --format jsonl -q -r samples/doh/ndpi/dns_doh.pcap \
    -r samples/doh/ndpi/googledns_android10.pcap -r samples/doh/ndpi/dnscrypt-v2-doh.pcap \
    > "$tmp/uncertain.jsonl" 2> "$tmp/uncertain.err"
check "an uncertain DoH flow carries no label" python3 -c '
import json, sys
v = [json.loads(l)["verdicts"].get("doh") for l in open(sys.argv[1])]
v = [x for x in v if x]
assert any(x["verdict"] == "uncertain" for x in v), v
assert all((x["label"] == "doh-tunnel") == (x["verdict"] == "malicious") for x in v), v
assert all(x["label"] == "" for x in v if x["verdict"] != "malicious"), v
' "$tmp/uncertain.jsonl"

# The shipped configuration, as it is but for the resolver address and the files' directory:
# alerts, JSON lines and an IPFIX file whose records ipfixDump shows with the JSON's values.
sed -e "s|servers: \[\]   |servers: [192.168.0.10]|" -e "/^ *[a-z]/s|flowdx-flows|$tmp/shipped|" \
    conf/flowdx.yaml > "$tmp/shipped.yaml"
check "the edited copy differs only in those lines" \
    test "$(diff conf/flowdx.yaml "$tmp/shipped.yaml" | grep -c '^>')" -eq 3
"$flowdx" run -c "$tmp/shipped.yaml" -r "$emotet" -r "$dns2tcp" > "$tmp/shipped.alerts" 2> "$tmp/err4"
check "shipped configuration: 35 alerts on standard output" \
    test "$(wc -l < "$tmp/shipped.alerts")" -eq 35
check "shipped configuration: the closing line names the two files it wrote" \
    grep -qxF "flowdx run: output: $tmp/shipped.jsonl, $tmp/shipped.ipfix" "$tmp/err4"
check "a run with every output names its files" grep -qxF \
    "flowdx run: output: $tmp/alerts, $tmp/flows.jsonl, $tmp/flows.csv, $tmp/senders" "$tmp/err"
if command -v ipfixDump > /dev/null; then
    ipfixDump --rfc5610 -i "$tmp/shipped.ipfix" > "$tmp/shipped.dump" 2>&1
    check "shipped configuration: ipfixDump shows the JSON lines' values" \
        python3 "$(dirname "$0")/ipfix_json1.py" "$tmp/shipped.dump" "$tmp/shipped.jsonl"
    # the comparison can fail: one feature value changed in the JSON
    sed '1s/"spam_sp":23,/"spam_sp":24,/' "$tmp/shipped.jsonl" > "$tmp/changed.jsonl"
    check "the comparison finds a changed value" bash -c \
        '! python3 "$1" "$2" "$3" 2> /dev/null' _ "$(dirname "$0")/ipfix_json1.py" \
        "$tmp/shipped.dump" "$tmp/changed.jsonl"
    check "the changed line was the spam flow's" bash -c '! cmp -s "$1" "$2"' _ \
        "$tmp/shipped.jsonl" "$tmp/changed.jsonl"
else
    echo "skip: ipfixDump (libfixbuf-tools) is not installed"
fi

# The allowlist keeps the flows and verdicts but not the alerts.
sed "s|^outputs:|allowlist: {addresses: [192.168.0.0/24]}\noutputs:|" "$tmp/both.yaml" > "$tmp/allow.yaml"
"$flowdx" run -c "$tmp/allow.yaml" 2> "$tmp/err2"
check "allowlisted network: no DoH alert" test "$(grep -c 'detector doh' "$tmp/alerts")" -eq 0
check "allowlisted network: 34 alerts suppressed, still judged" \
    grep -q "doh: 34 judged, 34 malicious.*34 alerts suppressed by the allowlist" "$tmp/err2"

# Server names: nDPI's name of the flow in the JSON lines, and as an allowlist. tshark reads the
# ClientHellos' SNI of dnscrypt-v2-doh.pcap, one per TCP connection to port 443: 31 connections to
# public DoH resolvers, three of them to *.alekberg.net (dnses, dnsnl, dnsse), one to
# dns.cloudflare.com.
doh3=samples/doh/ndpi/dnscrypt-v2-doh.pcap
sni() { # ALLOWLIST-YAML: writes $tmp/sni.jsonl and $tmp/sni.alerts, prints the summary
    cat > "$tmp/sni.yaml" <<YAML
detectors: {doh: {all_tls: true, pairs: {enabled: false}}}
allowlist: {server_names: $1}
outputs: {alerts: {file: $tmp/sni.alerts}, jsonl: {file: $tmp/sni.jsonl}}
YAML
    "$flowdx" run -c "$tmp/sni.yaml" -r "$doh3" 2>&1 | tail -1
}
sni "[]" > /dev/null
want=$(tshark -r "$doh3" -Y 'tls.handshake.type==1 && tcp.dstport==443' -T fields -e tcp.stream \
    -e tls.handshake.extensions_server_name 2> /dev/null | sort -u -k1,1n | awk '{print $2}' |
    sort | tr '\n' ' ')
check "JSON lines: server_name is each flow's TLS SNI (tshark, 31 connections)" bash -c '
got=$(python3 -c "
import json, sys
print(\" \".join(sorted(json.loads(l)[\"server_name\"] for l in open(sys.argv[1]) if json.loads(l)[\"dst_port\"] == 443)))
" "$1")
[ "$got " = "$2" ]' _ "$tmp/sni.jsonl" "$want"
all=$(wc -l < "$tmp/sni.alerts")
flagged=$(grep -c '"server_name":"[a-z]*\.alekberg\.net".*"verdict":"malicious"\|"verdict":"malicious".*"server_name":"[a-z]*\.alekberg\.net"' "$tmp/sni.jsonl")
out=$(sni '["*.alekberg.net", "DNS.Cloudflare.com"]')
cf=$(grep '"server_name":"dns.cloudflare.com"' "$tmp/sni.jsonl" | grep -c '"verdict":"malicious"')
check "server_names: *.alekberg.net and dns.cloudflare.com (any case) suppress exactly their alerts ($flagged + $cf of $all)" \
    bash -c '[ "$(wc -l < "$1")" -eq $(($2 - $3 - $4)) ] && grep -q "$(($3 + $4)) alerts suppressed" <<< "$5"' \
    _ "$tmp/sni.alerts" "$all" "$flagged" "$cf" "$out"
check "server_names: at least one alekberg flow was flagged, so the check means something" test "$flagged" -ge 1
out=$(sni '["*.dns.cloudflare.com"]')
check "server_names: *.dns.cloudflare.com does not match the bare name" grep -q " 0 alerts suppressed" <<< "$out"

# -r on the command line replaces the file's captures.
"$flowdx" run -c "$tmp/both.yaml" -r "$emotet" 2> "$tmp/err3"
check "-r overrides input.read" grep -q "doh: 0 judged" "$tmp/err3"

# An output in a directory that does not exist is refused at load (exit 2, before any traffic).
echo "earlier alerts" > "$tmp/kept.alerts"
cat > "$tmp/nodir.yaml" <<YAML
input: {read: [$emotet]}
outputs:
  alerts: {file: $tmp/kept.alerts}
  jsonl: {file: $tmp/no-such-dir/flows.jsonl}
YAML
"$flowdx" run -c "$tmp/nodir.yaml" 2> "$tmp/err_nodir"; rc=$?
check "an output in a directory that does not exist: exit 2 at load, alerts file untouched" \
    bash -c '[ "$1" -eq 2 ] && grep -q "outputs.jsonl .*cannot write in" "$3" &&
             [ "$(cat "$2")" = "earlier alerts" ]' _ "$rc" "$tmp/kept.alerts" "$tmp/err_nodir"
# One that passes that check but cannot be opened (a link to a file in a directory that does
# not exist) stops the run before any traffic, and the outputs opened before it do not replace
# their files (an empty alerts file must not take an earlier one's place).
ln -s no-such-dir/flows.jsonl "$tmp/dangling.jsonl"
cat > "$tmp/badout.yaml" <<YAML
input: {read: [$emotet]}
outputs:
  alerts: {file: $tmp/kept.alerts}
  jsonl: {file: $tmp/dangling.jsonl}
YAML
"$flowdx" run -c "$tmp/badout.yaml" 2> "$tmp/err_badout"; rc=$?
check "an output that cannot be opened: exit 1, the earlier alerts file untouched" \
    bash -c '[ "$1" -eq 1 ] && [ "$(cat "$2")" = "earlier alerts" ]' _ "$rc" "$tmp/kept.alerts"
check "no temporary file left beside it" \
    test "$(ls "$tmp" | grep -c '^kept\.alerts\.')" -eq 0

# The IPFIX output is opened with the other outputs, after the capture (and input.user): a
# capture that cannot be opened leaves no IPFIX file behind.
printf 'outputs: {ipfix: {destination: %s}}\n' "$tmp/left.ipfix" > "$tmp/ipfix.yaml"
"$flowdx" run -c "$tmp/ipfix.yaml" -r "$tmp/no-such.pcap" 2> /dev/null; rc=$?
check "a capture that cannot be opened: exit 1, no IPFIX file created" \
    bash -c '[ "$1" -eq 1 ] && [ ! -e "$2" ]' _ "$rc" "$tmp/left.ipfix"

# --detect doh,spam: the command line's shortcut for both detectors through their plugins.
"$flowdx" run --detect doh,spam --doh-server 192.168.0.10 -r "$emotet" -r "$dns2tcp" \
    -o "$tmp/both.alerts" 2> "$tmp/err5"
check "--detect doh,spam: the same 35 alerts as -c" \
    test "$(grep -c 'detector \(doh\|spam\)' "$tmp/both.alerts")" -eq 35
check "--detect doh,spam -o FILE: the senders report follows the alerts in FILE" \
    bash -c 'tail -n 2 "$1" | grep -q "^main spam senders" && grep -q "^input: .*SMTP flows classified" "$1"' _ "$tmp/both.alerts"
"$flowdx" run --detect doh,spam --doh-server 192.168.0.10 --per-flow --format jsonl \
    -r "$dns2tcp" -o "$tmp/both.jsonl" 2> /dev/null
check "--detect doh,spam --per-flow --format jsonl: per-flow DoH verdicts, no pair evidence" \
    python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
doh = [r["verdicts"]["doh"] for r in rows if "doh" in r["verdicts"]]
assert len(doh) == 34 and all("pair" not in v for v in doh), len(doh)
' "$tmp/both.jsonl"
# --detect doh,spam carries --stats over, also when reading captures (as --detect doh does: a
# last statistics line at the end), and none without it.
"$flowdx" run --detect doh,spam --stats 1 -r "$dns2tcp" -o /dev/null 2> "$tmp/err_stats"
check "--detect doh,spam --stats with -r: a statistics line" grep -q "stats: elapsed=" "$tmp/err_stats"
# The last statistics line comes after every flow was written and the pair rule decided what it
# held: no flow is active, and its counts are those of the closing line (run -c, and run's own path).
last_stats_agree() { # ERR-FILE
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
last = [l for l in text.splitlines() if " stats: elapsed=" in l][-1]
val = dict(re.findall(r"(\w+)=([0-9.]+)", last))
flows = int(re.search(r"run: (\d+) flows", text).group(1))
malicious = sum(int(n) for n in re.findall(r"(\d+) malicious", text))
assert val["flows_active"] == "0", last
assert int(val["flows_finished"]) == flows, (last, flows)
assert int(val["alerts"]) == malicious, (last, malicious)
PY
}
check "--detect doh,spam --stats with -r: the last statistics line counts every flow and alert" \
    last_stats_agree "$tmp/err_stats"
"$flowdx" run --detect doh --doh-server 192.168.0.10 --stats 1 -r "$dns2tcp" -o /dev/null 2> "$tmp/err_stats1"
check "--detect doh --stats with -r: the last statistics line counts every flow and alert" \
    last_stats_agree "$tmp/err_stats1"
"$flowdx" run --detect doh,spam -r "$dns2tcp" -o /dev/null 2> "$tmp/err_nostats"
check "--detect doh,spam with -r, no --stats: no statistics line" \
    bash -c '! grep -q "stats: elapsed=" "$1"' _ "$tmp/err_nostats"
# Values run itself accepts but the configuration's ranges do not: refused naming the option, not
# with a location in the generated configuration.
narrow() { # EXPECTED-MESSAGE-PART OPTIONS...
    local msg=$1; shift
    out=$("$flowdx" run --detect doh,spam "$@" -o /dev/null 2>&1); rc=$?
    check "--detect doh,spam $*: refused (exit 2) naming the option" \
        bash -c '[ "$1" -eq 2 ] && grep -qF -- "$2" <<< "$3" && ! grep -q "doh,spam:[0-9]" <<< "$3"' \
        _ "$rc" "$msg" "$out"
}
narrow "--stats: at most 86400 seconds" --stats 86401 -r "$dns2tcp"
# (--idle-timeout has the configuration's range for every detector: run_cli.sh)
narrow "--idle-timeout: '0.0005' is not a number of seconds from 0.001 to 86400" --idle-timeout 0.0005 -r "$dns2tcp"
narrow "--snaplen: from 64 to 262144 bytes" --snaplen 63 -i lo
# A shipped model that is missing (a directory with conf/models holding only the other one, so
# that the default directory is that conf/models whatever is installed): the file named, with
# where the default comes from, exit 1 as --detect doh|spam without -m say it; no location in the
# generated configuration.
for have in doh spam; do
    miss=spam; [ "$have" = spam ] && miss=doh
    mkdir -p "$tmp/only-$have/conf/models"
    ln -sf "$top/conf/models/$have.fdxm" "$tmp/only-$have/conf/models/$have.fdxm"
    out=$(cd "$tmp/only-$have" && "$flowdx" run --detect doh,spam -r "$top/$emotet" -o /dev/null 2>&1); rc=$?
    check "--detect doh,spam without conf/models/$miss.fdxm: exit 1, the file and its default named" \
        bash -c '[ "$1" -eq 1 ] && grep -qF "flowdx run: --detect doh,spam runs the shipped models, and the default model conf/models/$2.fdxm (--detect $2'"'"'s) is not there" <<< "$3" &&
                 grep -qF "scripts/build-$2-model.sh rebuilds" <<< "$3" && ! grep -q "doh,spam:[0-9]" <<< "$3"' \
        _ "$rc" "$miss" "$out" || echo "$out"
done
# input.immediate: --immediate's key.
printf 'input: {immediate: true}\n' > "$tmp/immediate.yaml"
check "input.immediate is a key" "$flowdx" config check "$tmp/immediate.yaml"
out=$("$flowdx" run --detect doh,spam -m conf/models/doh.fdxm -r "$emotet" 2>&1); rc=$?
check "--detect doh,spam with -m: refused (exit 2)" bash -c '[ "$1" -eq 2 ] && grep -q "runs the shipped models, so -m is for one detector" <<< "$2"' _ "$rc" "$out"

"$flowdx" run -c conf/flowdx.yaml -c "$tmp/both.yaml" > /dev/null 2> "$tmp/err"; rc=$?
check "run -c A -c B: exit 2, said" \
    bash -c '[ "$1" -eq 2 ] && grep -q -- "-c given twice (conf/flowdx.yaml and" "$2"' _ "$rc" "$tmp/err"

# Errors: located (columns counted by hand from 1: "  jsonl: {fiel" has the f in column 11), with
# the nearest key; exit status 2; nothing run.
bad() { # YAML, expected message part
    printf '%s\n' "$1" > "$tmp/bad.yaml"
    "$flowdx" config check "$tmp/bad.yaml" > /dev/null 2> "$tmp/bad.err"
    local rc=$?
    check "config check refuses: $2" bash -c "[ $rc -eq 2 ] && grep -qF -- \"\$1\" \"\$2\"" _ "$2" "$tmp/bad.err" ||
        cat "$tmp/bad.err"
}
bad "# a comment, no key" "bad.yaml: empty (no key)"
bad "" "bad.yaml: empty (no key)"
"$flowdx" run -c "$tmp/bad.yaml" -r "$emotet" > /dev/null 2> "$tmp/bad.err"
check "run -c refuses an empty file, even with -r: exit 2" \
    bash -c '[ "$1" -eq 2 ] && grep -q "bad.yaml: empty (no key)" "$2"' _ $? "$tmp/bad.err"
# `run -c --help` is a request for the help, not a file named --help (getopt hands it to -c)
out=$("$flowdx" run -c --help 2>&1)
check "run -c --help prints the help, exit 0" \
    bash -c '[ "$1" -eq 0 ] && grep -q "^Usage: flowdx run -c FILE" <<< "$2"' _ $? "$out"
bad "detetcors: {}" "bad.yaml:1:1: unknown key 'detetcors' (did you mean 'detectors'?)"
bad $'detectors:\n  doh: {servers: [10.0.0.300]}' "bad.yaml:2:19: key 'servers': not an IPv4 or IPv6 address"
bad $'flows:\n  idle_timeout: -5s' "bad.yaml:2:17: key 'idle_timeout'"
bad $'outputs:\n  jsonl: {fiel: x}' "bad.yaml:2:11: unknown key 'fiel' (did you mean 'file'?)"
bad $'allowlist:\n  addresses: [10.0.0.0/33]' "bad.yaml:2:15: key 'addresses': not an address or a network"
bad $'allowlist:\n  addresses: [10.0.0.0/-1]' "bad.yaml:2:15: key 'addresses': not an address or a network"
bad $'allowlist:\n  addresses: [""]' "bad.yaml:2:15: key 'addresses': not an address or a network"
bad $'detectors:\n  spam: {model: conf/models/doh.fdxm}' "the spam plugin computes 'zadnik'"
# a set that cuts its own flows runs alone: with a detector, refused at the set ("features: [" is
# 11 columns)
bad $'detectors:\n  spam: {}\nfeatures: [doh:dohlyzer]' \
    "bad.yaml:3:12: key 'features': feature set 'doh:dohlyzer' cuts its own flows (DoHLyzer rules) and runs alone: no detector or plugin can run with it"
# a spam detector without ports selects no flow
bad $'detectors:\n  spam: {ports: []}' "bad.yaml:2:17: key 'ports': an empty list selects no flow"
bad "input: [a.pcap]" "bad.yaml:1:8: key 'input'"
# empty names, which run -c used to refuse only after the run (or never): the map holding the key
bad $'outputs:\n  jsonl: {file: ""}' "bad.yaml:2:10: key 'file': empty"
bad $'input:\n  interface: ""' "bad.yaml:2:3: key 'interface': empty"
bad $'input:\n  read: [""]' "bad.yaml:2:10: key 'read': expected a file name"
# input.user: live capture only, and a user that exists; located at the value (line 3: "  user: "
# puts it in column 9; in a flow mapping, '{interface: lo, user: "' puts the quote in column 30)
bad $'input:\n  read: [x.pcap]\n  user: nobody' "bad.yaml:3:9: key 'user': applies to live capture (input.interface) only"
bad $'input:\n  interface: lo\n  user: nosuchuser-fdx' "bad.yaml:3:9: key 'user': nosuchuser-fdx: no such user"
bad 'input: {interface: lo, user: "nosuchuser-fdx"}' "bad.yaml:1:30: key 'user': nosuchuser-fdx: no such user"
printf 'input:\n  interface: lo\n  user: nosuchuser-fdx\n' > "$tmp/user.yaml"
"$flowdx" run -c "$tmp/user.yaml" > /dev/null 2> "$tmp/user.err"; rc=$?
check "run -c with that input.user: exit 2, located" bash -c \
    '[ "$1" -eq 2 ] && grep -qxF "flowdx run: $2:3:9: key '"'"'user'"'"': nosuchuser-fdx: no such user" "$3"' \
    _ "$rc" "$tmp/user.yaml" "$tmp/user.err"
# --detect doh,spam passes --user on as input.user: its message names the option, as --detect doh's
out=$("$flowdx" run --detect doh,spam -i lo --user nosuchuser-fdx 2>&1); rc=$?
check "--detect doh,spam --user NO-SUCH: exit 2, the option named" bash -c \
    '[ "$1" -eq 2 ] && [ "$2" = "flowdx run: --user nosuchuser-fdx: no such user" ]' _ "$rc" "$out"
# a filter that does not compile and a malformed IPFIX destination: refused at load, before any
# capture is opened or collector reached (libpcap's grammar: "port" needs a number or a name), at
# the value (columns counted by hand: '  filter: "' puts the quote in column 11, and
# '  ipfix: {destination: "' in column 24)
bad $'input:\n  read: [x.pcap]\n  filter: "tcp port"' "bad.yaml:3:11: key 'filter': filter 'tcp port':"
bad $'outputs:\n  ipfix: {destination: "udp://collector:70000"}' \
    "bad.yaml:2:24: key 'destination': udp://collector:70000: port '70000' is not a number from 1 to 65535"
bad $'outputs:\n  ipfix: {destination: "sctp://collector"}' "unknown transport 'sctp'"
"$flowdx" run -c "$tmp/bad.yaml" -r "$emotet" > /dev/null 2> "$tmp/bad-run.err"; rc=$?
check "run -c with it: exit 2, located" bash -c \
    "[ $rc -eq 2 ] && grep -q \"bad.yaml:2:24: key 'destination'\" \"\$0\"" "$tmp/bad-run.err"
# --filter replaces the file's filter: a bad one in the file is then not an error
printf 'input:\n  read: [%s]\n  filter: "tcp port"\n' "$emotet" > "$tmp/replaced.yaml"
"$flowdx" run -c "$tmp/replaced.yaml" --filter "tcp port 587" -q > /dev/null 2> "$tmp/err"
check "run -c with --filter: the file's bad filter is replaced, exit 0" test $? -eq 0
# a bad --filter: exit 2, and no closing line of counts (nothing was read)
"$flowdx" run -c "$tmp/replaced.yaml" --filter "tcp prt 1" > /dev/null 2> "$tmp/err"
rc=$?
check "run -c with a bad --filter: exit 2, the filter named, no closing line" bash -c \
    '[ "$1" -eq 2 ] && grep -q "filter '"'"'tcp prt 1'"'"'" "$2" && ! grep -qE "run: [0-9]+ flows?(;|$)" "$2"' _ "$rc" "$tmp/err"
# a filter that needs a netmask compiles for a live capture (the interface's netmask)
printf 'input:\n  interface: lo\n  filter: "ip broadcast"\n' > "$tmp/live.yaml"
check "'ip broadcast' for a live capture passes config check" "$flowdx" config check "$tmp/live.yaml"
printf 'input:\n  read: [%s]\n  filter: "ether host 00:11:22:33:44:55 and tcp port 25"\noutputs:\n  ipfix: {destination: "tcp://[::1]:4739"}\n' "$emotet" > "$tmp/good.yaml"
check "a filter and destination that are well formed pass config check" "$flowdx" config check "$tmp/good.yaml"
# input.read: the captures are opened (headers only): a missing one, a file that is no capture, and
# a filter that the capture's link type refuses are errors of the configuration (the dns2tcp capture is
# Linux cooked v1 in capinfos -E, and tcpdump -r refuses "ether host" on it: "ethernet addresses
# supported only on ethernet/..."). Each is located at its name: line 2, column 10 (after "  read: [")
bad $'input:\n  read: [no-such.pcap]' "bad.yaml:2:10: key 'read': no-such.pcap: No such file or directory"
# a FIFO is not opened (its header would be taken from the run that reads it): no wait
mkfifo "$tmp/cap.fifo"
printf 'input:\n  read: [%s]\n' "$tmp/cap.fifo" > "$tmp/fifo.yaml"
check "config check with a FIFO in input.read: valid, at once" timeout 10 "$flowdx" config check "$tmp/fifo.yaml"
bad $'input:\n  read: [conf/flowdx.yaml]' "bad.yaml:2:10: key 'read': conf/flowdx.yaml: not a pcap or pcapng capture"
# An empty capture among others (a file just rotated in) is skipped by the run: a warning only.
: > "$tmp/empty.pcap"
printf 'input:\n  read: [%s, %s]\n' "$tmp/empty.pcap" "$emotet" > "$tmp/empty.yaml"
check "config check: an empty capture among others, valid with a warning" bash -c \
    '"$0" config check "$1" 2>&1 >/dev/null | grep -q "2:10: warning: key .read.: .*empty.pcap: empty file, no capture header (a run skips it)"' \
    "$flowdx" "$tmp/empty.yaml"
bad $'input:\n  read: ['"$dns2tcp"$']\n  filter: "ether host 00:11:22:33:44:55"' "bad.yaml:2:10: key 'read': $dns2tcp: filter 'ether host"
# What only the engine checks (the moore set and the moore plugin both name moore_001_server_port) is
# found by config check too, and run -c refuses it as a bad configuration: exit 2.
moore_so=$(dirname "$flowdx")/../plugin/flowdx-moore.so
bad $'features: [moore]\nplugins:\n  - path: '"$moore_so" \
    "bad.yaml: plugin 'moore': field 0 'moore_001_server_port' has the name of a feature already in the record"
"$flowdx" run -c "$tmp/bad.yaml" -r "$emotet" > /dev/null 2> "$tmp/bad-run.err"; rc=$?
check "run -c on it: exit 2, the same message" bash -c \
    "[ $rc -eq 2 ] && grep -q \"bad.yaml: plugin 'moore': field 0 'moore_001_server_port'\" \"\$0\"" "$tmp/bad-run.err"
# A detector's key without a value is refused (it reads as "on", and null would mean "absent"), and
# so is an empty feature list with nothing else to compute; both located at the key's value.
bad $'detectors:\n  spam:' "bad.yaml:2:3: key 'spam': no settings; write 'spam: {}'"
bad 'features: []' "bad.yaml:1:11: key 'features': no feature set, and no detector or plugin runs"
# Two outputs of records on standard output would interleave: refused. Alerts and the senders
# report are text for people and may share it (the report comes after the alerts).
bad $'outputs:\n  jsonl: {file: "-"}' \
    "bad.yaml: outputs.alerts and $tmp/bad.yaml:2:17: outputs.jsonl both write to standard output, where their lines would mix"
printf 'detectors:\n  spam: {}\noutputs:\n  senders: {file: "-"}\n' > "$tmp/share.yaml"
check "alerts and the senders report may share standard output" "$flowdx" config check "$tmp/share.yaml"
# ... and a file: the report follows the alerts in it, as run --detect spam -o writes them. The
# emotet flow is spam (README), so the file holds its alert, then the report naming its source.
printf 'detectors:\n  spam: {}\noutputs:\n  alerts: {file: %s}\n  senders: {file: %s, min_spam: 1}\n' \
    "$tmp/shared.txt" "$tmp/./shared.txt" > "$tmp/share2.yaml"
"$flowdx" run -c "$tmp/share2.yaml" -q -r "$emotet" > "$tmp/share2.out"
check "alerts and the senders report in one file: the alert, then the report" python3 -c '
import sys
lines = open(sys.argv[1]).read().splitlines()
alert = [i for i, l in enumerate(lines) if "spam (detector spam)" in l]
report = [i for i, l in enumerate(lines) if l.startswith("main spam senders")]
assert len(alert) == 1 and len(report) == 1 and alert[0] < report[0], lines
assert lines[report[0] + 2].startswith("10.2.25.102 "), lines
' "$tmp/shared.txt"
check "... and nothing on standard output" test ! -s "$tmp/share2.out"
# The report counts the spam detector's verdicts: without that detector it is refused, located.
bad $'detectors:\n  doh: {}\noutputs:\n  senders:\n    file: s.txt' \
    "bad.yaml:5:11: outputs.senders: the senders report needs the spam detector (detectors.spam)"
check "config check on a directory says so" bash -c \
    "\"\$0\" config check \"\$1\" 2>&1 | grep -qF \"\$1: is a directory\"" "$flowdx" "$tmp"
# Plugins of test/plugins/broken.c (built beside the tests). 12 marks every flow malicious with the
# label 'bad"la\bel' + newline + the two bytes of UTF-8 e-acute: the host keeps printable ASCII and
# turns every other byte into '?', and JSON lines escape the quote and the backslash.
plugins=$(dirname "$flowdx")/../test
if [ -f "$plugins/broken12.so" ]; then
    printf 'plugins:\n  - path: %s\noutputs:\n  alerts: {file: %s}\n  jsonl: {file: "-"}\n' \
        "$plugins/broken12.so" "$tmp/label-alerts" > "$tmp/label.yaml"
    "$flowdx" run -c "$tmp/label.yaml" -q -r "$emotet" > "$tmp/label.jsonl"
    check "a plugin's label: valid JSON lines, printable ASCII" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) > 0
for o in lines:
    assert o["verdicts"]["broken"]["label"] == "bad\"la\\bel???", o["verdicts"]
' "$tmp/label.jsonl"
    check "a plugin's label: one alert line per flow" \
        test "$(wc -l < "$tmp/label-alerts")" -eq "$(wc -l < "$tmp/label.jsonl")"
    # 13 exports its field as element 8200 under the host's enterprise number, which is flowdx's
    # own range (8192-16383): the exporter refuses it, and config check finds it too.
    bad $'plugins:\n  - path: '"$plugins"$'/broken13.so\noutputs:\n  ipfix:\n    destination: '"$tmp/x.ipfix" \
        "bad.yaml:5:5: outputs.ipfix: plugin 'broken': field 'broken_x': element id 8200 is flowdx's own"
else
    echo "SKIP: no test plugins beside $flowdx"
fi
finish
