#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Rewrites a Linux cooked (v1) pcap as Ethernet: each 16-byte cooked header becomes a 14-byte
# Ethernet header with fixed MACs and the cooked header's protocol; nothing else changes.
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
magic = data[:4]
if magic == b"\xd4\xc3\xb2\xa1":
    e = "<"
elif magic == b"\xa1\xb2\xc3\xd4":
    e = ">"
else:
    sys.exit(f"{src}: not a microsecond pcap")
hdr = bytearray(data[:24])
if struct.unpack(e + "I", hdr[20:24])[0] != 113:
    sys.exit(f"{src}: link type is not Linux cooked (113)")
hdr[20:24] = struct.pack(e + "I", 1)
out = [bytes(hdr)]
off = 24
while off + 16 <= len(data):
    sec, usec, caplen, wirelen = struct.unpack(e + "IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + caplen]
    if len(frame) < caplen:
        sys.exit(f"{src}: truncated record at offset {off}")
    eth = bytes.fromhex("001122334455" "66778899aabb") + frame[14:16]
    body = eth + frame[16:]
    out.append(struct.pack(e + "IIII", sec, usec, caplen - 2, wirelen - 2) + body)
    off += 16 + caplen
open(dst, "wb").write(b"".join(out))
