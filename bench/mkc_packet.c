/* SPDX-License-Identifier: BSD-3-Clause */
/* IP-layer access to Ethernet frames for the capture builder: header offsets, shifts, flow keys. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mkcapture.h"

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86ddu
#define ETHERTYPE_VLAN 0x8100u
#define ETHERTYPE_QINQ 0x88a8u
#define ETHERTYPE_QINQ_OLD 0x9100u

#define PROTO_HOPOPTS 0
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_ICMPV6 58
#define PROTO_DSTOPTS 60

/* IPv6 extension headers followed before giving up on finding the transport header. */
#define MAX_IPV6_EXT 8

/* Where the IP and transport headers of an Ethernet frame are. */
struct layout {
    int family;    /**< 4 or 6; 0 when the frame is not IP */
    size_t l3;     /**< offset of the IP header */
    size_t l4;     /**< offset of the transport header; 0 when not in this packet */
    uint8_t proto; /**< transport protocol number */
};

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void locate_ipv4(const unsigned char *p, size_t caplen, size_t off, struct layout *ret)
{
    size_t ihl;

    if (caplen < off + 20 || p[off] >> 4 != 4) {
        return;
    }
    ihl = (size_t)(p[off] & 0x0f) * 4;
    if (ihl < 20) {
        return;
    }
    ret->family = 4;
    ret->l3 = off;
    ret->proto = p[off + 9];
    /* Only the fragment at offset zero carries the transport header. */
    if ((get16(p + off + 6) & 0x1fffu) == 0) {
        ret->l4 = off + ihl;
    }
}

static void locate_ipv6(const unsigned char *p, size_t caplen, size_t off, struct layout *ret)
{
    size_t pos = off + 40;
    uint8_t next;
    int i;

    if (caplen < off + 40 || p[off] >> 4 != 6) {
        return;
    }
    ret->family = 6;
    ret->l3 = off;
    next = p[off + 6];
    for (i = 0; i < MAX_IPV6_EXT; i++) {
        if (next == PROTO_HOPOPTS || next == PROTO_ROUTING || next == PROTO_DSTOPTS) {
            if (caplen < pos + 2) {
                break;
            }
            next = p[pos];
            pos += ((size_t)p[pos + 1] + 1) * 8;
        } else if (next == PROTO_FRAGMENT) {
            if (caplen < pos + 8) {
                break;
            }
            next = p[pos];
            if ((get16(p + pos + 2) & 0xfff8u) != 0) {
                ret->proto = next;
                return;
            }
            pos += 8;
        } else {
            ret->proto = next;
            ret->l4 = pos;
            return;
        }
    }
    ret->proto = next;
}

/* Finds the IP and transport headers of an Ethernet frame, looking through VLAN tags. */
static void locate(const unsigned char *p, size_t caplen, struct layout *ret)
{
    size_t off = 14;
    unsigned type;

    memset(ret, 0, sizeof(*ret));
    if (caplen < 14) {
        return;
    }
    type = get16(p + 12);
    while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
        if (caplen < off + 4) {
            return;
        }
        type = get16(p + off + 2);
        off += 4;
    }
    if (type == ETHERTYPE_IPV4) {
        locate_ipv4(p, caplen, off, ret);
    } else if (type == ETHERTYPE_IPV6) {
        locate_ipv6(p, caplen, off, ret);
    }
}

/*
 * Updates an Internet checksum for 16-bit-aligned bytes that changed from old to new, as in
 * RFC 1624 equation 3, so the rest of the covered data need not be read.
 */
static unsigned csum_update(unsigned csum, const unsigned char *old, const unsigned char *new,
                            size_t n)
{
    uint32_t sum = ~csum & 0xffffu;
    size_t i;

    for (i = 0; i + 1 < n; i += 2) {
        sum += ~get16(old + i) & 0xffffu;
        sum += get16(new + i);
    }
    while (sum >> 16 != 0) {
        sum = (sum & 0xffffu) + (sum >> 16);
    }
    return ~sum & 0xffffu;
}

void mkc_shift_addresses(unsigned char *p, size_t caplen, unsigned shift)
{
    unsigned char old[32];
    struct layout lay;
    size_t alen, at, src, cks;
    int a;

    locate(p, caplen, &lay);
    if (lay.family == 0 || shift == 0) {
        return;
    }
    alen = lay.family == 4 ? 4 : 16;
    at = lay.family == 4 ? 1 : 2;
    src = lay.l3 + (lay.family == 4 ? 12 : 8);
    /* Source and destination are adjacent in both IPv4 and IPv6 headers. */
    memcpy(old, p + src, 2 * alen);
    for (a = 0; a < 2; a++) {
        unsigned char *field = p + src + (size_t)a * alen + at;
        put16(field, (get16(field) + shift) & 0xffffu);
    }
    if (lay.family == 4) {
        put16(p + lay.l3 + 10, csum_update(get16(p + lay.l3 + 10), old, p + src, 8));
    }
    if (lay.l4 == 0) {
        return;
    }
    /* TCP, UDP and ICMPv6 checksums cover a pseudo-header holding both addresses. */
    if (lay.proto == PROTO_TCP) {
        cks = lay.l4 + 16;
    } else if (lay.proto == PROTO_UDP) {
        cks = lay.l4 + 6;
    } else if (lay.proto == PROTO_ICMPV6 && lay.family == 6) {
        cks = lay.l4 + 2;
    } else {
        return;
    }
    if (caplen < cks + 2) {
        return;
    }
    if (lay.proto == PROTO_UDP && lay.family == 4 && get16(p + cks) == 0) {
        return; /* An IPv4 UDP checksum of zero means "not computed". */
    }
    {
        unsigned c = csum_update(get16(p + cks), old, p + src, 2 * alen);

        if (lay.proto == PROTO_UDP && c == 0) {
            c = 0xffffu;
        }
        put16(p + cks, c);
    }
}

void mkc_flow_key_of(const unsigned char *p, size_t caplen, struct mkc_flow_key *ret, bool *ret_ip)
{
    struct layout lay;
    size_t alen;
    int a, swap;

    memset(ret, 0, sizeof(*ret));
    locate(p, caplen, &lay);
    *ret_ip = lay.family != 0;
    if (lay.family == 0) {
        return;
    }
    alen = lay.family == 4 ? 4 : 16;
    for (a = 0; a < 2; a++) {
        memcpy(ret->addr[a], p + lay.l3 + (lay.family == 4 ? 12 : 8) + (size_t)a * alen, alen);
    }
    ret->family = (uint8_t)lay.family;
    ret->proto = lay.proto;
    if (lay.l4 != 0 && (lay.proto == PROTO_TCP || lay.proto == PROTO_UDP) && caplen >= lay.l4 + 4) {
        ret->port[0] = (uint16_t)get16(p + lay.l4);
        ret->port[1] = (uint16_t)get16(p + lay.l4 + 2);
    }
    swap = memcmp(ret->addr[0], ret->addr[1], sizeof(ret->addr[0]));
    if (swap > 0 || (swap == 0 && ret->port[0] > ret->port[1])) {
        uint8_t tmp[16];
        uint16_t port = ret->port[0];

        memcpy(tmp, ret->addr[0], sizeof(tmp));
        memcpy(ret->addr[0], ret->addr[1], sizeof(tmp));
        memcpy(ret->addr[1], tmp, sizeof(tmp));
        ret->port[0] = ret->port[1];
        ret->port[1] = port;
    }
}
