# SPDX-License-Identifier: BSD-3-Clause
"""Reading the labs' captures: classic pcap files (Ethernet, Linux cooked v1 and v2) and TCP options. Stdlib only."""
import struct


def read_pcap(path):
    """Yield (ts, frame_len, ip_bytes) for IPv4 packets of a classic pcap (Ethernet or Linux cooked)."""
    with open(path, "rb") as f:
        gh = f.read(24)
        if len(gh) < 24:
            return
        magic = struct.unpack("<I", gh[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            e = "<"
        else:
            e = ">"
            magic = struct.unpack(">I", gh[:4])[0]
        nano = magic == 0xA1B23C4D
        linktype = struct.unpack(e + "I", gh[20:24])[0]
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                return
            sec, frac, incl, orig = struct.unpack(e + "IIII", ph)
            data = f.read(incl)
            ts = sec + frac / (1e9 if nano else 1e6)
            if linktype == 1:
                off, et = 14, struct.unpack("!H", data[12:14])[0]
            elif linktype == 113:
                off, et = 16, struct.unpack("!H", data[14:16])[0]
            elif linktype == 276:
                off, et = 20, struct.unpack("!H", data[0:2])[0]
            else:
                continue
            if et != 0x0800:
                continue
            yield ts, orig, data[off:]


def tcp_options(opts):
    """(layout, mss, wscale) of a TCP header's option bytes. layout names the options in order: M MSS,
    N NOP, W window scale, S SACK permitted, T timestamps, any other kind by its number. mss and wscale are
    None where the option is absent."""
    i, names, mss, ws = 0, [], None, None
    while i < len(opts):
        k = opts[i]
        if k == 0:
            break
        if k == 1:
            names.append("N")
            i += 1
            continue
        ln = opts[i + 1] if i + 1 < len(opts) else 2
        if k == 2:
            mss = struct.unpack("!H", opts[i + 2:i + 4])[0]
        elif k == 3 and i + 2 < len(opts):
            ws = opts[i + 2]
        names.append({2: "M", 3: "W", 4: "S", 8: "T"}.get(k, str(k)))
        i += max(ln, 2)
    return "".join(names), mss, ws


def syn_props(pcap):
    """The IPv4 TCP SYNs (no ACK) of a capture, what a host's stack shows in them: one dict per SYN with
    src, dst, ttl, win, mss, ws (window scale), opts (the option layout, see tcp_options) and len (frame)."""
    out = []
    for ts, flen, ip in read_pcap(pcap):
        if len(ip) < 20 or ip[9] != 6:
            continue
        tcp = ip[(ip[0] & 0x0F) * 4:]
        if len(tcp) < 20 or (tcp[13] & 0x12) != 0x02:
            continue
        layout, mss, ws = tcp_options(tcp[20:(tcp[12] >> 4) * 4])
        out.append({"src": ".".join(map(str, ip[12:16])), "dst": ".".join(map(str, ip[16:20])), "ttl": ip[8],
                    "win": struct.unpack("!H", tcp[14:16])[0], "mss": mss, "ws": ws, "opts": layout, "len": flen})
    return out
