/* SPDX-License-Identifier: BSD-3-Clause */
/* Decodes one captured frame, layer by layer, into a bounds-checked parsed view. */
#include "packet/packet.h"

#include <string.h>

/* libpcap DLT_* / LINKTYPE_* numbers; spelled here so the decoder does not need pcap.h. */
enum {
    LT_NULL = 0,
    LT_EN10MB = 1,
    LT_RAW = 12,
    LT_LINKTYPE_RAW = 101,
    LT_LOOP = 108,
    LT_LINUX_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_LINUX_SLL2 = 276,
};

enum {
    ETH_IPV4 = 0x0800,
    ETH_IPV6 = 0x86DD,
    ETH_VLAN = 0x8100,
    ETH_QINQ = 0x88A8,
    ETH_QINQ_OLD = 0x9100,
    ETH_MPLS = 0x8847,
    ETH_PPPOE = 0x8864,
};

#define MAX_VLAN_TAGS 8
#define MAX_MPLS_LABELS 8 /* deeper stacks are treated as malformed (doc/packets.md) */
#define MAX_IPV6_EXT 16

/* Network-order readers; callers have checked the bounds. */
static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A cursor over the captured bytes: off is where the current layer starts. */
struct cursor {
    const uint8_t *data;
    uint32_t caplen;
    uint32_t wirelen;
    uint32_t off;
};

static bool have(const struct cursor *c, uint32_t n)
{
    return c->off <= c->caplen && c->caplen - c->off >= n;
}

/* Network layer to decode after the link layer. */
enum net { NET_IPV4, NET_IPV6, NET_BY_NIBBLE, NET_OTHER };

static enum net net_from_ethertype(uint16_t type)
{
    if (type == ETH_IPV4)
        return NET_IPV4;
    if (type == ETH_IPV6)
        return NET_IPV6;
    return NET_OTHER;
}

/* Address family values of BSD loopback headers (AF_INET and the BSDs' AF_INET6). */
static enum net net_from_family(uint32_t family)
{
    switch (family) {
    case 2:
        return NET_IPV4;
    case 10:
    case 24:
    case 28:
    case 30:
        return NET_IPV6;
    default:
        return NET_OTHER;
    }
}

static enum fdxi_decode_result decode_mpls(struct cursor *c, enum net *ret_net)
{
    for (int i = 0; i < MAX_MPLS_LABELS; i++) {
        if (!have(c, 4))
            return FDXI_DEC_TRUNCATED;
        bool bottom = (c->data[c->off + 2] & 0x01) != 0;
        c->off += 4;
        if (bottom) {
            *ret_net = NET_BY_NIBBLE;
            return FDXI_DEC_OK;
        }
    }
    return FDXI_DEC_MALFORMED;
}

static enum fdxi_decode_result decode_pppoe(struct cursor *c, enum net *ret_net)
{
    if (!have(c, 8))
        return FDXI_DEC_TRUNCATED;
    uint16_t ppp = rd16(c->data + c->off + 6);
    c->off += 8;
    if (ppp == 0x0021)
        *ret_net = NET_IPV4;
    else if (ppp == 0x0057)
        *ret_net = NET_IPV6;
    else
        *ret_net = NET_OTHER;
    return FDXI_DEC_OK;
}

/* The ethertype-driven part shared by Ethernet and the Linux cooked headers. */
static enum fdxi_decode_result decode_ethertype(struct cursor *c, uint16_t type, enum net *ret_net)
{
    int tags = 0;
    while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
        if (++tags > MAX_VLAN_TAGS)
            return FDXI_DEC_MALFORMED;
        if (!have(c, 4))
            return FDXI_DEC_TRUNCATED;
        type = rd16(c->data + c->off + 2);
        c->off += 4;
    }
    if (type == ETH_MPLS)
        return decode_mpls(c, ret_net);
    if (type == ETH_PPPOE)
        return decode_pppoe(c, ret_net);
    *ret_net = net_from_ethertype(type);
    return FDXI_DEC_OK;
}

static enum fdxi_decode_result decode_link(int linktype, struct cursor *c, enum net *ret_net)
{
    switch (linktype) {
    case LT_EN10MB:
        if (!have(c, 14))
            return FDXI_DEC_TRUNCATED;
        c->off = 14;
        return decode_ethertype(c, rd16(c->data + 12), ret_net);
    case LT_LINUX_SLL:
        if (!have(c, 16))
            return FDXI_DEC_TRUNCATED;
        c->off = 16;
        return decode_ethertype(c, rd16(c->data + 14), ret_net);
    case LT_LINUX_SLL2:
        if (!have(c, 20))
            return FDXI_DEC_TRUNCATED;
        c->off = 20;
        return decode_ethertype(c, rd16(c->data), ret_net);
    case LT_RAW:
    case LT_LINKTYPE_RAW:
        *ret_net = NET_BY_NIBBLE;
        return FDXI_DEC_OK;
    case LT_IPV4:
        *ret_net = NET_IPV4;
        return FDXI_DEC_OK;
    case LT_IPV6:
        *ret_net = NET_IPV6;
        return FDXI_DEC_OK;
    case LT_NULL:
    case LT_LOOP: {
        if (!have(c, 4))
            return FDXI_DEC_TRUNCATED;
        uint32_t be = rd32(c->data);
        uint32_t le = (uint32_t)c->data[0] | ((uint32_t)c->data[1] << 8) |
                      ((uint32_t)c->data[2] << 16) | ((uint32_t)c->data[3] << 24);
        c->off = 4;
        /* DLT_NULL is in the capturing host's order, which the file does not record: the
         * family values are small, so whichever reading is small is the right one. */
        uint32_t family = (linktype == LT_LOOP || be < 0x10000) ? be : le;
        *ret_net = net_from_family(family);
        return FDXI_DEC_OK;
    }
    default:
        return FDXI_DEC_LINK_UNSUPPORTED;
    }
}

/* Bytes on the wire from the cursor on; a caplen larger than wirelen is clamped by the caller. */
static uint32_t wire_left(const struct cursor *c)
{
    return c->wirelen > c->off ? c->wirelen - c->off : 0;
}

static enum fdxi_decode_result decode_ipv4(struct cursor *c, struct fdxi_packet *p)
{
    if (!have(c, 20))
        return FDXI_DEC_TRUNCATED;
    const uint8_t *h = c->data + c->off;
    if ((h[0] >> 4) != 4)
        return FDXI_DEC_MALFORMED;
    uint32_t ihl = (uint32_t)(h[0] & 0x0F) * 4;
    if (ihl < 20)
        return FDXI_DEC_MALFORMED;
    if (!have(c, ihl))
        return FDXI_DEC_TRUNCATED;
    uint32_t total = rd16(h + 2);
    if (total == 0) /* TSO: the sender's NIC fills the length in later. */
        total = wire_left(c) > 0xFFFF ? 0xFFFF : wire_left(c);
    if (total < ihl || total > wire_left(c))
        return FDXI_DEC_MALFORMED;
    p->ip_version = 4;
    p->tos = h[1];
    p->ip_len = total;
    p->ip_hdr_bytes = (uint16_t)ihl;
    p->ttl = h[8];
    p->proto = h[9];
    memcpy(p->src, h + 12, 4);
    memcpy(p->dst, h + 16, 4);
    uint16_t frag = rd16(h + 6);
    bool more = (frag & 0x2000) != 0;
    uint32_t offset = (uint32_t)(frag & 0x1FFF) * 8;
    p->frag_id = rd16(h + 4);
    p->frag_offset_bytes = offset;
    p->is_fragment = more || offset != 0;
    p->first_fragment = more && offset == 0;
    c->off += ihl;
    return FDXI_DEC_OK;
}

static bool is_ipv6_ext(uint8_t nh)
{
    return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

static enum fdxi_decode_result decode_ipv6(struct cursor *c, struct fdxi_packet *p)
{
    if (!have(c, 40))
        return FDXI_DEC_TRUNCATED;
    const uint8_t *h = c->data + c->off;
    if ((h[0] >> 4) != 6)
        return FDXI_DEC_MALFORMED;
    uint32_t total = 40u + rd16(h + 4);
    if (total > wire_left(c))
        return FDXI_DEC_MALFORMED;
    p->ip_version = 6;
    p->tos = (uint8_t)(((h[0] & 0x0F) << 4) | (h[1] >> 4));
    p->ip_len = total;
    p->ttl = h[7];
    memcpy(p->src, h + 8, 16);
    memcpy(p->dst, h + 24, 16);
    uint8_t nh = h[6];
    uint32_t hdr = 40;
    c->off += 40;
    for (int n = 0; is_ipv6_ext(nh); n++) {
        if (n >= MAX_IPV6_EXT || hdr + 8 > total)
            return FDXI_DEC_MALFORMED;
        if (!have(c, 8))
            return FDXI_DEC_TRUNCATED;
        const uint8_t *e = c->data + c->off;
        uint32_t len;
        if (nh == 44) {
            len = 8;
            uint16_t fo = rd16(e + 2);
            bool more = (fo & 0x0001) != 0;
            p->frag_offset_bytes = (uint32_t)(fo & 0xFFF8);
            p->frag_id = rd32(e + 4);
            p->is_fragment = more || p->frag_offset_bytes != 0;
            p->first_fragment = more && p->frag_offset_bytes == 0;
        } else if (nh == 51) {
            len = ((uint32_t)e[1] + 2) * 4;
        } else {
            len = ((uint32_t)e[1] + 1) * 8;
        }
        if (hdr + len > total)
            return FDXI_DEC_MALFORMED;
        if (!have(c, len))
            return FDXI_DEC_TRUNCATED;
        nh = e[0];
        hdr += len;
        c->off += len;
        if (p->is_fragment && !p->first_fragment)
            break; /* the rest of the chain belongs to the datagram's first fragment */
    }
    p->proto = nh;
    p->ip_hdr_bytes = (uint16_t)hdr;
    return FDXI_DEC_OK;
}

static void set_payload(const struct cursor *c, struct fdxi_packet *p, uint32_t l4_hdr)
{
    uint32_t used = (uint32_t)p->ip_hdr_bytes + l4_hdr;
    p->payload_bytes = p->ip_len > used ? p->ip_len - used : 0;
    p->payload = c->data + c->off;
    uint32_t present = c->caplen > c->off ? c->caplen - c->off : 0;
    p->payload_caplen = present < p->payload_bytes ? present : p->payload_bytes;
}

/* Whether the IP packet has room for a transport header of @p n bytes. The IP lengths are
 * checked before the captured length, so that the answer does not depend on padding or snaplen. */
static bool ip_room(const struct fdxi_packet *p, uint32_t n)
{
    return (uint32_t)p->ip_hdr_bytes + n <= p->ip_len;
}

static enum fdxi_decode_result decode_tcp(struct cursor *c, struct fdxi_packet *p)
{
    if (!ip_room(p, 20))
        return FDXI_DEC_MALFORMED;
    if (!have(c, 20))
        return FDXI_DEC_TRUNCATED;
    const uint8_t *h = c->data + c->off;
    uint32_t hlen = (uint32_t)(h[12] >> 4) * 4;
    if (hlen < 20 || (uint32_t)p->ip_hdr_bytes + hlen > p->ip_len)
        return FDXI_DEC_MALFORMED;
    p->has_ports = true;
    p->sport = rd16(h);
    p->dport = rd16(h + 2);
    p->tcp_seq = rd32(h + 4);
    p->tcp_ack = rd32(h + 8);
    p->tcp_flags = h[13];
    p->tcp_window = rd16(h + 14);
    p->tcp_urgent = rd16(h + 18);
    p->tcp_hdr_bytes = (uint16_t)hlen;
    p->tcp_options = h + 20;
    uint32_t present = c->caplen - c->off - 20;
    p->tcp_options_caplen = (uint16_t)(present < hlen - 20 ? present : hlen - 20);
    uint32_t skip = 20u + p->tcp_options_caplen;
    struct cursor after = *c;
    after.off += skip < hlen ? skip : hlen;
    set_payload(&after, p, hlen);
    return FDXI_DEC_OK;
}

static enum fdxi_decode_result decode_udp(struct cursor *c, struct fdxi_packet *p)
{
    if (!ip_room(p, 8))
        return FDXI_DEC_MALFORMED;
    if (!have(c, 8))
        return FDXI_DEC_TRUNCATED;
    const uint8_t *h = c->data + c->off;
    p->has_ports = true;
    p->sport = rd16(h);
    p->dport = rd16(h + 2);
    struct cursor after = *c;
    after.off += 8;
    set_payload(&after, p, 8);
    return FDXI_DEC_OK;
}

static enum fdxi_decode_result decode_icmp(struct cursor *c, struct fdxi_packet *p)
{
    if (!ip_room(p, 4))
        return FDXI_DEC_MALFORMED;
    if (!have(c, 4))
        return FDXI_DEC_TRUNCATED;
    const uint8_t *h = c->data + c->off;
    p->icmp_type = h[0];
    p->icmp_code = h[1];
    if (p->proto == FDXI_PROTO_ICMP) {
        uint8_t t = h[0];
        p->icmp_error = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
    } else {
        p->icmp_error = h[0] >= 1 && h[0] <= 4;
    }
    return FDXI_DEC_OK;
}

static enum fdxi_decode_result decode_transport(struct cursor *c, struct fdxi_packet *p)
{
    if (p->is_fragment && !p->first_fragment)
        return FDXI_DEC_OK; /* no transport header in this piece */
    switch (p->proto) {
    case FDXI_PROTO_TCP:
        return decode_tcp(c, p);
    case FDXI_PROTO_UDP:
        return decode_udp(c, p);
    case FDXI_PROTO_ICMP:
        return p->ip_version == 4 ? decode_icmp(c, p) : FDXI_DEC_OK;
    case FDXI_PROTO_ICMPV6:
        return p->ip_version == 6 ? decode_icmp(c, p) : FDXI_DEC_OK;
    default:
        return FDXI_DEC_OK;
    }
}

bool fdxi_packet_linktype_supported(int linktype)
{
    switch (linktype) {
    case LT_NULL:
    case LT_EN10MB:
    case LT_RAW:
    case LT_LINKTYPE_RAW:
    case LT_LOOP:
    case LT_LINUX_SLL:
    case LT_IPV4:
    case LT_IPV6:
    case LT_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

enum fdxi_decode_result fdxi_packet_decode(int linktype, uint64_t ts_us, const uint8_t *data,
                                           uint32_t caplen, uint32_t wirelen,
                                           struct fdxi_packet *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->ts_us = ts_us;
    ret->caplen = caplen;
    ret->wirelen = wirelen;
    /* A capture that claims fewer wire bytes than it holds is believed for what it holds. */
    struct cursor c = {data, caplen, wirelen < caplen ? caplen : wirelen, 0};

    enum net net;
    enum fdxi_decode_result r = decode_link(linktype, &c, &net);
    if (r != FDXI_DEC_OK)
        return r;
    if (net == NET_BY_NIBBLE) {
        if (!have(&c, 1))
            return FDXI_DEC_TRUNCATED;
        uint8_t v = c.data[c.off] >> 4;
        net = v == 4 ? NET_IPV4 : v == 6 ? NET_IPV6 : NET_OTHER;
    }
    if (net == NET_OTHER)
        return FDXI_DEC_NON_IP;
    ret->link_hdr_bytes = (uint16_t)c.off;
    ret->l3 = c.data + c.off;
    ret->l3_caplen = c.caplen > c.off ? c.caplen - c.off : 0;
    r = net == NET_IPV4 ? decode_ipv4(&c, ret) : decode_ipv6(&c, ret);
    if (r != FDXI_DEC_OK)
        return r;
    return decode_transport(&c, ret);
}
