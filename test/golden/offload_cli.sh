#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# flowdx run -i and NIC offloads: on one end of a veth pair between two network namespaces of this
# test's own, a 2 MB TCP transfer to port 25 is captured by flowdx and by tcpdump at once.
# - With the veth's default offloads (TSO and GSO on), flowdx names at start the offloads that
#   ethtool -k reports on, and warns of packets longer than the MTU; its count and the largest
#   IP length are those of tcpdump's capture of the same packets (counted by a script below).
# - With the offloads off, neither warning, and no packet over the MTU in either capture.
# - On a loopback interface (MTU 65536) no offload warning, although ethtool reports TSO on.
# Usage: offload_cli.sh FLOWDX TOP   (as root; exit status 77 = skipped)
set -uo pipefail
flowdx=$1
top=$2
here=$(cd "$(dirname "$0")" && pwd)

. "$here/checks.sh"
need_root "network namespaces, capture" ip ethtool tcpdump python3 timeout
ns_a=fdxoff-$$-a
ns_b=fdxoff-$$-b
teardown() {
    netns_del "$ns_a" "$ns_b"
    rm -rf "$tmp"
}
trap teardown EXIT
trap 'exit 1' INT TERM

set -e
netns_add "$ns_a" "$ns_b"
ip -n "$ns_a" link set lo up
ip -n "$ns_b" link set lo up
ip -n "$ns_a" link add off0 mtu 1500 type veth peer name off1 mtu 1500 netns "$ns_b"
ip -n "$ns_a" addr add 10.213.0.1/24 dev off0
ip -n "$ns_b" addr add 10.213.0.2/24 dev off1
ip -n "$ns_a" link set off0 up
ip -n "$ns_b" link set off1 up
set +e

in_a() { ip netns exec "$ns_a" "$@"; }

# The offloads ethtool -k reports on for IFACE (in ns_a), in flowdx's order and spelling.
offloads_on() {
    local k
    k=$(in_a ethtool -k "$1")
    local out=() name feature
    for pair in GRO:generic-receive-offload LRO:large-receive-offload \
        TSO:tcp-segmentation-offload GSO:generic-segmentation-offload; do
        name=${pair%%:*}
        feature=${pair#*:}
        grep -q "^$feature: on" <<< "$k" && out+=("$name")
    done
    local IFS=,
    echo "${out[*]}" | sed 's/,/, /g'
}

# Packets of IP length above 1500 in a pcap of Ethernet frames: "COUNT LARGEST" (the IP
# length is the frame length less the 14-byte Ethernet header: no VLAN tags on this link).
over_mtu() {
    python3 - "$1" << 'EOF'
import struct, sys
data = open(sys.argv[1], 'rb').read()
endian = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
off, n, largest = 24, 0, 0
while off + 16 <= len(data):
    _, _, incl, orig = struct.unpack(endian + 'IIII', data[off:off + 16])
    off += 16 + incl
    ip_len = orig - 14
    if ip_len > 1500:
        n += 1
        largest = max(largest, ip_len)
print(n, largest)
EOF
}

# transfer NAME (ip netns exec, not in_a, for the background jobs: $! is then the program
# itself, which the signals reach): flowdx and tcpdump capture off0 while 2 MB go to port 25 of ns_b; flowdx's
# standard error in $tmp/NAME.err, tcpdump's capture in $tmp/NAME.pcap.
transfer() {
    local name=$1
    ip netns exec "$ns_b" timeout 30 python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.213.0.2", 25))
s.listen(1)
c, _ = s.accept()
while c.recv(65536):
    pass
' &
    local server=$!
    # Buffers of 64 MiB: the 2 MiB default holds about 30 packets of 64 KiB, and a packet one
    # capture drops and the other keeps would make their counts differ.
    ip netns exec "$ns_a" timeout 60 tcpdump -i off0 -B 65536 -s 128 -U -w "$tmp/$name.pcap" \
        tcp 2> "$tmp/$name.tcpdump" &
    local dump=$!
    ip netns exec "$ns_a" "$flowdx" run -i off0 --buffer-size 64 --detect spam --judge-one-way \
        --format jsonl -m "$top/conf/models/spam.fdxm" -o "$tmp/$name.jsonl" 2> "$tmp/$name.err" &
    local fdx=$!
    await "$fdx" "$tmp/$name.err" "listening on off0" > /dev/null
    await "$dump" "$tmp/$name.tcpdump" "listening on" > /dev/null
    sleep 0.5
    in_a timeout 30 python3 -c '
import socket
c = socket.create_connection(("10.213.0.2", 25))
c.sendall(b"x" * 2000000)
c.close()
'
    wait "$server"
    sleep 1
    stop INT "$fdx"
    fdx_rc=$rc
    kill -INT "$dump"
    wait "$dump"
}

# 1. The veth's own defaults: TSO and GSO on.
want=$(offloads_on off0)
echo "ethtool -k off0, on: ${want:-none}"
check "the veth starts with an offload on (ethtool)" test -n "$want"
transfer on
check "offloads on: flowdx exits 0" test "$fdx_rc" -eq 0
check "offloads on: the warning names those ethtool reports on ($want)" \
    grep -q "warning: off0: offloads on: $want\. " "$tmp/on.err"
read -r n largest <<< "$(over_mtu "$tmp/on.pcap")"
echo "tcpdump: $n packets over the MTU, the largest $largest bytes"
check "offloads on: tcpdump saw packets over the MTU" test "$n" -gt 0
check "offloads on: neither capture dropped a packet" \
    eval 'grep -q " 0 dropped by libpcap" "$tmp/on.err" &&
          grep -q "^0 packets dropped by kernel" "$tmp/on.tcpdump"'
check "offloads on: warned once while running, with tcpdump's largest" \
    test "$(grep -c "warning: off0: .* longer than the MTU (1500 bytes), the largest" \
        "$tmp/on.err")" -eq 1
check "offloads on: the summary counts tcpdump's $n packets, the largest $largest bytes" \
    grep -q "^flowdx run: off0: $n packets longer than the MTU (1500 bytes), the largest $largest bytes$" \
    "$tmp/on.err"
grep "off0" "$tmp/on.err"

# 2. Offloads off: no warning, and no packet over the MTU.
in_a ethtool -K off0 gro off gso off tso off 2> /dev/null
check "ethtool turned the offloads off" test -z "$(offloads_on off0)"
transfer off
check "offloads off: flowdx exits 0" test "$fdx_rc" -eq 0
read -r n largest <<< "$(over_mtu "$tmp/off.pcap")"
check "offloads off: tcpdump saw no packet over the MTU" test "$n" -eq 0
check "offloads off: no offload or MTU warning, no MTU line" \
    test -z "$(grep -E "offloads on|longer than the MTU" "$tmp/off.err")"
check "offloads off: the transfer was captured (the spam verdict's flow)" \
    grep -q '"dst_port":25' "$tmp/off.jsonl"

# 3. Loopback: TSO on by ethtool, but no warning (its MTU admits any packet an offload makes).
lo_on=$(offloads_on lo)
echo "ethtool -k lo, on: ${lo_on:-none}"
ip netns exec "$ns_a" "$flowdx" run -i lo --detect spam -m "$top/conf/models/spam.fdxm" \
    -o /dev/null 2> "$tmp/lo.err" &
lo_pid=$!
await "$lo_pid" "$tmp/lo.err" "listening on lo" > /dev/null
stop INT "$lo_pid"
check "loopback: flowdx exits 0" test "$rc" -eq 0
check "loopback: no offload warning" test -z "$(grep "offloads on" "$tmp/lo.err")"
finish
