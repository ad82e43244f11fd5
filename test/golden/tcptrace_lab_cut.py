#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Cuts the chosen connections of SMTP-lab captures into one small pcap (samples/spam/lab/lab-lossy.pcap).
"""Write the packets of chosen TCP connections of classic pcap files into one pcap, in time order.

Usage: tcptrace_lab_cut.py --out OUT [--snaplen N] CAPTURE=ADDR:PORT[,ADDR:PORT...] ...

Each CAPTURE=... argument names a capture and the client ends (address:port) of the connections to keep
from it: every IPv4 TCP packet to or from such an end is kept. Packets longer than --snaplen bytes are
cut to it (the record keeps the original length, as a capture with that snaplen would). The inputs must
share one link type and timestamp resolution. Python standard library only; deterministic.
"""
import argparse
import heapq
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcptrace_edit import read_pcap  # noqa: E402

MAGIC_US = 0xa1b2c3d4
ETHERTYPE_IPV4 = 0x0800
LINKTYPE_ETHERNET = 1


def read_capture(path):
    """(header fields, packets (tcptrace_edit.Pkt)) of a classic little-endian microsecond Ethernet pcap."""
    link, pkts, hdr = read_pcap(path)
    if hdr is None or struct.unpack('<I', hdr[:4])[0] != MAGIC_US:
        raise SystemExit('%s: not a little-endian microsecond pcap' % path)
    vmaj, vmin, _, _, snap = struct.unpack('<HHiII', hdr[4:20])
    if link != LINKTYPE_ETHERNET:
        raise SystemExit('%s: link type %d, not Ethernet' % (path, link))
    return (vmaj, vmin, snap, link), pkts


def ends(data):
    """((src addr, src port), (dst addr, dst port)) of an Ethernet/IPv4/TCP frame, or None."""
    if len(data) < 14 + 20 or struct.unpack('>H', data[12:14])[0] != ETHERTYPE_IPV4:
        return None
    ip = data[14:]
    ihl = (ip[0] & 0x0f) * 4
    if ip[9] != 6 or len(ip) < ihl + 4:
        return None
    src = '.'.join(str(b) for b in ip[12:16])
    dst = '.'.join(str(b) for b in ip[16:20])
    sport, dport = struct.unpack('>HH', ip[ihl:ihl + 4])
    return (src, sport), (dst, dport)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--snaplen', type=int, default=65535)
    ap.add_argument('spec', nargs='+')
    args = ap.parse_args()
    streams = []
    header = None
    for spec in args.spec:
        path, _, wanted = spec.partition('=')
        keep = set()
        for end in wanted.split(','):
            addr, _, port = end.rpartition(':')
            keep.add((addr, int(port)))
        hdr, pkts = read_capture(path)
        if header is not None and hdr[:2] + hdr[3:] != header[:2] + header[3:]:
            raise SystemExit('%s: a different pcap format from the first capture' % path)
        header = hdr
        chosen = []
        found = set()
        for p in pkts:
            e = ends(p.data)
            if e is None:
                continue
            hit = keep & set(e)
            if hit:
                found |= hit
                chosen.append((p.ts, p.wirelen, p.data[:args.snaplen]))
        if found != keep:
            raise SystemExit('%s: no packets of %s' % (path, ', '.join(
                '%s:%d' % k for k in sorted(keep - found))))
        streams.append(chosen)
    with open(args.out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', MAGIC_US, header[0], header[1], 0, 0,
                            min(header[2], args.snaplen), header[3]))
        n = 0
        # Stable merge by time: packets of one capture keep their order.
        for ts, orig, data in heapq.merge(*streams, key=lambda r: r[0]):
            f.write(struct.pack('<IIII', ts // 1000000, ts % 1000000, len(data), orig))
            f.write(data)
            n += 1
    print('%s: %d packets' % (args.out, n), file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
