#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Deterministic edits of a classic pcap's first TCP connection, for the tcptrace golden test.
"""Write edited copies of a capture so that tcptrace's rarer paths get exercised: loss, repeats,
reordering, duplicate ACKs, closed windows, snaplen cuts, sequence wraps, SACK, a reused 4-tuple.

Usage: tcptrace_edit.py CAPTURE OUTDIR  -> writes OUTDIR/<base>.<scenario>.pcap, one per scenario, and
prints their paths. Only classic pcap with Ethernet (1) or Linux cooked (113) links and IPv4 is edited.
The edited connection is the capture's first one that starts with a SYN; "client" is its SYN sender.
Checksums are left as they are (neither tcptrace nor flowdx checks them).
"""
import os
import struct
import sys

LINK_HDR = {1: 14, 113: 16}


class Pkt:
    def __init__(self, ts, caplen, wirelen, data):
        self.ts = ts  # microseconds
        self.caplen = caplen
        self.wirelen = wirelen
        self.data = bytearray(data)


def read_pcap(path):
    with open(path, 'rb') as f:
        raw = f.read()
    magic = raw[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        return None, None, None
    nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    linktype = struct.unpack(end + 'I', raw[20:24])[0]
    pkts = []
    off = 24
    while off + 16 <= len(raw):
        sec, frac, caplen, wirelen = struct.unpack(end + 'IIII', raw[off:off + 16])
        us = frac // 1000 if nano else frac
        pkts.append(Pkt(sec * 1000000 + us, caplen, wirelen, raw[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return linktype, pkts, raw[:24]


def write_pcap(path, linktype, pkts):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
        for p in pkts:
            f.write(struct.pack('<IIII', p.ts // 1000000, p.ts % 1000000, len(p.data), p.wirelen))
            f.write(bytes(p.data))


class Tcp:
    """Offsets of one IPv4/TCP packet's fields; None when the packet is something else."""

    def __init__(self, p, linktype):
        self.ok = False
        lh = LINK_HDR.get(linktype)
        d = p.data
        if lh is None or len(d) < lh + 20:
            return
        etype = struct.unpack('>H', d[lh - 2:lh])[0]
        if etype != 0x0800 or d[lh] >> 4 != 4 or d[lh + 9] != 6:
            return
        self.ip = lh
        ihl = (d[lh] & 15) * 4
        self.tcp = lh + ihl
        if len(d) < self.tcp + 20:
            return
        self.ok = True
        self.src = bytes(d[lh + 12:lh + 16]) + d[self.tcp:self.tcp + 2]
        self.dst = bytes(d[lh + 16:lh + 20]) + d[self.tcp + 2:self.tcp + 4]
        self.iplen = struct.unpack('>H', d[lh + 2:lh + 4])[0]
        self.doff = (d[self.tcp + 12] >> 4) * 4
        self.flags = d[self.tcp + 13]
        self.seq = struct.unpack('>I', d[self.tcp + 4:self.tcp + 8])[0]
        self.ack = struct.unpack('>I', d[self.tcp + 8:self.tcp + 12])[0]
        self.win = struct.unpack('>H', d[self.tcp + 14:self.tcp + 16])[0]
        self.payload = self.iplen - ihl - self.doff


def put32(p, at, v):
    p.data[at:at + 4] = struct.pack('>I', v & 0xffffffff)


class Conn:
    """The first connection of the capture that starts with a SYN, its packets by direction."""

    def __init__(self, linktype, pkts):
        self.linktype = linktype
        self.pkts = pkts
        self.client = None
        for p in pkts:
            t = Tcp(p, linktype)
            if t.ok and t.flags & 0x12 == 0x02:
                self.client, self.server = t.src, t.dst
                break

    def tcp(self, p):
        return Tcp(p, self.linktype)

    def side(self, p):
        t = self.tcp(p)
        if not t.ok or self.client is None:
            return None
        if (t.src, t.dst) == (self.client, self.server):
            return 0
        if (t.src, t.dst) == (self.server, self.client):
            return 1
        return None

    def data_idx(self, side):
        """Indices of the packets of side that carry payload."""
        return [i for i, p in enumerate(self.pkts)
                if self.side(p) == side and self.tcp(p).payload > 0]

    def pure_ack_idx(self, side):
        return [i for i, p in enumerate(self.pkts)
                if self.side(p) == side and self.tcp(p).payload == 0 and self.tcp(p).flags == 0x10]


def copy_pkt(p, ts):
    return Pkt(ts, p.caplen, p.wirelen, bytes(p.data))


def scen_drop(c):
    """The client's 3rd data segment never reaches the monitor: missed data, cumulative ACK."""
    d = c.data_idx(0)
    if len(d) < 4:
        return None
    return [p for i, p in enumerate(c.pkts) if i != d[2]]


def scen_repeat(c):
    """The client's 2nd and 4th data segments are seen again later (retransmissions, Karn)."""
    d = c.data_idx(0)
    if len(d) < 5:
        return None
    out = list(c.pkts)
    for k, later in ((3, 4), (1, 3)):  # insert the later one first so indices stay valid
        at = d[later]
        ts = (out[at - 1].ts + out[at].ts) // 2
        out.insert(at, copy_pkt(c.pkts[d[k]], ts))
    # and the first data segment twice more, near the end (max # retrans = 2 for it)
    n = len(out)
    for j in (n - 2, n - 1):
        out.insert(j, copy_pkt(c.pkts[d[0]], (out[j - 1].ts + out[j].ts) // 2))
    return out


def scen_swap(c):
    """The client's 2nd and 3rd data segments change places (out of order); times stay in order."""
    d = c.data_idx(0)
    if len(d) < 4:
        return None
    out = [copy_pkt(p, p.ts) for p in c.pkts]
    a, b = d[1], d[2]
    out[a].data, out[b].data = out[b].data, out[a].data
    out[a].caplen, out[b].caplen = out[b].caplen, out[a].caplen
    out[a].wirelen, out[b].wirelen = out[b].wirelen, out[a].wirelen
    return out


def scen_dupack(c):
    """A server pure ACK in the middle repeated three times just after itself (triple dupack)."""
    acks = c.pure_ack_idx(1)
    if len(acks) < 3:
        return None
    at = acks[len(acks) // 2]
    out = list(c.pkts)
    for k in (1, 2, 3):
        out.insert(at + k, copy_pkt(c.pkts[at], c.pkts[at].ts + k))
    return out


def scen_zerowin(c):
    """The server's last packet before two client data segments advertises window 0 (probes)."""
    d = c.data_idx(0)
    if len(d) < 4:
        return None
    out = [copy_pkt(p, p.ts) for p in c.pkts]
    for k in (1, 3):
        for i in range(d[k] - 1, -1, -1):
            if c.side(out[i]) == 1:
                t = c.tcp(out[i])
                out[i].data[t.tcp + 14:t.tcp + 16] = b'\0\0'
                break
    return out


def scen_trunc(c):
    """Every data packet of the client captured with at most 10 payload bytes (snaplen)."""
    out = []
    for p in c.pkts:
        q = copy_pkt(p, p.ts)
        t = c.tcp(p)
        if c.side(p) == 0 and t.payload > 10:
            keep = t.tcp + t.doff + 10
            q.data = q.data[:keep]
            q.caplen = keep
        out.append(q)
    return out


def shift_seq(c, side, isn_target):
    """Move side's sequence numbers (and the peer's ACKs of them) so that its ISN is isn_target."""
    syn = next(p for p in c.pkts if c.side(p) == side and c.tcp(p).flags & 0x02)
    delta = (isn_target - c.tcp(syn).seq) & 0xffffffff
    out = []
    for p in c.pkts:
        q = copy_pkt(p, p.ts)
        s = c.side(p)
        t = c.tcp(p)
        if s == side:
            put32(q, t.tcp + 4, t.seq + delta)
        elif s is not None and t.flags & 0x10:
            put32(q, t.tcp + 8, t.ack + delta)
        out.append(q)
    return out


def scen_wrap(c):
    """Client ISN 2^32 - 3000: its stream wraps past 2^32 (stream length, ranges split at 0)."""
    return shift_seq(c, 0, 0x100000000 - 3000)


def scen_quarter(c):
    """Server ISN 2^30 - 100: its data crosses a quarter of the sequence space."""
    return shift_seq(c, 1, 0x40000000 - 100)


def add_sack(c, p, blocks):
    """p with a SACK option of blocks (pairs of left, right) appended to its TCP header."""
    t = c.tcp(p)
    opt = b'\x01\x01\x05' + bytes([2 + 8 * len(blocks)])
    for left, right in blocks:
        opt += struct.pack('>II', left & 0xffffffff, right & 0xffffffff)
    if t.doff + len(opt) > 60:
        return None
    q = copy_pkt(p, p.ts)
    end = t.tcp + t.doff
    q.data[end:end] = opt
    q.data[t.tcp + 12] = ((t.doff + len(opt)) // 4) << 4 | (q.data[t.tcp + 12] & 15)
    q.data[t.ip + 2:t.ip + 4] = struct.pack('>H', t.iplen + len(opt))
    q.caplen += len(opt)
    q.wirelen += len(opt)
    return q


def scen_sack(c):
    """Server pure ACKs with SACK blocks: plain, D-SACK below the ACK, inside, and overlapping."""
    acks = c.pure_ack_idx(1)
    if len(acks) < 4:
        return None
    out = list(c.pkts)
    for k, at in enumerate(acks[:4]):
        a = c.tcp(c.pkts[at]).ack
        blocks = [
            [(a + 1000, a + 2000)],                      # plain SACK
            [(a - 500, a - 100), (a + 100, a + 200)],    # D-SACK: first block below the ACK
            [(a + 300, a + 400), (a + 200, a + 600)],    # D-SACK: first block inside the second
            [(a + 300, a + 700), (a + 500, a + 900), (a + 1000, a + 1100)],  # overlapping
        ][k]
        q = add_sack(c, c.pkts[at], blocks)
        if q is not None:
            out[at] = q
    return out


def scen_reuse(c):
    """The connection again on the same 4-tuple 10 s after the capture's end, new ISNs (+2^28).

    Only for a connection closed by FINs from both sides: tcptrace then starts a new connection
    (SYN after FIN, outside the old window) and flowdx a new flow (after the FIN linger).
    """
    mine = [p for p in c.pkts if c.side(p) is not None]
    if not all(any(c.side(p) == s and c.tcp(p).flags & 0x01 for p in mine) for s in (0, 1)):
        return None
    shift = c.pkts[-1].ts + 10000000 - mine[0].ts
    out = list(c.pkts)
    for p in mine:
        q = copy_pkt(p, p.ts + shift)
        t = c.tcp(p)
        put32(q, t.tcp + 4, t.seq + 0x10000000)
        if t.flags & 0x10:
            put32(q, t.tcp + 8, t.ack + 0x10000000)
        out.append(q)
    return out


SCENARIOS = [('drop', scen_drop), ('repeat', scen_repeat), ('swap', scen_swap),
             ('dupack', scen_dupack), ('zerowin', scen_zerowin), ('trunc', scen_trunc),
             ('wrap', scen_wrap), ('quarter', scen_quarter), ('sack', scen_sack),
             ('reuse', scen_reuse)]


def main():
    if len(sys.argv) != 3:
        sys.stderr.write('usage: tcptrace_edit.py CAPTURE OUTDIR\n')
        return 2
    linktype, pkts, _ = read_pcap(sys.argv[1])
    if pkts is None or linktype not in LINK_HDR:
        return 0
    c = Conn(linktype, pkts)
    if c.client is None:
        return 0
    base = os.path.splitext(os.path.basename(sys.argv[1]))[0]
    for name, fn in SCENARIOS:
        out = fn(c)
        if out is None:
            continue
        path = os.path.join(sys.argv[2], '%s.%s.pcap' % (base, name))
        write_pcap(path, linktype, out)
        print(path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
